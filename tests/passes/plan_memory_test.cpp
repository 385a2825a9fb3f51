// The memory plan on whole models: no two values that are live at the same
// time share bytes, and the arena is far smaller than one buffer per value.
#include <gtest/gtest.h>

#include "models/registry.h"
#include "passes/pipeline.h"
#include "passes/plan_memory.h"
#include "runtime/bind_weights.h"

namespace {

using namespace litevit;

graph::Graph compiled_graph(const std::string& name, const graph::Shape& shape) {
  graph::Graph g = models::build_graph(models::resolve_model(name), shape);
  runtime::bind_random_weights(g);
  passes::run_passes(g, {});
  return g;
}

TEST(PlanMemory, NoLiveValuesShareBytes) {
  for (const auto& [name, shape] : std::vector<std::pair<std::string, graph::Shape>>{
           {"mobilevit_xxs", {1, 3, 256, 256}}, {"deit_tiny_distilled_patch16_224", {2, 3, 224, 224}}}) {
    const graph::Graph g = compiled_graph(name, shape);
    const passes::MemoryPlan plan = passes::plan_memory(g);
    EXPECT_TRUE(passes::memory_conflicts(g, plan).empty()) << name;
    EXPECT_LT(plan.arena_bytes * 4, plan.sum_of_value_bytes) << name;
    for (size_t n = 0; n < g.nodes().size(); ++n) {
      const graph::Node& node = g.nodes()[n];
      if (plan.is_alias[n] && node.op == graph::OpKind::kReshape) {
        EXPECT_EQ(plan.offset[static_cast<size_t>(node.output)], plan.offset[static_cast<size_t>(node.inputs[0])]);
      }
      if (plan.is_alias[n]) {
        EXPECT_TRUE(node.op == graph::OpKind::kReshape || node.op == graph::OpKind::kSlice);
        EXPECT_EQ(plan.owner[static_cast<size_t>(node.output)], plan.owner[static_cast<size_t>(node.inputs[0])]);
      }
    }
  }
}

TEST(PlanMemory, BlockSlicesAreViews) {
  graph::Graph g;
  graph::Builder b(g);
  graph::ValueId x = b.relu(b.input("input", {3, 2, 4}));
  graph::ValueId first = b.slice(x, 0, 1, 2);       // one contiguous block
  graph::ValueId strided = b.slice(x, 1, 0, 1);     // leading axis 3 > 1: not contiguous
  b.output("a", b.gelu(first));
  b.output("b", b.gelu(strided));
  const passes::MemoryPlan plan = passes::plan_memory(g);
  EXPECT_TRUE(plan.is_alias[1]);
  EXPECT_FALSE(plan.is_alias[2]);
  EXPECT_EQ(plan.offset[static_cast<size_t>(first)], plan.offset[static_cast<size_t>(x)] + 8 * 4);
  EXPECT_TRUE(passes::memory_conflicts(g, plan).empty());
}

TEST(PlanMemory, GraphOutputsLiveToTheEnd) {
  graph::Graph g;
  graph::Builder b(g);
  graph::ValueId x = b.input("input", {4, 8});
  graph::ValueId early = b.relu(x);
  graph::ValueId y = b.gelu(b.silu(b.scale(early, 2.0f)));
  b.output("early", early);
  b.output("late", y);
  const passes::MemoryPlan plan = passes::plan_memory(g);
  EXPECT_TRUE(passes::memory_conflicts(g, plan).empty());
  for (graph::ValueId v = 0; v < static_cast<graph::ValueId>(g.values().size()); ++v) {
    if (v != early && plan.offset[static_cast<size_t>(v)] >= 0) {
      EXPECT_NE(plan.offset[static_cast<size_t>(v)], plan.offset[static_cast<size_t>(early)]) << v;
    }
  }
}

}  // namespace
