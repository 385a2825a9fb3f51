#include <gtest/gtest.h>

#include "graph/builder.h"
#include "pass_test_util.h"
#include "passes/assign_layout.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

TEST(AssignLayout, ConvChainCarriesNoPermutes) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 3, 12, 10});
  ValueId a = b.silu(b.batch_norm("bn1", b.conv2d("c1", x, 8, 3, {.stride = 2, .padding = 1})));
  ValueId d = b.gelu(b.conv2d("dw", a, 8, 3, {.padding = 1, .groups = 8}));
  ValueId y = b.add(b.conv2d("c2", d, 8, 1), a);                            // residual
  y = b.concat({y, b.scale(a, 0.5f)}, 1);                                   // channel concat
  y = b.interpolate_bilinear(y, 7, 9, false);
  y = b.conv2d("c3", y, 4, 1);
  b.output("pooled", b.mean(y, {2, 3}, false));                             // global pool
  b.output("map", b.relu(y));                                               // NCHW map output
  auto [nhwc, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_TRUE(changed);
  // One permute into NHWC at the input, one back for the map output: nothing in between.
  EXPECT_EQ(count_ops(nhwc, OpKind::kPermute), 2);
  for (const Node& n : nhwc.nodes()) {
    if (n.op == OpKind::kConv2d) {
      EXPECT_TRUE(std::get<Conv2dAttrs>(n.attrs).channels_last);
    } else if (n.op == OpKind::kInterpolate) {
      EXPECT_TRUE(std::get<InterpolateAttrs>(n.attrs).channels_last);
    } else if (n.op == OpKind::kBatchNorm) {
      EXPECT_EQ(std::get<NormAttrs>(n.attrs).axis, 3);
    }
  }
}

TEST(AssignLayout, PoolingMixerAndGroupNormStayNhwc) {
  // PoolFormer / MobileViTv2 pieces: conv -> group_norm -> (pool - x) -> hard_swish, sigmoid gate, div.
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 3, 9, 7});
  ValueId a = b.conv2d("c1", x, 8, 3, {.padding = 1});
  ValueId n = b.group_norm("norm", a, 2, 1e-5f);
  ValueId mixed = b.sub(b.avg_pool2d(n, 3, {.stride = 1, .padding = 1, .count_include_pad = false}), n);
  ValueId gate = b.sigmoid(b.mean(mixed, {2, 3}, true));
  ValueId y = b.hard_swish(b.add(a, b.mul(mixed, gate)));
  y = b.div(y, b.relu6(b.hard_sigmoid(y)));
  y = b.max_pool2d(y, 3, {.stride = 2, .padding = 1, .ceil_mode = true});
  b.output("y", b.conv2d("c2", y, 4, 1));
  auto [nhwc, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(nhwc, OpKind::kPermute), 2);   // into NHWC at the input, back at the output
  for (const Node& node : nhwc.nodes()) {
    if (node.op == OpKind::kPool2d) {
      EXPECT_TRUE(std::get<Pool2dAttrs>(node.attrs).channels_last);
    } else if (node.op == OpKind::kGroupNorm) {
      EXPECT_TRUE(std::get<GroupNormAttrs>(node.attrs).channels_last);
    }
  }
}

TEST(AssignLayout, GroupNormOnTokensIsLeftAlone) {
  // A group_norm whose input is not an NHWC map keeps its own layout.
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 6, 5});
  b.output("y", b.group_norm("norm", b.linear("fc", x, 5), 3, 1e-5f));
  auto [same, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_FALSE(changed);
  EXPECT_FALSE(std::get<GroupNormAttrs>(same.nodes().back().attrs).channels_last);
}

TEST(AssignLayout, AddWithChannelConstantPermutesTheConstant) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 4, 4});
  ValueId y = b.add(b.conv2d("c", x, 5, 1), b.parameter("bias", {1, 5, 1, 1}));
  b.output("y", b.conv2d("c2", y, 2, 1));
  auto [nhwc, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(nhwc, OpKind::kPermute), 3);   // input, constant, output
}

TEST(AssignLayout, LowerRankConstantIsPermutedToo) {
  // A [C,1,1] layer scale (PoolFormer, EfficientFormer) keeps the residual stream NHWC.
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 4, 4});
  ValueId a = b.conv2d("c", x, 5, 1);
  ValueId y = b.add(a, b.mul(b.conv2d("c1", a, 5, 1), b.parameter("scale", {5, 1, 1})));
  b.output("y", b.conv2d("c2", y, 2, 1));
  auto [nhwc, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(nhwc, OpKind::kPermute), 3);   // input, constant, output
}

TEST(AssignLayout, TokenReshapeAfterConvKeepsOnePermute) {
  // patch embedding: conv -> flatten -> transpose; the reshape needs the NCHW tensor
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 3, 16, 16});
  x = b.conv2d("proj", x, 6, 4, {.stride = 4});
  b.output("tokens", b.transpose(b.flatten(x, 2), 1, 2));
  auto [nhwc, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_TRUE(changed);
}

TEST(AssignLayout, GraphWithoutConvsIsUnchanged) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 5, 8});
  b.output("y", b.gelu(b.linear("fc", x, 8)));
  auto [same, changed] = apply_and_compare(g, litevit::passes::assign_layout);
  EXPECT_FALSE(changed);
  EXPECT_EQ(same.nodes().size(), 2u);
}

}  // namespace
