// fold_constants: work on weights alone is done once at compile time.
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "kernel_test_util.h"
#include "runtime/fold_constants.h"

namespace {

using namespace litevit::graph;

TEST(FoldConstants, WeightOnlyNodesBecomeConstants) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 4, 3, 2});
  ValueId table = b.interpolate_bicubic_antialias(b.parameter("table", {1, 4, 2, 2}), 3, 2);   // weights only
  b.output("y", b.add(x, table));
  litevit::testing_util::bind_random_parameters(g, 3);
  const Graph before = g;
  EXPECT_EQ(litevit::runtime::fold_constants(g), 1);
  ASSERT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(g.nodes()[0].op, OpKind::kAdd);
  EXPECT_EQ(g.value(g.nodes()[0].inputs[1]).kind, ValueKind::kConstant);
  // Same numbers either way.
  litevit::Tensor input{{1, 4, 3, 2}, litevit::testing_util::random_values(24, 5)};
  const litevit::runtime::Plan folded(g, {.reference_kernels = true});
  const litevit::runtime::Plan plain(before, {.reference_kernels = true});
  EXPECT_EQ(folded.run({&input})[0].second.data, plain.run({&input})[0].second.data);
}

TEST(FoldConstants, LeavesNodesThatReadInputsAndGraphOutputs) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 3});
  b.output("scaled_weight", b.scale(b.parameter("w", {2, 3}), 2.0f));   // a graph output stays a node
  b.output("y", b.relu(x));
  litevit::testing_util::bind_random_parameters(g, 1);
  EXPECT_EQ(litevit::runtime::fold_constants(g), 0);
  EXPECT_EQ(g.nodes().size(), 2u);
}

}  // namespace
