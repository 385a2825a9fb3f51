#include <gtest/gtest.h>

#include "graph/builder.h"
#include "litevit/error.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/pipeline.h"

namespace {

using namespace litevit::graph;

TEST(EliminateDeadNodes, RemovesNodesNoOutputNeeds) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 4});
  ValueId used = b.relu(x);
  b.gelu(b.scale(x, 2.0f));   // dead: nothing reads it
  b.output("y", b.silu(used));
  ASSERT_EQ(g.nodes().size(), 4u);
  EXPECT_TRUE(litevit::passes::eliminate_dead_nodes(g));
  ASSERT_EQ(g.nodes().size(), 2u);
  EXPECT_EQ(g.nodes()[0].op, OpKind::kRelu);
  EXPECT_EQ(g.nodes()[1].op, OpKind::kSilu);
  EXPECT_EQ(g.value(g.outputs()[0].second).producer, 1);
  EXPECT_NO_THROW(verify(g));
}

TEST(EliminateDeadNodes, KeepsEveryOutputAndItsInputs) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 4});
  ValueId a = b.relu(x);
  b.output("a", a);
  b.output("b", b.gelu(a));
  EXPECT_FALSE(litevit::passes::eliminate_dead_nodes(g));
  EXPECT_EQ(g.nodes().size(), 2u);
}

TEST(Pipeline, UnknownPassNameIsAnError) {
  Graph g;
  try {
    litevit::passes::run_passes(g, {.disabled = {"fold_everything"}});
    FAIL() << "no error";
  } catch (const litevit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("disabling pass 'fold_everything': no such pass"), std::string::npos);
  }
}

TEST(Pipeline, DisabledPassDoesNotRun) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 4});
  b.relu(x);
  b.output("y", x);
  litevit::passes::run_passes(g, {.disabled = {"eliminate_dead_nodes", "eliminate_dead_nodes_final"}});
  EXPECT_EQ(g.nodes().size(), 1u);
  litevit::passes::run_passes(g, {});
  EXPECT_EQ(g.nodes().size(), 0u);
}

}  // namespace
