// fold_attention_views: a timm attention block (qkv linear, head split
// permute, attention, head merge permute, proj linear) gives the same outputs
// with the pass on and off (reference kernels, which gather and scatter the
// views), loses both permutes, and its attention op reads the qkv linear's
// output and writes what the proj linear reads. It leaves contiguous operands
// and outputs with other readers alone.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "pass_test_util.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_attention_views.h"
#include "passes/graph_queries.h"
#include "passes/fuse_attention.h"
#include "passes/fuse_data_movement.h"
#include "passes/fuse_epilogues.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

struct Block {
  int64_t batch = 2, tokens = 5, heads = 3, head_dim = 4;
  bool heads_are_output = false;   // the attention's [B, H, T, d] result is also a graph output
};

// x -> qkv -> [B, T, 3, H, d] -> permute(2, 0, 3, 1, 4) -> q, k, v -> attention
// -> permute(0, 2, 1, 3) -> [B, T, H d] -> proj, as timm's Attention writes it,
// with the passes that run before this one applied.
Graph block_graph(const Block& o) {
  Graph g;
  Builder b(g);
  const int64_t dim = o.heads * o.head_dim;
  const ValueId x = b.input("x", {o.batch, o.tokens, dim});
  ValueId qkv = b.linear("qkv", x, 3 * dim);
  qkv = b.permute(b.reshape(qkv, {o.batch, o.tokens, 3, o.heads, o.head_dim}), {2, 0, 3, 1, 4});
  auto part = [&](int64_t i) { return b.reshape(b.slice(qkv, 0, i, i + 1), {o.batch, o.heads, o.tokens, o.head_dim}); };
  const ValueId q = part(0), k = part(1), v = part(2);
  ValueId s = b.matmul(b.scale(q, 0.5f), b.transpose(k, -2, -1));
  ValueId y = b.matmul(b.softmax(s, -1), v);
  if (o.heads_are_output) b.output("heads", y);
  y = b.reshape(b.permute(y, {0, 2, 1, 3}), {o.batch, o.tokens, dim});
  b.output("out", b.linear("proj", y, dim));
  litevit::passes::fold_transpose_into_matmul(g);
  litevit::passes::fold_scale_into_matmul(g);
  litevit::passes::fuse_data_movement(g);
  litevit::passes::fuse_attention(g);
  return g;
}

bool fold_and_clean(Graph& g) {
  const bool changed = litevit::passes::fold_attention_views(g);
  litevit::passes::eliminate_dead_nodes(g);
  return changed;
}

const Node& attention_node(const Graph& g) {
  for (const Node& n : g.nodes()) {
    if (n.op == OpKind::kAttention) return n;
  }
  throw std::runtime_error("no attention node");
}

TEST(FoldAttentionViews, TimmBlockLosesBothPermutes) {
  for (const Block& block : {Block{}, Block{.batch = 1, .tokens = 7}, Block{.batch = 3, .heads = 1, .head_dim = 5}}) {
    SCOPED_TRACE(fmt::format("batch {} tokens {} heads {}", block.batch, block.tokens, block.heads));
    Graph g = block_graph(block);
    ASSERT_EQ(count_ops(g, OpKind::kAttention), 1);
    // Two permutes, or one when a single head makes the merge a reshape.
    ASSERT_EQ(count_ops(g, OpKind::kPermute), block.heads == 1 ? 1 : 2);
    auto [folded, changed] = apply_and_compare(std::move(g), fold_and_clean);
    EXPECT_TRUE(changed);
    EXPECT_EQ(count_ops(folded, OpKind::kPermute), 0);
    const Node& attention = attention_node(folded);
    const auto& attrs = std::get<AttentionAttrs>(attention.attrs);
    const int64_t dim = block.heads * block.head_dim;
    for (size_t i = 0; i < 3; ++i) {
      SCOPED_TRACE(i);
      ASSERT_TRUE(attrs.input_views[i].has_value());
      // Read from the qkv linear's output: q at column 0, k at dim, v at 2 dim of each token row.
      const Node* source = litevit::passes::producer_of(folded, attention.inputs[i]);
      ASSERT_NE(source, nullptr);
      EXPECT_EQ(source->op, OpKind::kLinear);
      EXPECT_EQ(attrs.input_views[i]->offset, static_cast<int64_t>(i) * dim);
      EXPECT_EQ(attrs.input_views[i]->strides.end()[-2], 3 * dim);   // token rows of the qkv output
      EXPECT_TRUE(batched_rows(*attrs.input_views[i]).has_value());
    }
    if (block.heads == 1) {   // nothing to fold on the output side: [B, 1, T, d] is already [B, T, d]
      EXPECT_FALSE(attrs.output_view.has_value());
      continue;
    }
    ASSERT_TRUE(attrs.output_view.has_value());
    EXPECT_EQ(attrs.output_shape, (Shape{block.batch, block.tokens, dim}));
    EXPECT_EQ(attrs.output_view->strides.end()[-2], dim);   // tokens-major
  }
}

TEST(FoldAttentionViews, NotTheOutputWhenTheHeadsAreReadElsewhere) {
  auto [folded, changed] = apply_and_compare(block_graph({.heads_are_output = true}), fold_and_clean);
  EXPECT_TRUE(changed);   // the inputs still fold
  const auto& attrs = std::get<AttentionAttrs>(attention_node(folded).attrs);
  EXPECT_TRUE(attrs.input_views[0].has_value());
  EXPECT_FALSE(attrs.output_view.has_value());
  EXPECT_EQ(count_ops(folded, OpKind::kPermute), 1);
}

TEST(FoldAttentionViews, NotContiguousOperands) {
  // q, k, v are graph inputs already [B, H, T, d]: no permute to fold.
  Graph g;
  Builder b(g);
  const Shape s = {2, 3, 5, 4};
  const ValueId y = b.attention(b.input("q", s), b.input("k", s), b.input("v", s), 0.5f);
  b.output("y", b.linear("proj", y, 6));
  auto [same, changed] = apply_and_compare(std::move(g), fold_and_clean);
  EXPECT_FALSE(changed);
  const auto& attrs = std::get<AttentionAttrs>(attention_node(same).attrs);
  EXPECT_FALSE(attrs.input_views[0] || attrs.input_views[1] || attrs.input_views[2] || attrs.output_view);
}

TEST(FoldAttentionViews, IntoAMergedValueThatIsAlsoAnOutput) {
  // The merge reshape's output is a graph output and the proj's input: the
  // attention writes it directly (only the values on the way need one reader).
  Graph g = block_graph({});
  for (const Node& n : g.nodes()) {
    if (n.op == OpKind::kLinear && n.module_path == "proj") g.add_output("merged", n.inputs[0]);
  }
  auto [folded, changed] = apply_and_compare(std::move(g), fold_and_clean);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(folded, OpKind::kPermute), 0);
  EXPECT_TRUE(std::get<AttentionAttrs>(attention_node(folded).attrs).output_view.has_value());
}

TEST(FoldAttentionViews, WithABiasPerHead) {
  Graph g;
  Builder b(g);
  const int64_t batch = 2, tokens = 6, heads = 2, head_dim = 3, dim = heads * head_dim;
  ValueId qkv = b.linear("qkv", b.input("x", {batch, tokens, dim}), 3 * dim);
  qkv = b.permute(b.reshape(qkv, {batch, tokens, 3, heads, head_dim}), {2, 0, 3, 1, 4});
  auto part = [&](int64_t i) { return b.reshape(b.slice(qkv, 0, i, i + 1), {batch, heads, tokens, head_dim}); };
  const ValueId y = b.attention(part(0), part(1), part(2), 0.5f, b.parameter("bias", {heads, tokens, tokens}));
  b.output("out", b.reshape(b.permute(y, {0, 2, 1, 3}), {batch, tokens, dim}));
  litevit::passes::fuse_data_movement(g);
  auto [folded, changed] = apply_and_compare(std::move(g), fold_and_clean);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(folded, OpKind::kPermute), 0);
  EXPECT_EQ(attention_node(folded).inputs.size(), 4u);
}

}  // namespace
