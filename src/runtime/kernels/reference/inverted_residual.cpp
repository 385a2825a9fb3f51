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
  const auto convs = graph::inverted_residual_convs(a, c.in_shape(0), c.in_shape(3)[0], c.output_shape);
  std::vector<float> expanded(static_cast<size_t>(graph::shape_numel(convs.expanded)));
  std::vector<float> depthwise(static_cast<size_t>(graph::shape_numel(convs.depthwise)));

  run_conv(convs.attrs[0], {c.inputs[0], c.inputs[1], c.inputs[2]}, expanded.data(), convs.expanded);
  run_conv(convs.attrs[1], {InputView{expanded.data(), &convs.expanded}, c.inputs[3], c.inputs[4]}, depthwise.data(),
           convs.depthwise);
  std::vector<InputView> project = {InputView{depthwise.data(), &convs.depthwise}, c.inputs[5], c.inputs[6]};
  if (a.epilogue.residual) project.push_back(c.inputs.back());
  run_conv(convs.attrs[2], std::move(project), c.output, c.output_shape);
}

}  // namespace litevit::runtime::reference
