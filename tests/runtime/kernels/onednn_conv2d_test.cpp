// conv2d_onednn vs the reference conv2d on NHWC (channels_last) nodes:
// dense, 1x1, stem, depthwise, grouped, dilated, strided, with and without
// bias, every epilogue activation, with a residual; odd channel counts and
// spatial sizes so the vector tails are exercised.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <set>
#include <thread>

#include "runtime/kernel_test_util.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/registry.h"

namespace {

using litevit::runtime::onednn::kConv2dOnednn;
using litevit::testing_util::expect_fast_matches;
using litevit::testing_util::expect_kernel_matches_reference;

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

struct ConvCase {
  int64_t batch, in_ch, out_ch, height, width;
  std::array<int64_t, 2> kernel, stride, padding, dilation;
  int64_t groups;
  bool bias;
  Activation act;
  bool residual;
};

// One channels_last conv2d node, as assign_layout and the fusion passes leave it.
Graph conv_graph(const ConvCase& c, bool channels_last = true) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", channels_last ? Shape{c.batch, c.height, c.width, c.in_ch}
                                                   : Shape{c.batch, c.in_ch, c.height, c.width});
  std::vector<ValueId> inputs = {x, b.parameter("conv.weight", {c.out_ch, c.in_ch / c.groups, c.kernel[0], c.kernel[1]})};
  if (c.bias) inputs.push_back(b.parameter("conv.bias", {c.out_ch}));
  Conv2dAttrs attrs{.stride = c.stride, .padding = c.padding, .dilation = c.dilation, .groups = c.groups,
                    .channels_last = channels_last, .epilogue = {.act = c.act, .residual = false}};
  Node node{.op = OpKind::kConv2d, .inputs = inputs, .output = kNoValue, .attrs = attrs, .module_path = "conv"};
  litevit::testing_util::add_output_node(g, std::move(node), c.residual);
  return g;
}

std::string describe(const ConvCase& c) {
  return fmt::format("N{} {}->{} {}x{} k{}x{} s{}x{} p{}x{} d{}x{} g{} bias={} act={} residual={}", c.batch,
                     c.in_ch, c.out_ch, c.height, c.width, c.kernel[0], c.kernel[1], c.stride[0], c.stride[1],
                     c.padding[0], c.padding[1], c.dilation[0], c.dilation[1], c.groups, c.bias,
                     activation_name(c.act), c.residual);
}

constexpr Activation kNone = Activation::kNone, kRelu = Activation::kRelu, kGelu = Activation::kGelu,
                     kSilu = Activation::kSilu, kSigmoid = Activation::kSigmoid,
                     kHardSwish = Activation::kHardSwish, kRelu6 = Activation::kRelu6;

const std::vector<ConvCase> kCases = {
    // 1x1, odd channels (tails)
    {1, 17, 33, 9, 7, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kNone, false},
    {2, 33, 17, 5, 6, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, false, kRelu, false},
    {1, 64, 48, 8, 8, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kSilu, true},
    // dense 3x3
    {1, 16, 32, 12, 12, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true, kRelu, false},
    {1, 17, 33, 11, 13, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true, kGelu, true},
    {2, 8, 12, 10, 9, {3, 3}, {2, 2}, {0, 0}, {1, 1}, 1, false, kNone, false},
    // stem: 3 input channels, stride 2
    {1, 3, 16, 33, 31, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1, true, kSilu, false},
    {2, 3, 16, 32, 32, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1, false, kRelu, false},
    // patch embedding: kernel = stride
    {1, 3, 24, 32, 32, {4, 4}, {4, 4}, {0, 0}, {1, 1}, 1, true, kNone, false},
    // depthwise, stride 1 and 2, odd sizes
    {1, 24, 24, 14, 14, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 24, true, kSilu, false},
    {1, 33, 33, 15, 17, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 33, true, kGelu, false},
    {2, 17, 17, 16, 16, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 17, false, kRelu, true},
    {1, 32, 32, 13, 13, {5, 5}, {2, 2}, {2, 2}, {1, 1}, 32, true, kNone, false},
    {1, 40, 40, 9, 9, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 40, true, kSilu, true},
    // depthwise multiplier 2 (groups = in channels, 2 outputs each)
    {1, 8, 16, 10, 10, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 8, true, kNone, false},
    {1, 8, 16, 10, 10, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 8, false, kGelu, true},
    // dilation
    {1, 8, 12, 14, 13, {3, 3}, {1, 1}, {2, 2}, {2, 2}, 1, true, kRelu, false},
    {1, 16, 16, 12, 12, {3, 3}, {1, 1}, {3, 3}, {3, 3}, 16, true, kNone, false},
    {1, 16, 16, 12, 12, {3, 3}, {1, 1}, {2, 2}, {2, 2}, 16, true, kSilu, true},
    // grouped
    {1, 12, 20, 9, 11, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 4, true, kSilu, false},
    {2, 6, 10, 12, 7, {3, 1}, {2, 1}, {1, 0}, {1, 1}, 2, false, kGelu, true},
    // asymmetric everything
    {1, 5, 7, 13, 10, {2, 3}, {1, 2}, {0, 1}, {2, 1}, 1, true, kNone, true},
    // sigmoid / hard_swish / relu6 epilogues (MobileNet-style blocks, EfficientViT, MobileViTv2)
    {1, 17, 33, 9, 7, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kHardSwish, false},
    {1, 24, 24, 14, 14, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 24, true, kRelu6, false},
    {1, 33, 33, 15, 17, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 33, true, kHardSwish, true},
    {1, 16, 32, 12, 12, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, false, kSigmoid, false},
    {1, 64, 48, 8, 8, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kRelu6, true},
    {2, 17, 17, 16, 16, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 17, false, kSigmoid, true},
};

// The oneDNN kernel made directly: plans give the dense convs conv2d_hwy takes
// (hwy_conv2d_test.cpp) to that kernel instead.
TEST(conv2d_onednn, MatchesReference) {
  uint32_t seed = 1;
  for (const ConvCase& c : kCases) {
    SCOPED_TRACE(describe(c));
    expect_kernel_matches_reference(kConv2dOnednn, conv_graph(c), {1}, seed++);
  }
}

TEST(conv2d_onednn, TwoThreads) {
  for (const ConvCase& c : {kCases[4], kCases[10]}) {
    SCOPED_TRACE(describe(c));
    expect_kernel_matches_reference(kConv2dOnednn, conv_graph(c), {2}, 7);
  }
}

// Plans pick conv2d_winograd_hwy for dense 3x3 stride-1 convs and
// conv2d_hwy for other dense k x k convs, both of 8 or more input channels;
// conv2d_onednn for the rest (1x1, stem, depthwise, grouped, dilated).
TEST(conv2d_onednn, PlansPickOnednnWhereConv2dHwyDoesNotPay) {
  for (const ConvCase& c : kCases) {
    SCOPED_TRACE(describe(c));
    const bool hwy = c.groups == 1 && c.dilation == std::array<int64_t, 2>{1, 1} && c.kernel[0] * c.kernel[1] > 1 &&
                     c.in_ch >= 8;
    const bool winograd = hwy && c.kernel == std::array<int64_t, 2>{3, 3} && c.stride == std::array<int64_t, 2>{1, 1};
    expect_fast_matches(conv_graph(c), {winograd ? "conv2d_winograd_hwy" : hwy ? "conv2d_hwy" : "conv2d_onednn"}, 1, 3);
  }
}

// A dense 3x3 stride-1 conv: conv2d_winograd_hwy by default; disabling it,
// then conv2d_hwy, then conv2d_onednn hands the node to the next kernel
// (conv2d_hwy, conv2d_onednn, the reference kernel); the same outputs.
TEST(conv2d_onednn, TakesDenseConvsWhenConv2dHwyIsDisabled) {
  Graph g = conv_graph(kCases[4]);
  litevit::testing_util::bind_random_parameters(g, 9);
  const litevit::Tensor x{g.value(g.inputs()[0]).shape,
                          litevit::testing_util::random_values(shape_numel(g.value(g.inputs()[0]).shape), 3)};
  const litevit::Tensor residual{g.value(g.inputs()[1]).shape,
                                 litevit::testing_util::random_values(shape_numel(g.value(g.inputs()[1]).shape), 4)};
  using Names = std::vector<std::string>;
  std::vector<std::vector<float>> outputs;
  for (const auto& [disabled, kernel] : std::vector<std::pair<std::set<std::string>, std::string>>{
           {{}, "conv2d_winograd_hwy"},
           {{"conv2d_winograd_hwy"}, "conv2d_hwy"},
           {{"conv2d_winograd_hwy", "conv2d_hwy"}, "conv2d_onednn"},
           {{"conv2d_winograd_hwy", "conv2d_hwy", "conv2d_onednn"}, "conv2d_reference"}}) {
    const litevit::runtime::Plan plan(g, {.threads = 1, .disabled_kernels = disabled});
    EXPECT_EQ(plan.kernel_names(), Names{kernel});
    outputs.push_back(plan.run({&x, &residual}).at(0).second.data);
  }
  for (size_t i = 1; i < outputs.size(); ++i) {
    EXPECT_LE(litevit::testing_util::relative_error(outputs[i], outputs[0]), 1e-5) << i;
  }
  EXPECT_THROW(litevit::runtime::Plan(g, {.threads = 1, .disabled_kernels = {"conv2d_dnnl"}}), litevit::Error);
}

TEST(conv2d_onednn, NotChosenForNchwOrNonConstantWeights) {
  const auto nchw = compare_fast_to_reference(conv_graph(kCases[3], /*channels_last=*/false), 3);
  EXPECT_EQ(nchw.fast_kernels, std::vector<std::string>{"conv2d_reference"});

  // The weight is a graph input (an activation): nothing to pack at compile time.
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", {1, 6, 6, 4});
  const ValueId w = b.input("weight", {8, 4, 3, 3});
  Node node{.op = OpKind::kConv2d, .inputs = {x, w}, .output = kNoValue,
            .attrs = Conv2dAttrs{.channels_last = true}, .module_path = "conv"};
  node.output = g.add_value({.kind = ValueKind::kNodeOutput, .name = "y", .shape = infer_shape(g, node)});
  const ValueId y = node.output;
  g.add_node(std::move(node));
  b.output("y", y);
  const auto dynamic = compare_fast_to_reference(g, 4);
  EXPECT_EQ(dynamic.fast_kernels, std::vector<std::string>{"conv2d_reference"});
}

// Convs only oneDNN's older jit kernels handle (grouped, dilated depthwise,
// depthwise with a channel multiplier) fall to ref:any with "activation then
// sum"; the kernel must then use a binary-add residual instead.
TEST(conv2d_onednn, ActivationAndResidualAvoidRefOnOlderJitConvs) {
  const std::vector<ConvCase> shapes = {
      {1, 64, 64, 12, 12, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 4, true, kGelu, true},      // grouped
      {1, 16, 16, 12, 12, {3, 3}, {1, 1}, {2, 2}, {2, 2}, 16, true, kSilu, true},     // dilated depthwise
      {1, 8, 16, 10, 10, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 8, true, kRelu, true},       // channel multiplier 2
      {1, 17, 33, 11, 13, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true, kGelu, true},      // dense: brgconv with sum
  };
  for (const ConvCase& c : shapes) {
    Graph g = conv_graph(c);
    litevit::testing_util::bind_random_parameters(g, 5);
    const auto kernel = kConv2dOnednn.create({.graph = g, .threads = 1}, g.node(0));
    const std::string impl = litevit::runtime::onednn::implementation_of(*kernel);
    EXPECT_EQ(impl.find("ref"), std::string::npos) << describe(c) << ": " << impl;
  }
}

// One plan, one kernel, run from two threads at once (plans of 1 and 2 OpenMP
// threads): the same bits as alone.
TEST(conv2d_onednn, ConcurrentRunsOfOnePlan) {
  litevit::testing_util::expect_concurrent_runs_identical(conv_graph(kCases[10]), "conv2d_onednn");
}

// The convs of MobileViT-xxs (256x256 input, NHWC, BN folded, SiLU fused):
// oneDNN must pick an optimised implementation, never "ref" (the dense 3x3
// ones run on conv2d_hwy in plans, but stay oneDNN's fallback).
TEST(conv2d_onednn, MobileVitShapesUseOptimisedKernels) {
  const std::vector<ConvCase> shapes = {
      {1, 3, 16, 256, 256, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1, true, kSilu, false},     // stem
      {1, 16, 32, 128, 128, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kSilu, false},    // mv2 expand (ratio 2)
      {1, 32, 32, 128, 128, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 32, true, kSilu, false},   // dw s1
      {1, 32, 16, 128, 128, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kNone, true},     // project + residual
      {1, 32, 32, 128, 128, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 32, true, kSilu, false},   // dw s2
      {1, 48, 48, 64, 64, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 48, true, kSilu, false},     // dw s1, 48 channels
      {1, 96, 96, 64, 64, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 96, true, kSilu, false},     // dw s2, 96 channels
      {1, 48, 48, 32, 32, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true, kSilu, false},      // local rep 3x3
      {1, 48, 64, 32, 32, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, false, kNone, false},     // to transformer dim
      {1, 96, 48, 32, 32, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1, true, kSilu, false},      // fusion 3x3
      {1, 80, 320, 8, 8, {1, 1}, {1, 1}, {0, 0}, {1, 1}, 1, true, kSilu, false},       // final 1x1
  };
  for (const ConvCase& c : shapes) {
    Graph g = conv_graph(c);
    litevit::testing_util::bind_random_parameters(g, 5);
    const auto kernel = kConv2dOnednn.create({.graph = g, .threads = 1}, g.node(0));
    const std::string impl = litevit::runtime::onednn::implementation_of(*kernel);
    std::cout << describe(c) << ": " << impl << "\n";
    EXPECT_FALSE(impl.empty()) << describe(c);
    EXPECT_EQ(impl.find("ref"), std::string::npos) << describe(c) << ": " << impl;
  }
}

}  // namespace
