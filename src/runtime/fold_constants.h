// fold_constants: nodes whose inputs are all known at compile time (weights,
// constants, outputs of other such nodes) run once, on their reference
// kernel, and their outputs become constants. E.g. a position embedding
// resampled to the input's grid, or a permuted per-channel constant. It lives
// in runtime/, not passes/, because it runs kernels. Returns the nodes removed.
#pragma once

#include "graph/graph.h"

namespace litevit::runtime {

int fold_constants(graph::Graph& graph);

}  // namespace litevit::runtime
