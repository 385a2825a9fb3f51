#include "passes/eliminate_dead_nodes.h"

#include <vector>

namespace litevit::passes {

bool eliminate_dead_nodes(graph::Graph& graph) {
  std::vector<bool> live(graph.values().size(), false);
  for (const auto& [name, id] : graph.outputs()) live[static_cast<size_t>(id)] = true;
  // Nodes are in execution order, so one backward sweep marks every live value.
  std::vector<bool> keep(graph.nodes().size(), false);
  for (size_t n = graph.nodes().size(); n-- > 0;) {
    const graph::Node& node = graph.nodes()[n];
    if (!live[static_cast<size_t>(node.output)]) continue;
    keep[n] = true;
    for (graph::ValueId in : node.inputs) live[static_cast<size_t>(in)] = true;
  }
  std::vector<graph::Node> kept;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    if (keep[n]) kept.push_back(graph.nodes()[n]);
  }
  if (kept.size() == graph.nodes().size()) return false;
  graph.replace_nodes(std::move(kept));
  return true;
}

}  // namespace litevit::passes
