// matmul_onednn: batched y = alpha a b (or alpha a b^T) on one 3-D oneDNN
// matmul, the leading dims collapsed into one batch dim. Both operands are
// read where they are (activations in attention): b^T is a strided view of
// b [B, N, K], no transpose copy (87% of peak for Q.K^T, substrate.md).
// alpha is oneDNN's output scale: one multiply of the f32 accumulator inside
// the brgemm kernel, before the post-ops, as in y = act(alpha a b) + residual.
// The residual is a binary-add post-op (no copy into the output needed).
#include <cmath>

#include "runtime/kernels/onednn/common.h"
#include "runtime/kernels/onednn/onednn_kernels.h"

namespace litevit::runtime::onednn {
namespace {

using dnnl::memory;

bool supports(const graph::Graph& graph, const graph::Node& node) {
  const auto* attrs = std::get_if<graph::MatMulAttrs>(&node.attrs);
  if (attrs == nullptr || node.inputs.size() < 2 || !std::isfinite(attrs->alpha)) return false;
  const graph::Shape& as = graph.value(node.inputs[0]).shape;
  return as.size() >= 2 && as.back() > 0 && graph::shape_numel(graph.value(node.output).shape) > 0;
}

class MatMulKernel final : public PrimitiveKernel {
 public:
  MatMulKernel(const CompileContext& context, const graph::Node& node)
      : PrimitiveKernel("matmul_onednn", context.threads) {
    const graph::Graph& graph = context.graph;
    const auto& attrs = std::get<graph::MatMulAttrs>(node.attrs);
    const graph::Shape& as = graph.value(node.inputs[0]).shape;   // [..., M, K]
    const graph::Shape& ys = graph.value(node.output).shape;      // [..., M, N]
    const int64_t m = as[as.size() - 2], k = as.back(), n = ys.back();
    const int64_t batch = graph::shape_numel(as) / (m * k);
    epilogue_ = attrs.epilogue;

    a_md_ = memory::desc({batch, m, k}, memory::data_type::f32, memory::format_tag::abc);
    // Logical [B, K, N] either way; transposed, b is stored [B, N, K].
    b_md_ = attrs.transpose_b ? memory::desc({batch, k, n}, memory::data_type::f32, memory::format_tag::acb)
                              : memory::desc({batch, k, n}, memory::data_type::f32, memory::format_tag::abc);
    dst_md_ = memory::desc({batch, m, n}, memory::data_type::f32, memory::format_tag::abc);

    dnnl::primitive_attr attr = base_attr();
    if (attrs.alpha != 1.0f) attr.set_output_scales(0, {attrs.alpha});
    attr.set_post_ops(epilogue_post_ops(epilogue_, ResidualPostOp::kBinaryAdd, dst_md_));
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md_, b_md_, dst_md_), attr, cpu_engine());
    set_primitive(pd);
  }

  void run(const KernelContext& c) const override {
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, wrap(a_md_, c.in(0))},
        {DNNL_ARG_WEIGHTS, wrap(b_md_, c.in(1))},
        {DNNL_ARG_DST, wrap(dst_md_, c.output)},
    };
    if (epilogue_.residual) args.emplace(residual_arg(epilogue_), wrap(dst_md_, c.inputs.back().data));
    execute(c.node, args);
  }

 private:
  graph::Epilogue epilogue_;
  memory::desc a_md_, b_md_, dst_md_;
};

std::unique_ptr<Kernel> create(const CompileContext& context, const graph::Node& node) {
  return create_kernel(context, node, [&] { return std::make_unique<MatMulKernel>(context, node); });
}

}  // namespace

const FastKernel kMatMulOnednn = {"matmul_onednn", graph::OpKind::kMatMul, supports, create};

}  // namespace litevit::runtime::onednn
