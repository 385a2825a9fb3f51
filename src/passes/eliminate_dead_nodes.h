// eliminate_dead_nodes: removes every node whose output no graph output
// depends on. Assumes nothing; keeps node order. Returns whether it changed
// the graph.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool eliminate_dead_nodes(graph::Graph& graph);

}  // namespace litevit::passes
