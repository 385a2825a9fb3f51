// linear_onednn: y = x W^T + b over the last axis, as one oneDNN matmul
// [rows, K] x [K, N] with rows = numel(x) / K. The weight is packed once in the
// layout oneDNN picks. Shapes are fixed per plan, so M is fixed at creation.
// Where oneDNN has no brgemm matmul (AVX2 CPUs) it picks its gemm ("gemm:jit")
// and a plain row-major [K, N] weight, which gemm re-packs on every call; with
// N*4 bytes a multiple of 1 KiB (N = 768, 3072) those rows alias in the cache
// and DeiT's fc1 ran at half speed (35 vs 70 GFLOP/s, 1 thread, EPYC AVX2).
// There the weight is stored with a padded row stride instead (weights_stride).
// gelu/silu/sigmoid may run after the primitive (activation_after_primitive).
// The residual is a binary-add post-op (stays in brg:avx512_core and, unlike
// a sum post-op, needs no copy of the residual into the output).
#include <string_view>
#include <vector>

#include "runtime/kernels/onednn/common.h"
#include "runtime/kernels/onednn/onednn_kernels.h"

namespace litevit::runtime::onednn {
namespace {

using dnnl::memory;

bool supports(const graph::Graph& graph, const graph::Node& node) {
  if (!std::holds_alternative<graph::LinearAttrs>(node.attrs) || node.inputs.size() < 2) return false;
  if (!is_bound_weight(graph, node.inputs[1]) || graph.value(node.inputs[1]).shape.size() != 2) return false;
  return graph::shape_numel(graph.value(node.output).shape) > 0 && graph.value(node.inputs[1]).shape[1] > 0;
}

// Row stride (in floats) of a [K, N] weight for oneDNN's gemm: N rounded up to
// whole 64-byte lines, plus one line when the rows would then be a multiple of
// 1 KiB apart (which is what makes them alias in the cache).
int64_t weights_stride(int64_t n) {
  int64_t stride = (n + 15) / 16 * 16;
  if (stride % 256 == 0) stride += 16;
  return stride;
}

class LinearKernel final : public PrimitiveKernel {
 public:
  LinearKernel(const CompileContext& context, const graph::Node& node)
      : PrimitiveKernel("linear_onednn", context.threads) {
    const graph::Graph& graph = context.graph;
    const graph::Shape& ws = graph.value(node.inputs[1]).shape;   // [N, K]
    const int64_t n = ws[0], k = ws[1];
    const int64_t rows = graph::shape_numel(graph.value(node.inputs[0]).shape) / k;
    epilogue_ = std::get<graph::LinearAttrs>(node.attrs).epilogue;
    has_bias_ = graph::has_bias(node);

    src_md_ = memory::desc({rows, k}, memory::data_type::f32, memory::format_tag::ab);
    dst_md_ = memory::desc({rows, n}, memory::data_type::f32, memory::format_tag::ab);
    bias_md_ = memory::desc({1, n}, memory::data_type::f32, memory::format_tag::ab);
    // W [N, K] row-major is the [K, N] matrix W^T in column-major order ("ba").
    const memory::desc user_weights_md({k, n}, memory::data_type::f32, memory::format_tag::ba);
    fused_ = epilogue_;
    if (activation_after_primitive(epilogue_.act)) {
      fused_.act = graph::Activation::kNone;
      if (epilogue_.residual) residual_ = ResidualPostOp::kAfter;
    }
    auto make_pd = [&](const memory::desc& weights_md) {
      dnnl::primitive_attr attr = base_attr();
      attr.set_post_ops(epilogue_post_ops(fused_, residual_, dst_md_));
      const auto desc = has_bias_ ? dnnl::matmul::desc(src_md_, weights_md, bias_md_, dst_md_)
                                  : dnnl::matmul::desc(src_md_, weights_md, dst_md_);
      return dnnl::matmul::primitive_desc(desc, attr, cpu_engine());
    };
    memory::desc weights_md({k, n}, memory::data_type::f32, memory::format_tag::any);
    dnnl::matmul::primitive_desc pd = make_pd(weights_md);
    if (std::string_view(pd.impl_info_str()).starts_with("gemm")) {
      weights_md = memory::desc({k, n}, memory::data_type::f32, memory::dims{weights_stride(n), 1});
      pd = make_pd(weights_md);
    }
    set_primitive(pd);
    weights_ = pack_weights(user_weights_md, graph.value(node.inputs[1]).data->data(), pd.weights_desc());
  }

  bool packed_input(size_t index) const override { return index == 1; }

  void run(const KernelContext& c) const override {
    const size_t count = static_cast<size_t>(dst_md_.get_size() / sizeof(float));
    const float* residual = epilogue_.residual ? c.inputs.back().data : nullptr;
    std::vector<float> saved;   // a residual the primitive would overwrite (output in place of it)
    if (residual != nullptr && residual_ == ResidualPostOp::kAfter) residual = keep_residual(residual, c.output, count, saved);
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, wrap(src_md_, c.in(0))},
        {DNNL_ARG_WEIGHTS, weights_},
        {DNNL_ARG_DST, wrap(dst_md_, c.output)},
    };
    if (has_bias_) args.emplace(DNNL_ARG_BIAS, wrap(bias_md_, c.in(2)));
    if (residual != nullptr && residual_ == ResidualPostOp::kBinaryAdd) args.emplace(residual_arg(fused_), wrap(dst_md_, residual));
    execute(c.node, args);
    finish_epilogue(epilogue_, fused_, c.output, residual_ == ResidualPostOp::kAfter ? residual : nullptr, count);
  }

 private:
  graph::Epilogue epilogue_;
  graph::Epilogue fused_;   // the part of epilogue_ given to oneDNN as post-ops
  ResidualPostOp residual_ = ResidualPostOp::kBinaryAdd;
  bool has_bias_ = false;
  memory::desc src_md_, dst_md_, bias_md_;
  memory weights_;   // packed, read-only after creation
};

std::unique_ptr<Kernel> create(const CompileContext& context, const graph::Node& node) {
  return create_kernel(context, node, [&] { return std::make_unique<LinearKernel>(context, node); });
}

}  // namespace

const FastKernel kLinearOnednn = {"linear_onednn", graph::OpKind::kLinear, supports, create};

}  // namespace litevit::runtime::onednn
