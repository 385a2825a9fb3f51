#include <gtest/gtest.h>

#include "graph/builder.h"
#include "pass_test_util.h"
#include "passes/fold_batchnorm.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::apply_and_compare;
using litevit::testing_util::count_ops;

TEST(FoldBatchnorm, FoldsIntoConvWithAndWithoutBias) {
  for (bool bias : {false, true}) {
    Graph g;
    Builder b(g);
    ValueId x = b.input("input", {2, 3, 9, 7});
    x = b.batch_norm("bn", b.conv2d("conv", x, 5, 3, {.padding = 1, .groups = 1, .bias = bias}));
    b.output("y", b.silu(x));
    auto [folded, changed] = apply_and_compare(g, litevit::passes::fold_batchnorm);
    EXPECT_TRUE(changed);
    EXPECT_EQ(count_ops(folded, OpKind::kBatchNorm), 0);
    EXPECT_EQ(count_ops(folded, OpKind::kConv2d), 1);
    EXPECT_TRUE(has_bias(folded.nodes()[0]));
  }
}

TEST(FoldBatchnorm, DepthwiseConv) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 8, 6, 6});
  b.output("y", b.batch_norm("bn", b.conv2d("dw", x, 8, 3, {.stride = 2, .padding = 1, .groups = 8, .bias = false})));
  auto [folded, changed] = apply_and_compare(g, litevit::passes::fold_batchnorm);
  EXPECT_TRUE(changed);
  EXPECT_EQ(count_ops(folded, OpKind::kBatchNorm), 0);
}

TEST(FoldBatchnorm, DoesNotFireWhenConvOutputIsReadElsewhere) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 5, 5});
  ValueId conv = b.conv2d("conv", x, 4, 1);
  b.output("y", b.add(b.batch_norm("bn", conv), conv));
  auto [same, changed] = apply_and_compare(g, litevit::passes::fold_batchnorm);
  EXPECT_FALSE(changed);
  EXPECT_EQ(count_ops(same, OpKind::kBatchNorm), 1);
}

TEST(FoldBatchnorm, DoesNotFireWhenConvOutputIsAGraphOutput) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 5, 5});
  ValueId conv = b.conv2d("conv", x, 4, 1);
  b.output("conv", conv);
  b.output("y", b.batch_norm("bn", conv));
  auto [same, changed] = apply_and_compare(g, litevit::passes::fold_batchnorm);
  EXPECT_FALSE(changed);
}

TEST(FoldBatchnorm, DoesNotFireOnBatchnormAfterOtherOps) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 5, 5});
  b.output("y", b.batch_norm("bn", b.relu(b.conv2d("conv", x, 3, 1))));
  auto [same, changed] = apply_and_compare(g, litevit::passes::fold_batchnorm);
  EXPECT_FALSE(changed);
}

}  // namespace
