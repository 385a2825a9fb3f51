// Elementwise unary ops: gelu (exact erf form), silu, sigmoid, relu, relu6,
// hard_sigmoid, hard_swish, scale. Each is one pass over contiguous memory;
// gelu, silu and sigmoid use math-inl.h. Also apply_epilogue: the same
// activations plus a residual add, in place, for the oneDNN kernels that run
// an epilogue after their primitive rather than as its post-ops.
#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/activations.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/math-inl.h"
#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// y[i] = op(d, x[i]) for i < n. Functors rather than lambdas: a lambda's body
// is not guaranteed to get the target attributes of the enclosing function.
template <class Op>
HWY_INLINE void UnaryLoop(const float* x, float* y, int64_t n, const Op& op) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(n);
  size_t i = 0;
  for (; i + lanes <= count; i += lanes) hn::StoreU(op(d, hn::LoadU(d, x + i)), d, y + i);
  if (i < count) StoreFirst(op(d, LoadFirst(d, x + i, count - i)), d, y + i, count - i);
}

struct GeluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return Gelu(d, x); }
};
struct SiluOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return Silu(d, x); }
};
struct ReluOp {
  // max(x, 0): like the reference's x > 0 ? x : 0, this gives +0 for -0 and NaN
  // (x86 max returns its second operand when the first is NaN or both are zero).
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return hn::Max(x, hn::Zero(d)); }
};
struct SigmoidOp {
  // 1 / (1 + exp(-x)); the exp saturates for x < -88.4 (result ~1e-39 instead
  // of a denormal) and vanishes against 1 for x > 87.3, where the result is 1.
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    return hn::Div(hn::Set(d, 1.0f), OnePlusFastExp(d, hn::Neg(x)));
  }
};
struct Relu6Op {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return hn::Min(hn::Max(x, hn::Zero(d)), hn::Set(d, 6.0f)); }
};
// Both divide by 6 (not multiply by 1/6) so they round like the reference and torch.
struct HardSigmoidOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V r6 = hn::Min(hn::Max(hn::Add(x, hn::Set(d, 3.0f)), hn::Zero(d)), hn::Set(d, 6.0f));
    return hn::Div(r6, hn::Set(d, 6.0f));
  }
};
struct HardSwishOp {
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const {
    const V r6 = hn::Min(hn::Max(hn::Add(x, hn::Set(d, 3.0f)), hn::Zero(d)), hn::Set(d, 6.0f));
    return hn::Div(hn::Mul(x, r6), hn::Set(d, 6.0f));
  }
};
struct ScaleOp {
  float alpha;
  template <class D, class V>
  HWY_INLINE V operator()(D d, V x) const { return hn::Mul(x, hn::Set(d, alpha)); }
};

// y[i] = op(d, y[i]) + r[i] (r may be null: no add) for i < n.
template <class Op>
HWY_INLINE void EpilogueLoop(float* y, const float* r, int64_t n, const Op& op) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(n);
  size_t i = 0;
  if (r == nullptr) {
    for (; i + lanes <= count; i += lanes) hn::StoreU(op(d, hn::LoadU(d, y + i)), d, y + i);
    if (i < count) StoreFirst(op(d, LoadFirst(d, y + i, count - i)), d, y + i, count - i);
    return;
  }
  for (; i + lanes <= count; i += lanes) {
    hn::StoreU(hn::Add(op(d, hn::LoadU(d, y + i)), hn::LoadU(d, r + i)), d, y + i);
  }
  if (i < count) {
    const size_t rest = count - i;
    StoreFirst(hn::Add(op(d, LoadFirst(d, y + i, rest)), LoadFirst(d, r + i, rest)), d, y + i, rest);
  }
}

struct IdentityOp {
  template <class D, class V>
  HWY_INLINE V operator()(D, V x) const { return x; }
};

void EpilogueN(float* y, const float* r, int64_t n, graph::Activation act) {
  switch (act) {
    case graph::Activation::kNone: EpilogueLoop(y, r, n, IdentityOp{}); return;
    case graph::Activation::kRelu: EpilogueLoop(y, r, n, ReluOp{}); return;
    case graph::Activation::kGelu: EpilogueLoop(y, r, n, GeluOp{}); return;
    case graph::Activation::kSilu: EpilogueLoop(y, r, n, SiluOp{}); return;
    case graph::Activation::kSigmoid: EpilogueLoop(y, r, n, SigmoidOp{}); return;
    case graph::Activation::kHardSwish: EpilogueLoop(y, r, n, HardSwishOp{}); return;
    case graph::Activation::kRelu6: EpilogueLoop(y, r, n, Relu6Op{}); return;
  }
}

void GeluN(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, GeluOp{}); }
void SiluN(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, SiluOp{}); }
void ReluN(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, ReluOp{}); }
void ScaleN(const float* x, float* y, int64_t n, float alpha) { UnaryLoop(x, y, n, ScaleOp{alpha}); }
void SigmoidN(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, SigmoidOp{}); }
void Relu6N(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, Relu6Op{}); }
void HardSigmoidN(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, HardSigmoidOp{}); }
void HardSwishN(const float* x, float* y, int64_t n) { UnaryLoop(x, y, n, HardSwishOp{}); }

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(EpilogueN);
HWY_EXPORT(GeluN);
HWY_EXPORT(SiluN);
HWY_EXPORT(ReluN);
HWY_EXPORT(ScaleN);
HWY_EXPORT(SigmoidN);
HWY_EXPORT(Relu6N);
HWY_EXPORT(HardSigmoidN);
HWY_EXPORT(HardSwishN);
void epilogue(float* y, const float* r, int64_t n, graph::Activation act) {
  HWY_DYNAMIC_DISPATCH(EpilogueN)(y, r, n, act);
}
void gelu(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(GeluN)(x, y, n); }
void silu(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(SiluN)(x, y, n); }
void relu(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(ReluN)(x, y, n); }
void scale(const float* x, float* y, int64_t n, float alpha) { HWY_DYNAMIC_DISPATCH(ScaleN)(x, y, n, alpha); }
void sigmoid(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(SigmoidN)(x, y, n); }
void relu6(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(Relu6N)(x, y, n); }
void hard_sigmoid(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(HardSigmoidN)(x, y, n); }
void hard_swish(const float* x, float* y, int64_t n) { HWY_DYNAMIC_DISPATCH(HardSwishN)(x, y, n); }
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {

void apply_epilogue(graph::Activation act, float* y, const float* residual, int64_t count, int threads) {
  const int64_t cost = act == graph::Activation::kNone || act == graph::Activation::kRelu ||
                               act == graph::Activation::kRelu6 || act == graph::Activation::kHardSwish
                           ? 2
                           : 4;
  parallel_for(threads, count, cost, [&](int64_t begin, int64_t end) {
    simd::epilogue(y + begin, residual == nullptr ? nullptr : residual + begin, end - begin, act);
  });
}

void apply_epilogue_at(const graph::Epilogue& epilogue, float* y, const float* residual, int64_t offset, int64_t count) {
  if (epilogue.act == graph::Activation::kNone && residual == nullptr) return;
  apply_epilogue(epilogue.act, y + offset, residual == nullptr ? nullptr : residual + offset, count, 1);
}

namespace {

bool supports_any(const graph::Graph&, const graph::Node&) { return true; }

// Splits the flat range over threads; `cost` weighs an element against a copy
// (gelu/silu do ~20 flops per element, so they pay for threads sooner).
template <typename Fn>
void run_elementwise(const KernelContext& c, int64_t cost, const Fn& fn) {
  const int64_t n = graph::shape_numel(c.output_shape);
  parallel_for(c.threads, n, cost, [&](int64_t begin, int64_t end) {
    fn(c.in(0) + begin, c.output + begin, end - begin);
  });
}

void run_gelu(const KernelContext& c) { run_elementwise(c, 4, simd::gelu); }
void run_silu(const KernelContext& c) { run_elementwise(c, 4, simd::silu); }
void run_relu(const KernelContext& c) { run_elementwise(c, 1, simd::relu); }
void run_sigmoid(const KernelContext& c) { run_elementwise(c, 4, simd::sigmoid); }
void run_relu6(const KernelContext& c) { run_elementwise(c, 1, simd::relu6); }
void run_hard_sigmoid(const KernelContext& c) { run_elementwise(c, 1, simd::hard_sigmoid); }
void run_hard_swish(const KernelContext& c) { run_elementwise(c, 1, simd::hard_swish); }
void run_scale(const KernelContext& c) {
  const float alpha = std::get<graph::ScaleAttrs>(c.node.attrs).alpha;
  run_elementwise(c, 1, [alpha](const float* x, float* y, int64_t n) { simd::scale(x, y, n, alpha); });
}

std::unique_ptr<Kernel> create_gelu(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("gelu_hwy", run_gelu);
}
std::unique_ptr<Kernel> create_silu(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("silu_hwy", run_silu);
}
std::unique_ptr<Kernel> create_relu(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("relu_hwy", run_relu);
}
std::unique_ptr<Kernel> create_sigmoid(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("sigmoid_hwy", run_sigmoid);
}
std::unique_ptr<Kernel> create_relu6(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("relu6_hwy", run_relu6);
}
std::unique_ptr<Kernel> create_hard_sigmoid(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("hard_sigmoid_hwy", run_hard_sigmoid);
}
std::unique_ptr<Kernel> create_hard_swish(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("hard_swish_hwy", run_hard_swish);
}
std::unique_ptr<Kernel> create_scale(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("scale_hwy", run_scale);
}

}  // namespace

const FastKernel kGelu{"gelu_hwy", graph::OpKind::kGelu, supports_any, create_gelu};
const FastKernel kSilu{"silu_hwy", graph::OpKind::kSilu, supports_any, create_silu};
const FastKernel kRelu{"relu_hwy", graph::OpKind::kRelu, supports_any, create_relu};
const FastKernel kSigmoid{"sigmoid_hwy", graph::OpKind::kSigmoid, supports_any, create_sigmoid};
const FastKernel kRelu6{"relu6_hwy", graph::OpKind::kRelu6, supports_any, create_relu6};
const FastKernel kHardSigmoid{"hard_sigmoid_hwy", graph::OpKind::kHardSigmoid, supports_any, create_hard_sigmoid};
const FastKernel kHardSwish{"hard_swish_hwy", graph::OpKind::kHardSwish, supports_any, create_hard_swish};
const FastKernel kScale{"scale_hwy", graph::OpKind::kScale, supports_any, create_scale};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
