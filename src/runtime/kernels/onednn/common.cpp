#include "runtime/kernels/onednn/common.h"

#include <fmt/format.h>

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <string_view>

#include "litevit/error.h"
#include "runtime/kernels/hwy/hwy_kernels.h"

namespace litevit::runtime::onednn {

const dnnl::engine& cpu_engine() {
  // Never destroyed: kernels owned by static objects may be destroyed after a
  // function-local static would be, and their primitives refer to the engine.
  static const dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *engine;
}

ScopedOmpThreads::ScopedOmpThreads(int threads) : saved_(omp_get_max_threads()), wanted_(threads) {
  if (saved_ != wanted_) omp_set_num_threads(wanted_);
}

ScopedOmpThreads::~ScopedOmpThreads() {
  if (saved_ != wanted_) omp_set_num_threads(saved_);
}

dnnl::post_ops epilogue_post_ops(const graph::Epilogue& epilogue, ResidualPostOp residual,
                                 const dnnl::memory::desc& dst) {
  dnnl::post_ops ops;
  switch (epilogue.act) {
    case graph::Activation::kNone: break;
    case graph::Activation::kRelu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
    // gelu_erf is the exact form (gelu_tanh would be the approximation).
    case graph::Activation::kGelu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f); break;
    // swish(x) = x sigmoid(alpha x); silu is alpha = 1.
    case graph::Activation::kSilu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f); break;
    case graph::Activation::kSigmoid: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_logistic, 0.0f, 0.0f); break;
    // oneDNN 2.6 hardswish: x relu6(x + 3) / 6 (alpha and beta ignored).
    case graph::Activation::kHardSwish: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f); break;
    // clip_v2 is [alpha, beta] inclusive (clip is (alpha, beta]); both give relu6 here.
    case graph::Activation::kRelu6: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip_v2, 0.0f, 6.0f); break;
  }
  if (epilogue.residual) {
    if (residual == ResidualPostOp::kSum) {
      ops.append_sum(1.0f);
    } else if (residual == ResidualPostOp::kBinaryAdd) {
      ops.append_binary(dnnl::algorithm::binary_add, dst);
    }
  }
  return ops;
}

bool activation_after_primitive(graph::Activation act) {
  return act == graph::Activation::kGelu || act == graph::Activation::kSilu || act == graph::Activation::kSigmoid;
}

int residual_arg(const graph::Epilogue& epilogue) {
  const int index = epilogue.act == graph::Activation::kNone ? 0 : 1;   // position in the post-op chain
  return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
}

bool is_bound_weight(const graph::Graph& graph, graph::ValueId id) {
  const graph::Value& v = graph.value(id);
  return (v.kind == graph::ValueKind::kParameter || v.kind == graph::ValueKind::kConstant) && v.data &&
         static_cast<int64_t>(v.data->size()) == graph::shape_numel(v.shape);
}

dnnl::memory wrap(const dnnl::memory::desc& md, const float* data) {
  return dnnl::memory(md, cpu_engine(), const_cast<float*>(data));
}

dnnl::memory wrap(const dnnl::memory::desc& md, float* data) { return dnnl::memory(md, cpu_engine(), data); }

dnnl::memory pack_weights(const dnnl::memory::desc& md, const float* data, const dnnl::memory::desc& packed) {
  dnnl::memory user = wrap(md, data);
  dnnl::memory result(packed, cpu_engine());   // owns its buffer
  dnnl::stream stream(cpu_engine());
  dnnl::reorder(user, result).execute(stream, user, result);
  stream.wait();
  return result;
}

bool is_reference_implementation(const dnnl::primitive_desc& pd) {
  // "ref:any", "ref_int8:any", "gemm:ref", ...
  return std::string_view(pd.impl_info_str()).find("ref") != std::string_view::npos;
}

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

const float* PrimitiveKernel::keep_residual(const float* residual, const float* output, size_t count,
                                            std::vector<float>& saved) {
  if (residual != output) return residual;
  saved.assign(residual, residual + count);
  return saved.data();
}

void PrimitiveKernel::finish_epilogue(const graph::Epilogue& epilogue, const graph::Epilogue& fused, float* output,
                                      const float* residual_after, size_t count) const {
  const graph::Activation act = fused.act == epilogue.act ? graph::Activation::kNone : epilogue.act;
  if (act == graph::Activation::kNone && residual_after == nullptr) return;
  hwy::apply_epilogue(act, output, residual_after, static_cast<int64_t>(count), threads_);
}

void PrimitiveKernel::set_primitive(const dnnl::primitive_desc& pd) {
  primitive_ = dnnl::primitive(pd);
  scratchpad_md_ = pd.scratchpad_desc();
  implementation_ = pd.impl_info_str();
}

namespace {

// The calling thread's scratchpad: one primitive runs at a time per thread,
// so all kernels share it. It only grows (to the largest scratchpad seen).
void* thread_scratchpad(size_t bytes) {
  struct AlignedFree {
    void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  thread_local std::unique_ptr<std::byte[], AlignedFree> buffer;
  thread_local size_t capacity = 0;
  if (bytes > capacity) {
    buffer.reset();
    buffer.reset(static_cast<std::byte*>(::operator new[](bytes, std::align_val_t{64})));
    capacity = bytes;
  }
  return buffer.get();
}

}  // namespace

void PrimitiveKernel::execute(const graph::Node& node, std::unordered_map<int, dnnl::memory>& args) const {
  const ScopedOmpThreads threads(threads_);
  try {
    const size_t scratchpad_bytes = scratchpad_md_.get_size();
    if (scratchpad_bytes > 0) {
      args.insert_or_assign(DNNL_ARG_SCRATCHPAD,
                            dnnl::memory(scratchpad_md_, cpu_engine(), thread_scratchpad(scratchpad_bytes)));
    }
    dnnl::stream stream(cpu_engine());
    primitive_.execute(stream, args);
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(fmt::format("running {} at '{}' with oneDNN ({}): {}", graph::op_name(node.op), node.module_path,
                            implementation_, e.what()));
  }
}

std::unique_ptr<Kernel> create_kernel(const CompileContext& context, const graph::Node& node,
                                      const std::function<std::unique_ptr<Kernel>()>& make) {
  const ScopedOmpThreads threads(context.threads);
  try {
    return make();
  } catch (const dnnl::error& e) {
    throw Error(fmt::format("compiling {} at '{}' with oneDNN: {}", graph::op_name(node.op), node.module_path,
                            e.what()));
  }
}

}  // namespace litevit::runtime::onednn
