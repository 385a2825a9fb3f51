#include "passes/graph_queries.h"

namespace litevit::passes {

std::vector<int> use_counts(const graph::Graph& graph) {
  std::vector<int> uses(graph.values().size(), 0);
  for (const graph::Node& node : graph.nodes()) {
    for (graph::ValueId in : node.inputs) ++uses[static_cast<size_t>(in)];
  }
  for (const auto& [name, id] : graph.outputs()) ++uses[static_cast<size_t>(id)];
  return uses;
}

bool is_graph_output(const graph::Graph& graph, graph::ValueId id) {
  for (const auto& [name, out] : graph.outputs()) {
    if (out == id) return true;
  }
  return false;
}

bool has_data(const graph::Graph& graph, graph::ValueId id) {
  const graph::Value& v = graph.value(id);
  return (v.kind == graph::ValueKind::kParameter || v.kind == graph::ValueKind::kConstant) && v.data != nullptr;
}

const graph::Node* producer_of(const graph::Graph& graph, graph::ValueId id) {
  const graph::Value& v = graph.value(id);
  return v.kind == graph::ValueKind::kNodeOutput && v.producer >= 0 ? &graph.node(v.producer) : nullptr;
}

}  // namespace litevit::passes
