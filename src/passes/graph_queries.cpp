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

int32_t sole_producer(const graph::Graph& graph, const std::vector<int>& uses, graph::ValueId v) {
  if (uses[static_cast<size_t>(v)] != 1 || is_graph_output(graph, v)) return -1;
  return graph.value(v).producer;
}

void drop_nodes(graph::Graph& graph, std::vector<graph::Node> nodes, const std::vector<bool>& removed) {
  std::vector<graph::Node> kept;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!removed[n]) kept.push_back(std::move(nodes[n]));
  }
  graph.replace_nodes(std::move(kept));
}

}  // namespace litevit::passes
