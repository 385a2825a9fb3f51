// Pass tests run the same graph with the pass off and on (reference kernels)
// and compare outputs; the test then checks the structure.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>

#include "../runtime/kernel_test_util.h"
#include "graph/graph.h"

namespace litevit::testing_util {

inline int count_ops(const graph::Graph& g, graph::OpKind op) {
  return static_cast<int>(std::count_if(g.nodes().begin(), g.nodes().end(), [op](const graph::Node& n) { return n.op == op; }));
}

inline std::vector<Tensor> run_reference(const graph::Graph& g, const std::vector<Tensor>& inputs) {
  const runtime::Plan plan(g, {.reference_kernels = true, .threads = 1});
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(&t);
  std::vector<Tensor> outs;
  for (auto& [name, t] : plan.run(ptrs)) outs.push_back(std::move(t));
  return outs;
}

// Binds random parameters, applies `pass` to a copy, and expects equal outputs
// (max relative error <= 1e-5). Returns the rewritten graph and whether the pass changed it.
template <typename Pass>
std::pair<graph::Graph, bool> apply_and_compare(graph::Graph g, Pass pass, uint32_t seed = 7) {
  bind_random_parameters(g, seed);
  std::vector<Tensor> inputs;
  for (graph::ValueId id : g.inputs()) {
    const graph::Shape& s = g.value(id).shape;
    inputs.push_back(Tensor{s, random_values(graph::shape_numel(s), seed++)});
  }
  graph::Graph rewritten = g;
  const bool changed = pass(rewritten);
  graph::verify(rewritten);
  const auto before = run_reference(g, inputs);
  const auto after = run_reference(rewritten, inputs);
  EXPECT_EQ(before.size(), after.size());
  for (size_t o = 0; o < before.size() && o < after.size(); ++o) {
    EXPECT_EQ(before[o].shape, after[o].shape);
    EXPECT_LE(litevit::relative_error(after[o], before[o]), 1e-5) << "output " << o;
  }
  return {std::move(rewritten), changed};
}

}  // namespace litevit::testing_util
