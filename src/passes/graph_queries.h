// Small questions passes ask about a graph, and the one edit the fusing
// passes share (drop_nodes).
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

// Index of the node producing `v` if only one node reads `v` (`uses` from
// use_counts) and it is not a graph output; else -1.
int32_t sole_producer(const graph::Graph& graph, const std::vector<int>& uses, graph::ValueId v);

// Replaces the graph's nodes by `nodes` without those marked removed.
void drop_nodes(graph::Graph& graph, std::vector<graph::Node> nodes, const std::vector<bool>& removed);

}  // namespace litevit::passes
