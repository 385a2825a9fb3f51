// conv2d_onednn: NHWC convolution (channels_last nodes only) on oneDNN's
// convolution primitive, weights packed once in the layout oneDNN picks.
// NCHW is not supported on purpose: oneDNN's NCHW depthwise conv is 20-50x
// slower, and NCHW with "eltwise then sum" falls to ref:any (substrate.md).
//
// The residual is preferably a sum post-op (dst += residual after the
// activation; run() copies the residual into the output first): with NHWC
// that stays in the brgemm kernels, while a binary-add residual makes oneDNN
// pick its older jit kernels (jit_1x1, jit_dw, jit) instead. Convs that only
// the older jit kernels handle (grouped but not depthwise, dilated depthwise,
// depthwise with a channel multiplier) fall to ref:any with "eltwise then
// sum" but not with "eltwise then binary add"; for those the binary add is used.
// Where neither stays off ref:any, or oneDNN picks its gemm (im2col) convolution,
// the kernel adds the residual itself: oneDNN 2.6's gemm convolution on AVX2
// computes a grouped NHWC conv with activation + binary add wrongly (errors of
// 30% seen on 8->16 channels in 8 groups), and with sum it is ref:any.
// A gelu/silu/sigmoid activation is applied by the kernel after the
// primitive as well (activation_after_primitive, common.h), and with it the
// residual.
#include <cstring>
#include <string_view>
#include <vector>

#include "runtime/kernels/onednn/common.h"
#include "runtime/kernels/onednn/onednn_kernels.h"

namespace litevit::runtime::onednn {
namespace {

using dnnl::memory;
using Dims = memory::dims;

bool supports(const graph::Graph& graph, const graph::Node& node) {
  const auto* attrs = std::get_if<graph::Conv2dAttrs>(&node.attrs);
  if (attrs == nullptr || !attrs->channels_last || node.inputs.size() < 2) return false;
  if (!is_bound_weight(graph, node.inputs[1])) return false;
  if (graph.value(node.inputs[0]).shape.size() != 4 || graph.value(node.inputs[1]).shape.size() != 4) return false;
  for (int i = 0; i < 2; ++i) {
    if (attrs->stride[i] < 1 || attrs->dilation[i] < 1 || attrs->padding[i] < 0) return false;
  }
  return attrs->groups >= 1 && graph::shape_numel(graph.value(node.output).shape) > 0;
}

class Conv2dKernel final : public PrimitiveKernel {
 public:
  Conv2dKernel(const CompileContext& context, const graph::Node& node)
      : PrimitiveKernel("conv2d_onednn", context.threads) {
    const graph::Graph& graph = context.graph;
    const auto& a = std::get<graph::Conv2dAttrs>(node.attrs);
    const graph::Shape& xs = graph.value(node.inputs[0]).shape;   // [N,H,W,C]
    const graph::Shape& ws = graph.value(node.inputs[1]).shape;   // [O,C/g,kh,kw]
    const graph::Shape& ys = graph.value(node.output).shape;      // [N,Ho,Wo,O]
    epilogue_ = a.epilogue;
    has_bias_ = graph::has_bias(node);
    output_bytes_ = static_cast<size_t>(graph::shape_numel(ys)) * sizeof(float);

    // oneDNN's logical dims are always N,C,H,W; the nhwc tag gives the memory order.
    src_md_ = memory::desc({xs[0], xs[3], xs[1], xs[2]}, memory::data_type::f32, memory::format_tag::nhwc);
    dst_md_ = memory::desc({ys[0], ys[3], ys[1], ys[2]}, memory::data_type::f32, memory::format_tag::nhwc);
    bias_md_ = memory::desc({ws[0]}, memory::data_type::f32, memory::format_tag::a);
    // PyTorch's [O, C/g, kh, kw] is oihw, or goihw once O is split into (g, O/g).
    const memory::desc user_weights_md =
        a.groups == 1 ? memory::desc({ws[0], ws[1], ws[2], ws[3]}, memory::data_type::f32, memory::format_tag::oihw)
                      : memory::desc({a.groups, ws[0] / a.groups, ws[1], ws[2], ws[3]}, memory::data_type::f32,
                                     memory::format_tag::goihw);
    const memory::desc any_weights_md(user_weights_md.dims(), memory::data_type::f32, memory::format_tag::any);

    const Dims strides = {a.stride[0], a.stride[1]};
    const Dims dilates = {a.dilation[0] - 1, a.dilation[1] - 1};   // oneDNN counts the gaps
    const Dims padding = {a.padding[0], a.padding[1]};
    // Symmetric padding: oneDNN's output size formula then is PyTorch's.
    const auto desc =
        has_bias_ ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                    dnnl::algorithm::convolution_direct, src_md_, any_weights_md,
                                                    bias_md_, dst_md_, strides, dilates, padding, padding)
                  : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                    dnnl::algorithm::convolution_direct, src_md_, any_weights_md,
                                                    dst_md_, strides, dilates, padding, padding);
    auto make_pd = [&](ResidualPostOp residual) {
      dnnl::primitive_attr attr = base_attr();
      attr.set_post_ops(epilogue_post_ops(fused_, residual, dst_md_));
      return dnnl::convolution_forward::primitive_desc(desc, attr, cpu_engine());
    };
    fused_ = epilogue_;
    if (activation_after_primitive(epilogue_.act)) {
      fused_.act = graph::Activation::kNone;
      if (epilogue_.residual) residual_ = ResidualPostOp::kAfter;
    }
    auto pd = make_pd(residual_);
    if (epilogue_.residual && residual_ != ResidualPostOp::kAfter && is_reference_implementation(pd)) {
      auto binary_pd = make_pd(ResidualPostOp::kBinaryAdd);
      const bool gemm = std::string_view(binary_pd.impl_info_str()).find("gemm") != std::string_view::npos;
      residual_ = is_reference_implementation(binary_pd) || gemm ? ResidualPostOp::kAfter : ResidualPostOp::kBinaryAdd;
      pd = residual_ == ResidualPostOp::kBinaryAdd ? binary_pd : make_pd(residual_);
    }
    set_primitive(pd);
    weights_ = pack_weights(user_weights_md, graph.value(node.inputs[1]).data->data(), pd.weights_desc());
  }

  bool packed_input(size_t index) const override { return index == 1; }

  void run(const KernelContext& c) const override {
    const size_t count = output_bytes_ / sizeof(float);
    const float* residual = epilogue_.residual ? c.inputs.back().data : nullptr;
    if (residual != nullptr && residual_ == ResidualPostOp::kSum && residual != c.output) {
      std::memcpy(c.output, residual, output_bytes_);
    }
    std::vector<float> saved;   // a residual the primitive would overwrite (output in place of it)
    if (residual != nullptr && residual_ == ResidualPostOp::kAfter) residual = keep_residual(residual, c.output, count, saved);
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, wrap(src_md_, c.in(0))},
        {DNNL_ARG_WEIGHTS, weights_},
        {DNNL_ARG_DST, wrap(dst_md_, c.output)},
    };
    if (has_bias_) args.emplace(DNNL_ARG_BIAS, wrap(bias_md_, c.in(2)));
    if (residual != nullptr && residual_ == ResidualPostOp::kBinaryAdd) {
      args.emplace(residual_arg(fused_), wrap(dst_md_, residual));
    }
    execute(c.node, args);
    finish_epilogue(epilogue_, fused_, c.output, residual_ == ResidualPostOp::kAfter ? residual : nullptr, count);
  }

 private:
  graph::Epilogue epilogue_;
  graph::Epilogue fused_;   // the part of epilogue_ given to oneDNN as post-ops
  ResidualPostOp residual_ = ResidualPostOp::kSum;
  bool has_bias_ = false;
  size_t output_bytes_ = 0;
  memory::desc src_md_, dst_md_, bias_md_;
  memory weights_;   // packed, read-only after creation
};

std::unique_ptr<Kernel> create(const CompileContext& context, const graph::Node& node) {
  return create_kernel(context, node, [&] { return std::make_unique<Conv2dKernel>(context, node); });
}

}  // namespace

const FastKernel kConv2dOnednn = {"conv2d_onednn", graph::OpKind::kConv2d, supports, create};

}  // namespace litevit::runtime::onednn
