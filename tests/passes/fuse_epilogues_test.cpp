#include <gtest/gtest.h>

#include "graph/builder.h"
#include "pass_test_util.h"
#include "passes/fuse_epilogues.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

TEST(FuseActivation, IntoLinearAndConv) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 6, 6});
  ValueId c = b.silu(b.conv2d("c", x, 4, 3, {.padding = 1}));
  ValueId t = b.transpose(b.flatten(c, 2), 1, 2);
  b.output("y", b.relu(b.gelu(b.linear("fc", t, 5))));   // gelu fuses; relu then has no fusable producer
  auto [fused, changed] = apply_and_compare(g, litevit::passes::fuse_activation);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kSilu), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kGelu), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kRelu), 1);
}

TEST(FuseActivation, SigmoidHardSwishRelu6ButNotHardSigmoid) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 6, 6});
  ValueId c = b.hard_swish(b.conv2d("c1", x, 4, 3, {.padding = 1}));
  c = b.relu6(b.conv2d("c2", c, 4, 3, {.padding = 1, .groups = 4}));
  c = b.hard_sigmoid(b.conv2d("c3", c, 4, 1));   // oneDNN 2.6 has no hardsigmoid post-op: stays a node
  ValueId t = b.transpose(b.flatten(c, 2), 1, 2);
  b.output("y", b.sigmoid(b.linear("fc", t, 5)));
  auto [fused, changed] = apply_and_compare(g, litevit::passes::fuse_activation);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kHardSwish), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kRelu6), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kSigmoid), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kHardSigmoid), 1);
  const auto act_of = [&](const std::string& path) {
    for (const Node& n : fused.nodes()) {
      if (n.module_path == path) return epilogue_of(n)->act;
    }
    return Activation::kNone;
  };
  EXPECT_EQ(act_of("c1"), Activation::kHardSwish);
  EXPECT_EQ(act_of("c2"), Activation::kRelu6);
  EXPECT_EQ(act_of("c3"), Activation::kNone);
  EXPECT_EQ(act_of("fc"), Activation::kSigmoid);
}

TEST(FuseActivation, NotWhenTheProducerOutputIsReadTwice) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 4});
  ValueId h = b.linear("fc", x, 4);
  b.output("y", b.add(b.gelu(h), h));
  auto [same, changed] = apply_and_compare(g, litevit::passes::fuse_activation);
  EXPECT_FALSE(changed);
}

TEST(FuseResidualAdd, TransformerResidual) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 7, 8});
  ValueId y = b.add(x, b.linear("proj", b.layer_norm("norm", x, 1e-6f), 8));
  y = b.add(b.linear("fc2", b.gelu(b.linear("fc1", y, 16)), 8), y);
  b.output("y", y);
  auto [fused, changed] = apply_and_compare(g, [](Graph& graph) {
    return litevit::passes::fuse_activation(graph) | litevit::passes::fuse_residual_add(graph);
  });
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kAdd), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kGelu), 0);
}

TEST(FuseResidualAdd, NotWithBroadcasting) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 7, 8});
  b.output("y", b.add(b.linear("fc", x, 8), b.parameter("pos", {1, 7, 8})));
  auto [same, changed] = apply_and_compare(g, litevit::passes::fuse_residual_add);
  EXPECT_FALSE(changed);
}

TEST(FoldIntoMatmul, TransposeAndScale) {
  Graph g;
  Builder b(g);
  ValueId q = b.input("q", {2, 3, 5, 4});
  ValueId k = b.input("k", {2, 3, 5, 4});
  b.output("attn", b.softmax(b.matmul(b.scale(q, 0.5f), b.transpose(k, -2, -1)), -1));
  auto [folded, changed] = apply_and_compare(g, [](Graph& graph) {
    return litevit::passes::fold_transpose_into_matmul(graph) | litevit::passes::fold_scale_into_matmul(graph);
  });
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(folded, OpKind::kPermute), 0);
  EXPECT_EQ(count_ops(folded, OpKind::kScale), 0);
  const auto& attrs = std::get<MatMulAttrs>(folded.nodes()[0].attrs);
  EXPECT_TRUE(attrs.transpose_b);
  EXPECT_EQ(attrs.alpha, 0.5f);
}

TEST(FoldIntoMatmul, NotForOtherPermutes) {
  Graph g;
  Builder b(g);
  ValueId a = b.input("a", {3, 4, 5});
  ValueId c = b.input("c", {5, 3, 6});
  b.output("y", b.matmul(a, b.transpose(c, 0, 1)));   // swaps the leading axes, not the last two
  auto [same, changed] = apply_and_compare(g, litevit::passes::fold_transpose_into_matmul);
  EXPECT_FALSE(changed);
}

}  // namespace
