// linear_onednn: y = x W^T + b over the last axis, as one oneDNN matmul
// [rows, K] x [K, N] with rows = numel(x) / K. The weight is packed once in the
// layout oneDNN picks. Shapes are fixed per plan, so M is fixed at creation.
// The residual is a binary-add post-op (stays in brg:avx512_core and, unlike
// a sum post-op, needs no copy of the residual into the output).
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
    const memory::desc any_weights_md({k, n}, memory::data_type::f32, memory::format_tag::any);

    const auto desc = has_bias_ ? dnnl::matmul::desc(src_md_, any_weights_md, bias_md_, dst_md_)
                                : dnnl::matmul::desc(src_md_, any_weights_md, dst_md_);
    dnnl::primitive_attr attr = base_attr();
    attr.set_post_ops(epilogue_post_ops(epilogue_, ResidualPostOp::kBinaryAdd, dst_md_));
    const dnnl::matmul::primitive_desc pd(desc, attr, cpu_engine());
    set_primitive(pd);
    weights_ = pack_weights(user_weights_md, graph.value(node.inputs[1]).data->data(), pd.weights_desc());
  }

  void run(const KernelContext& c) const override {
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, wrap(src_md_, c.in(0))},
        {DNNL_ARG_WEIGHTS, weights_},
        {DNNL_ARG_DST, wrap(dst_md_, c.output)},
    };
    if (has_bias_) args.emplace(DNNL_ARG_BIAS, wrap(bias_md_, c.in(2)));
    if (epilogue_.residual) args.emplace(residual_arg(epilogue_), wrap(dst_md_, c.inputs.back().data));
    execute(c.node, args);
  }

 private:
  graph::Epilogue epilogue_;
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
