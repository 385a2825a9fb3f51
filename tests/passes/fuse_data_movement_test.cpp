#include <gtest/gtest.h>

#include "graph/builder.h"
#include "pass_test_util.h"
#include "passes/fuse_data_movement.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

TEST(FuseDataMovement, PatchEmbeddingFromNhwcIsOneReshape) {
  Graph g;
  Builder b(g);
  ValueId nhwc = b.input("input", {2, 4, 5, 6});
  ValueId nchw = b.permute(nhwc, {0, 3, 1, 2});
  b.output("tokens", b.transpose(b.flatten(nchw, 2), 1, 2));   // [2, 20, 6]
  auto [fused, changed] = apply_and_compare(g, litevit::passes::fuse_data_movement);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kPermute), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kReshape), 1);
}

TEST(FuseDataMovement, MobileVitUnfoldIsOnePermute) {
  // timm's unfold of an NCHW map that is really NHWC: 2x2 patches, tokens per patch position
  const int64_t B = 2, C = 8, H = 6, W = 4, ph = 2, pw = 2, nh = H / ph, nw = W / pw;
  Graph g;
  Builder b(g);
  ValueId x = b.permute(b.input("input", {B, H, W, C}), {0, 3, 1, 2});
  x = b.reshape(x, {B * C * nh, ph, nw, pw});
  x = b.transpose(x, 1, 2);
  x = b.reshape(x, {B, C, nh * nw, ph * pw});
  x = b.transpose(x, 1, 3);
  b.output("patches", b.reshape(x, {B * ph * pw, nh * nw, C}));
  auto [fused, changed] = apply_and_compare(g, litevit::passes::fuse_data_movement);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kPermute), 1);
  for (const Node& n : fused.nodes()) {
    if (n.op == OpKind::kPermute) {
      const auto& perm = std::get<PermuteAttrs>(n.attrs).perm;
      EXPECT_EQ(perm.back(), static_cast<int64_t>(perm.size()) - 1) << "channels stay the contiguous rows";
    }
  }
}

TEST(FuseDataMovement, InversePermutesVanish) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {3, 4, 5});
  b.output("y", b.relu(b.permute(b.permute(x, {2, 0, 1}), {1, 2, 0})));
  auto [fused, changed] = apply_and_compare(g, litevit::passes::fuse_data_movement);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kPermute), 0);
}

TEST(FuseDataMovement, LeavesChainsWhoseReshapesDoNotFactor) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {6, 4});
  b.output("y", b.reshape(b.transpose(x, 0, 1), {3, 8}));   // 4x6 -> 3x8 cuts across both axes
  auto [same, changed] = apply_and_compare(g, litevit::passes::fuse_data_movement);
  EXPECT_FALSE(changed);
  EXPECT_EQ(count_ops(same, OpKind::kPermute), 1);
}

TEST(FuseDataMovement, StopsAtValuesWithOtherReaders) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 3, 4});
  ValueId t = b.transpose(x, 1, 2);
  b.output("a", b.reshape(t, {2, 12}));
  b.output("t", t);
  auto [same, changed] = apply_and_compare(g, litevit::passes::fuse_data_movement);
  EXPECT_FALSE(changed);
}

}  // namespace
