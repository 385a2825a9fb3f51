// Small read-only questions passes ask about a graph.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace litevit::passes {

// How many times each value is read: node inputs plus graph outputs.
std::vector<int> use_counts(const graph::Graph& graph);

bool is_graph_output(const graph::Graph& graph, graph::ValueId id);

// True for parameters and constants that carry data (foldable at compile time).
bool has_data(const graph::Graph& graph, graph::ValueId id);

// The node producing `id`, or nullptr for inputs, parameters and constants.
const graph::Node* producer_of(const graph::Graph& graph, graph::ValueId id);

}  // namespace litevit::passes
