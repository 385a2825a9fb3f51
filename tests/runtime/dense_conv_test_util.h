// For the tests of the dense NHWC conv kernels (conv2d_hwy, conv2d_winograd_hwy):
// one conv node described by its sizes, as the layout and fusion passes leave it.
#pragma once

#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "runtime/kernel_test_util.h"

namespace litevit::testing_util {

struct DenseConv {
  int64_t batch = 1, height, width, in, out;
  std::array<int64_t, 2> kernel{3, 3}, stride{1, 1}, padding{1, 1}, dilation{1, 1};
  int64_t groups = 1;
  bool bias = true;
  graph::Activation act = graph::Activation::kNone;
  bool residual = false;

  std::string str() const {
    return fmt::format("N{} {}x{} {}->{} k{}x{} s{}x{} p{}x{} d{}x{} g{} bias={} act={} residual={}", batch, height,
                       width, in, out, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
                       dilation[0], dilation[1], groups, bias, graph::activation_name(act), residual);
  }
};

// x [batch, height, width, in] -> one channels_last conv2d node (+ its
// epilogue) -> graph output "y"; the weights are not bound.
inline graph::Graph dense_conv_graph(const DenseConv& c) {
  using namespace graph;
  Graph g;
  Builder b(g);
  std::vector<ValueId> inputs = {b.input("x", {c.batch, c.height, c.width, c.in}),
                                 b.parameter("conv.weight", {c.out, c.in / c.groups, c.kernel[0], c.kernel[1]})};
  if (c.bias) inputs.push_back(b.parameter("conv.bias", {c.out}));
  const Conv2dAttrs attrs{.stride = c.stride, .padding = c.padding, .dilation = c.dilation, .groups = c.groups,
                          .channels_last = true, .epilogue = {.act = c.act}};
  add_output_node(g, Node{.op = OpKind::kConv2d, .inputs = inputs, .output = kNoValue, .attrs = attrs,
                          .module_path = "conv"},
                  c.residual);
  return g;
}

}  // namespace litevit::testing_util
