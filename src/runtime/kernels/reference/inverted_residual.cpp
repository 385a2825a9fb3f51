// The MobileNetV2 block as the three reference convs it was fused from, with
// the two intermediates in plain buffers:
//   e = expand_act(conv1x1(x, w_expand) + b_expand)                  [N,H,W,Cm]
//   d = depthwise_act(dwconv_kxk(e, w_dw, stride, padding) + b_dw)   [N,Ho,Wo,Cm]
//   y = epilogue(conv1x1(d, w_project) + b_project)                  [N,Ho,Wo,Cout]
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {
namespace {

// Runs reference::conv2d on a conv2d node made for the purpose. Its input ids
// are placeholders: the conv kernel only counts them (bias and residual present)
// and reads the data from `inputs`.
void run_conv(const graph::Conv2dAttrs& attrs, std::vector<InputView> inputs, float* output,
              const graph::Shape& output_shape) {
  const graph::Node node{.op = graph::OpKind::kConv2d,
                         .inputs = std::vector<graph::ValueId>(inputs.size(), 0),
                         .output = 0,
                         .attrs = attrs,
                         .module_path = {}};
  conv2d(KernelContext{.node = node, .inputs = inputs, .output = output, .output_shape = output_shape});
}

}  // namespace

void inverted_residual(const KernelContext& c) {
  const auto& a = std::get<graph::InvertedResidualAttrs>(c.node.attrs);
  const graph::Shape& xs = c.in_shape(0);
  const int64_t mid = c.in_shape(3)[0];
  const graph::Shape expanded_shape = {xs[0], xs[1], xs[2], mid};
  const graph::Shape depthwise_shape = {xs[0], c.output_shape[1], c.output_shape[2], mid};
  std::vector<float> expanded(static_cast<size_t>(graph::shape_numel(expanded_shape)));
  std::vector<float> depthwise(static_cast<size_t>(graph::shape_numel(depthwise_shape)));

  run_conv({.channels_last = true, .epilogue = {.act = a.expand_act}}, {c.inputs[0], c.inputs[1], c.inputs[2]},
           expanded.data(), expanded_shape);
  run_conv({.stride = {a.stride, a.stride},
            .padding = {a.padding, a.padding},
            .groups = mid,
            .channels_last = true,
            .epilogue = {.act = a.depthwise_act}},
           {InputView{expanded.data(), &expanded_shape}, c.inputs[3], c.inputs[4]}, depthwise.data(), depthwise_shape);
  std::vector<InputView> project = {InputView{depthwise.data(), &depthwise_shape}, c.inputs[5], c.inputs[6]};
  if (a.epilogue.residual) project.push_back(c.inputs.back());
  run_conv({.channels_last = true, .epilogue = a.epilogue}, std::move(project), c.output, c.output_shape);
}

}  // namespace litevit::runtime::reference
