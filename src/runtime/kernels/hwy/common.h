// What the Highway kernel files share: the target set, the parallel loop
// (parallel_for.h), a Kernel for ops with no state, and the FastKernel each
// file defines.
//
// Each kernel file is compiled once per SIMD target (foreach_target.h); its
// per-target code lives in litevit::simd::HWY_NAMESPACE and is reached through
// HWY_DYNAMIC_DISPATCH, so one binary runs the best of AVX2 / AVX-512.
// That code cannot live under litevit::runtime::hwy: inside that namespace the
// name `hwy` means it rather than Highway, and Highway's macros say `hwy::`.
//
// In place: the elementwise and row-wise kernels (activations, binary,
// layer_norm, softmax, batch_norm) give the same result when the output
// buffer is input 0; the layout, reduce_mean, interpolate, group_norm and
// pool2d kernels need a separate output.
#pragma once

// Highway 1.0.3 bug: with -march=native on an AVX3_DL-capable CPU (Zen 4/5,
// Ice Lake and later) the static target is AVX3_DL, but detect_targets.h tests
// the undefined macro HWY_BASELINE and so leaves AVX3_DL out of the dynamic
// targets ("#error Logic error: best baseline should be included in dynamic
// targets"). Asking for AVX3_DL under exactly detect_targets.h's baseline test
// keeps LITEVIT_NATIVE builds compiling; default builds are unchanged.
#if !defined(HWY_WANT_AVX3_DL) && defined(__AVX512VL__) && defined(__AVXVNNI__) &&         \
    defined(__VAES__) && defined(__VPCLMULQDQ__) && defined(__AVX512VBMI__) &&              \
    defined(__AVX512VBMI2__) && defined(__AVX512VPOPCNTDQ__) && defined(__AVX512BITALG__)
#define HWY_WANT_AVX3_DL
#endif

#include <algorithm>
#include <cstdint>
#include <memory>

#include "runtime/kernels/hwy/parallel_for.h"
#include "runtime/kernels/registry.h"

namespace litevit::runtime::hwy {

// A kernel whose node needs no precomputed state: run() is a plain function.
class FunctionKernel final : public Kernel {
 public:
  using RunFn = void (*)(const KernelContext&);
  FunctionKernel(const char* name, RunFn run_fn) : name_(name), run_(run_fn) {}
  void run(const KernelContext& context) const override { run_(context); }
  const char* name() const override { return name_; }

 private:
  const char* name_;
  RunFn run_;
};

// Whether `id` is a parameter or constant with its data bound (so a kernel
// can precompute from it at creation).
inline bool is_bound_constant(const graph::Graph& graph, graph::ValueId id) {
  const graph::Value& v = graph.value(id);
  return (v.kind == graph::ValueKind::kParameter || v.kind == graph::ValueKind::kConstant) &&
         v.data != nullptr && static_cast<int64_t>(v.data->size()) == graph::shape_numel(v.shape);
}

// Whether a conv's or linear's weight (input 1) and its bias (input 2, when
// it has one) are bound, for kernels that pack them at creation.
inline bool weight_and_bias_bound(const graph::Graph& graph, const graph::Node& node) {
  if (node.inputs.size() < 2 || !is_bound_constant(graph, node.inputs[1])) return false;
  return !graph::has_bias(node) || is_bound_constant(graph, node.inputs[2]);
}

// The conv's attributes when it is one that conv2d_hwy and
// conv2d_winograd_hwy can take: channels last, one group, no dilation, 4-D
// input and weight, strides >= 1, paddings >= 0, and 8 or more input
// channels (fewer leave their GEMMs too shallow: a stem's 3 channels stay
// on oneDNN); null otherwise. Each kernel adds its own kernel-size and
// stride conditions.
inline const graph::Conv2dAttrs* dense_nhwc_conv(const graph::Graph& graph, const graph::Node& node) {
  const auto* a = std::get_if<graph::Conv2dAttrs>(&node.attrs);
  if (a == nullptr || !a->channels_last || a->groups != 1 || a->dilation[0] != 1 || a->dilation[1] != 1) return nullptr;
  if (node.inputs.size() < 2) return nullptr;
  const graph::Shape& x = graph.value(node.inputs[0]).shape;
  const graph::Shape& w = graph.value(node.inputs[1]).shape;
  if (x.size() != 4 || w.size() != 4 || x[3] < 8) return nullptr;
  if (a->stride[0] < 1 || a->stride[1] < 1 || a->padding[0] < 0 || a->padding[1] < 0) return nullptr;
  return a;
}

// The kernels, one FastKernel per op, defined in the file of their op family.
extern const FastKernel kLayerNorm;     // layer_norm.cpp
extern const FastKernel kSoftmax;       // softmax.cpp
extern const FastKernel kAttention;     // attention_op.cpp (on attention.cpp)
extern const FastKernel kInvertedResidual;   // inverted_residual.cpp
extern const FastKernel kConv2d;        // conv2d.cpp
extern const FastKernel kWinogradConv2d;   // winograd_conv.cpp
extern const FastKernel kLinear;        // linear.cpp
extern const FastKernel kGelu;          // activations.cpp
extern const FastKernel kSilu;
extern const FastKernel kRelu;
extern const FastKernel kScale;
extern const FastKernel kSigmoid;
extern const FastKernel kRelu6;
extern const FastKernel kHardSigmoid;
extern const FastKernel kHardSwish;
extern const FastKernel kAdd;           // binary.cpp
extern const FastKernel kMul;
extern const FastKernel kSub;
extern const FastKernel kDiv;
extern const FastKernel kGroupNorm;     // group_norm.cpp
extern const FastKernel kPool2d;        // pool2d.cpp
extern const FastKernel kBatchNorm;     // batch_norm.cpp
extern const FastKernel kReshape;       // layout.cpp
extern const FastKernel kPermute;
extern const FastKernel kConcat;
extern const FastKernel kSlice;
extern const FastKernel kExpand;
extern const FastKernel kPad;
extern const FastKernel kIndexSelect;
extern const FastKernel kReduceMean;    // reduce_mean.cpp
extern const FastKernel kInterpolate;   // interpolate.cpp

}  // namespace litevit::runtime::hwy
