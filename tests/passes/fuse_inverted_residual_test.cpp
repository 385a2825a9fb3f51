// fuse_inverted_residual: the pass on and off give the same outputs (reference
// kernels: the inverted_residual reference kernel against its three convs),
// it fires on the blocks of MobileViT-xxs, and it leaves the convs alone where
// the pattern does not hold.
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "litevit/error.h"
#include "pass_test_util.h"
#include "passes/assign_layout.h"
#include "passes/fuse_epilogues.h"
#include "passes/fuse_inverted_residual.h"
#include "passes/pipeline.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

struct Block {
  int64_t in = 4, mid = 8, out = 4, size = 9, kernel = 3, stride = 1;
  bool residual = true;
  int64_t dw_groups = 0;                 // 0: depthwise (groups = mid)
  int64_t dw_dilation = 1;
  bool dw_bias = true;
  bool expanded_out = false;             // the expand's output is also a graph output
  bool depthwise_read_twice = false;     // the depthwise output also feeds an add
  bool nhwc = true;                      // run assign_layout (the pass only takes channels_last convs)
};

// An MV2 block as the passes before this one leave it: convs with biases (BN
// folded), NHWC, activations and the residual add in the conv epilogues.
Graph block_graph(const Block& o) {
  Graph g;
  Builder b(g);
  // An NHWC input permuted to NCHW, as a model's activations are once
  // assign_layout ran: the permute then cancels and every conv is NHWC.
  const ValueId x = b.permute(b.input("x", {1, o.size, o.size, o.in}), {0, 3, 1, 2});
  ValueId y = b.silu(b.conv2d("blocks.0.conv1_1x1.conv", x, o.mid, 1));
  const ValueId expanded = y;
  y = b.conv2d("blocks.0.conv2_kxk.conv", y, o.mid, o.kernel,
               {.stride = o.stride, .padding = o.kernel / 2 * o.dw_dilation, .dilation = o.dw_dilation,
                .groups = o.dw_groups == 0 ? o.mid : o.dw_groups, .bias = o.dw_bias});
  y = b.silu(y);
  if (o.depthwise_read_twice) y = b.add(y, b.relu(y));
  y = b.conv2d("blocks.0.conv3_1x1.conv", y, o.out, 1);
  if (o.residual) y = b.add(y, x);
  b.output("y", b.permute(y, {0, 2, 3, 1}));
  if (o.expanded_out) b.output("expanded", expanded);
  if (o.nhwc) litevit::passes::assign_layout(g);
  litevit::passes::fuse_activation(g);
  litevit::passes::fuse_residual_add(g);
  return g;
}

const Node* find_op(const Graph& g, OpKind op) {
  for (const Node& n : g.nodes()) {
    if (n.op == op) return &n;
  }
  return nullptr;
}

TEST(FuseInvertedResidual, StrideOneWithResidual) {
  auto [fused, changed] = apply_and_compare(block_graph({}), litevit::passes::fuse_inverted_residual);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kInvertedResidual), 1);
  EXPECT_EQ(count_ops(fused, OpKind::kConv2d), 0);
  const Node* node = find_op(fused, OpKind::kInvertedResidual);
  ASSERT_NE(node, nullptr);
  const auto& a = std::get<InvertedResidualAttrs>(node->attrs);
  EXPECT_EQ(a.expand_act, Activation::kSilu);
  EXPECT_EQ(a.depthwise_act, Activation::kSilu);
  EXPECT_EQ(a.epilogue.act, Activation::kNone);
  EXPECT_TRUE(a.epilogue.residual);
  EXPECT_EQ(a.stride, 1);
  EXPECT_EQ(a.padding, 1);
  EXPECT_EQ(node->module_path, "blocks.0");
  // Same multiply-adds as the three convs it replaces.
  EXPECT_EQ(total_macs(fused), total_macs(block_graph({})));
}

TEST(FuseInvertedResidual, StrideTwoOddSizesNoResidual) {
  const Block block{.in = 3, .mid = 11, .out = 5, .size = 7, .stride = 2, .residual = false};
  auto [fused, changed] = apply_and_compare(block_graph(block), litevit::passes::fuse_inverted_residual);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kInvertedResidual), 1);
  EXPECT_EQ(count_ops(fused, OpKind::kConv2d), 0);
  EXPECT_EQ(fused.value(fused.outputs()[0].second).shape, (Shape{1, 4, 4, 5}));
  EXPECT_EQ(total_macs(fused), total_macs(block_graph(block)));
}

TEST(FuseInvertedResidual, KernelFive) {
  auto [fused, changed] = apply_and_compare(block_graph({.kernel = 5}), litevit::passes::fuse_inverted_residual);
  EXPECT_TRUE(changed);
  EXPECT_EQ(std::get<InvertedResidualAttrs>(find_op(fused, OpKind::kInvertedResidual)->attrs).padding, 2);
}

void expect_unchanged(const Block& block) {
  auto [same, changed] = apply_and_compare(block_graph(block), litevit::passes::fuse_inverted_residual);
  EXPECT_FALSE(changed);
  EXPECT_EQ(count_ops(same, OpKind::kInvertedResidual), 0);
  EXPECT_EQ(count_ops(same, OpKind::kConv2d), 3);
}

TEST(FuseInvertedResidual, NotWhenTheExpandedTensorIsAnOutput) { expect_unchanged({.expanded_out = true}); }

TEST(FuseInvertedResidual, NotWhenTheDepthwiseOutputIsReadTwice) { expect_unchanged({.depthwise_read_twice = true}); }

TEST(FuseInvertedResidual, NotForAGroupedButNotDepthwiseMiddleConv) { expect_unchanged({.dw_groups = 4}); }

TEST(FuseInvertedResidual, NotForADilatedMiddleConv) { expect_unchanged({.dw_dilation = 2}); }

// The op always has its three biases (fold_batchnorm gives every folded conv one).
TEST(FuseInvertedResidual, NotForAConvWithoutBias) { expect_unchanged({.dw_bias = false}); }

TEST(FuseInvertedResidual, NotForNchwConvs) { expect_unchanged({.nhwc = false}); }

TEST(FuseInvertedResidual, EveryMobileVitXxsBlock) {
  // Seven MV2 blocks: stages.0.0, 1.0-1.2, and the stride-2 block before each MobileViT block.
  litevit::Model model = litevit::Model::load("mobilevit_xxs", {.threads = 1});
  model.use_random_weights(1);
  const litevit::ModelInfo info = model.info(model.default_input_shape(1), /*compiled=*/true);
  int blocks = 0;
  for (const litevit::NodeKernel& node : info.node_kernels) blocks += node.op == "inverted_residual" ? 1 : 0;
  EXPECT_EQ(blocks, 7);
}

TEST(InvertedResidualOp, ShapeInferenceNamesMismatchedWeights) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("x", {1, 6, 6, 4});
  const std::array<ValueId, 6> weights = {b.input("we", {8, 4, 1, 1}), b.input("be", {8}),
                                          b.input("wd", {8, 1, 3, 3}), b.input("bd", {7}),
                                          b.input("wp", {4, 8, 1, 1}), b.input("bp", {4})};
  try {
    b.inverted_residual(x, weights, {.padding = 1});
    FAIL() << "expected an error";
  } catch (const litevit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("depthwise bias has shape [7], expected [8]"), std::string::npos) << e.what();
  }
}

}  // namespace
