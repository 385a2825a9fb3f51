// fuse_attention: the pass on and off give the same outputs (reference
// kernels: the attention reference kernel against matmul + softmax + matmul),
// and it leaves the three ops alone where the pattern does not hold.
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "litevit/error.h"
#include "pass_test_util.h"
#include "passes/fuse_attention.h"
#include "passes/fuse_epilogues.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

struct Options {
  Shape bias;                     // scores + an input of this shape before the softmax (none if empty)
  bool scale_after = false;       // the 1/sqrt(d) scale on the scores (LeViT) rather than on q
  bool scale_after_bias = false;  // ... and after the bias add (scales the bias too)
  bool probabilities_out = false; // the softmax output is also a graph output
  int64_t softmax_axis = -1;
};

// softmax(q k^T / sqrt(d) [+ bias]) v as a model writes it, after the
// transpose and the scale were folded into the first matmul.
Graph attention_graph(const Shape& q, const Shape& k, const Shape& v, const Options& o = {}) {
  Graph g;
  Builder b(g);
  const ValueId qv = b.input("q", q), kv = b.input("k", k), vv = b.input("v", v);
  const bool scale_q = !o.scale_after && !o.scale_after_bias;
  ValueId s = b.matmul(scale_q ? b.scale(qv, 0.25f) : qv, b.transpose(kv, -2, -1));
  if (o.scale_after) s = b.scale(s, 0.25f);
  if (!o.bias.empty()) s = b.add(s, b.input("bias", o.bias));
  if (o.scale_after_bias) s = b.scale(s, 0.25f);
  const ValueId p = b.softmax(s, o.softmax_axis);
  b.output("y", b.matmul(p, vv));
  if (o.probabilities_out) b.output("p", p);
  litevit::passes::fold_transpose_into_matmul(g);
  litevit::passes::fold_scale_into_matmul(g);
  return g;
}

TEST(FuseAttention, BatchedHeadsWithOtherKeyAndValueSizes) {
  // batch 2, 3 heads, 7 queries of 5, 9 keys, values of 4.
  auto [fused, changed] =
      apply_and_compare(attention_graph({2, 3, 7, 5}, {2, 3, 9, 5}, {2, 3, 9, 4}), litevit::passes::fuse_attention);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kAttention), 1);
  EXPECT_EQ(count_ops(fused, OpKind::kMatMul), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kSoftmax), 0);
  for (const Node& n : fused.nodes()) {
    if (n.op == OpKind::kAttention) {
      EXPECT_FLOAT_EQ(std::get<AttentionAttrs>(n.attrs).alpha, 0.25f);
    }
  }
  EXPECT_EQ(fused.value(fused.outputs().begin()->second).shape, (Shape{2, 3, 7, 4}));
  // Same multiply-adds as the two matmuls it replaces.
  EXPECT_EQ(total_macs(fused), total_macs(attention_graph({2, 3, 7, 5}, {2, 3, 9, 5}, {2, 3, 9, 4})));
}

TEST(FuseAttention, WithABiasPerHeadAndTheScaleOnTheScores) {
  // LeViT / EfficientFormer: scale(q k^T) + bias[heads, N, M].
  auto [fused, changed] =
      apply_and_compare(attention_graph({2, 3, 6, 4}, {2, 3, 8, 4}, {2, 3, 8, 5}, {.bias = {3, 6, 8}, .scale_after = true}),
                        litevit::passes::fuse_attention);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(fused, OpKind::kAttention), 1);
  EXPECT_EQ(count_ops(fused, OpKind::kAdd), 0);
  EXPECT_EQ(count_ops(fused, OpKind::kScale), 0);
  for (const Node& n : fused.nodes()) {
    if (n.op == OpKind::kAttention) {
      EXPECT_EQ(n.inputs.size(), 4u);
      EXPECT_FLOAT_EQ(std::get<AttentionAttrs>(n.attrs).alpha, 0.25f);
    }
  }
}

TEST(FuseAttention, WithABiasPerBatchAndHeadOrSharedByAll) {
  for (const Shape& bias : {Shape{2, 3, 6, 8}, Shape{2, 1, 6, 8}, Shape{1, 1, 6, 8}, Shape{6, 8}}) {
    SCOPED_TRACE(shape_str(bias));
    auto [fused, changed] = apply_and_compare(attention_graph({2, 3, 6, 4}, {2, 3, 8, 4}, {2, 3, 8, 5}, {.bias = bias}),
                                              litevit::passes::fuse_attention);
    EXPECT_TRUE(changed);
    EXPECT_EQ(count_ops(fused, OpKind::kAttention), 1);
  }
}

// Swin: scores [B*windows, heads, N, M] regrouped to [B, windows, heads, N, M]
// for the bias + window mask [windows, heads, N, M], then back.
Graph swin_graph(int64_t batch, const Shape& mask) {
  Graph g;
  Builder b(g);
  const int64_t windows = 4, heads = 2, n = 5, d = 3;
  const Shape qs = {batch * windows, heads, n, d};
  const ValueId q = b.input("q", qs), k = b.input("k", qs), v = b.input("v", qs);
  ValueId s = b.matmul(q, b.transpose(k, -2, -1));
  s = b.reshape(s, {batch, windows, heads, n, n});
  s = b.add(s, b.parameter("mask", mask));
  s = b.reshape(s, {batch * windows, heads, n, n});
  b.output("y", b.matmul(b.softmax(s, -1), v));
  litevit::passes::fold_transpose_into_matmul(g);
  return g;
}

TEST(FuseAttention, ThroughReshapesOfTheLeadingDims) {
  for (const Shape& mask : {Shape{4, 2, 5, 5}, Shape{1, 4, 1, 5, 5}, Shape{2, 5, 5}}) {
    SCOPED_TRACE(shape_str(mask));
    auto [fused, changed] = apply_and_compare(swin_graph(1, mask), litevit::passes::fuse_attention);
    EXPECT_TRUE(changed);
    EXPECT_EQ(count_ops(fused, OpKind::kAttention), 1);
    EXPECT_EQ(count_ops(fused, OpKind::kReshape), 0);
  }
  // Two images: the mask repeats per image, which no bias of the scores' leading dims expresses.
  auto [same, changed] = apply_and_compare(swin_graph(2, {4, 2, 5, 5}), litevit::passes::fuse_attention);
  EXPECT_FALSE(changed);
}

TEST(FuseAttention, NotWhenTheScaleFollowsTheBias) {
  // softmax(s (q k^T + bias)): the scale applies to the bias too.
  auto [same, changed] = apply_and_compare(
      attention_graph({1, 2, 6, 4}, {1, 2, 6, 4}, {1, 2, 6, 4}, {.bias = {2, 6, 6}, .scale_after_bias = true}),
      litevit::passes::fuse_attention);
  EXPECT_FALSE(changed);
  EXPECT_EQ(count_ops(same, OpKind::kAttention), 0);
}

TEST(FuseAttention, NotWithABiasBroadcastAlongTheKeys) {
  // A [N, 1] bias broadcasts inside the score matrix; the op takes whole [N, M] ones.
  auto [same, changed] = apply_and_compare(attention_graph({1, 2, 6, 4}, {1, 2, 6, 4}, {1, 2, 6, 4}, {.bias = {6, 1}}),
                                           litevit::passes::fuse_attention);
  EXPECT_FALSE(changed);
}

TEST(FuseAttention, NotWhenTheProbabilitiesAreAnOutput) {
  auto [same, changed] = apply_and_compare(
      attention_graph({1, 2, 6, 4}, {1, 2, 6, 4}, {1, 2, 6, 4}, {.probabilities_out = true}),
      litevit::passes::fuse_attention);
  EXPECT_FALSE(changed);
  EXPECT_EQ(count_ops(same, OpKind::kSoftmax), 1);
}

TEST(FuseAttention, NotForASoftmaxOverTheQueries) {
  auto [same, changed] = apply_and_compare(
      attention_graph({1, 2, 6, 4}, {1, 2, 6, 4}, {1, 2, 6, 4}, {.softmax_axis = 2}), litevit::passes::fuse_attention);
  EXPECT_FALSE(changed);
}

TEST(AttentionOp, ShapeInferenceNamesMismatchedOperands) {
  Graph g;
  Builder b(g);
  const ValueId q = b.input("q", {2, 7, 5}), k = b.input("k", {2, 9, 5}), v = b.input("v", {2, 8, 4});
  try {
    b.attention(q, k, v, 1.0f);
    FAIL() << "expected an error";
  } catch (const litevit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2,8,4]"), std::string::npos) << e.what();
  }
}

}  // namespace
