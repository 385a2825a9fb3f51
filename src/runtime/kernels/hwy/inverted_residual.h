// Which kernel runs an inverted_residual node: the fused Highway kernel
// (inverted_residual.cpp) where it beats the three oneDNN convs the op was
// fused from, the oneDNN convs (onednn/inverted_residual.cpp) elsewhere.
#pragma once

#include "graph/graph.h"

namespace litevit::runtime::hwy {

// Whether the fused kernel pays on `node`'s shape (measurements at the definition).
bool fused_inverted_residual_pays(const graph::Graph& graph, const graph::Node& node);

}  // namespace litevit::runtime::hwy
