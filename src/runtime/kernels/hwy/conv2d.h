// Which kernel runs a dense conv2d node: our implicit-GEMM kernel
// (hwy/conv2d.cpp) where it beats oneDNN, oneDNN's (onednn/conv2d.cpp) elsewhere.
#pragma once

#include "graph/graph.h"

namespace litevit::runtime::hwy {

// Whether conv2d_hwy computes `node` and pays on its shape (measurements at the definition).
bool dense_conv_pays(const graph::Graph& graph, const graph::Node& node);

}  // namespace litevit::runtime::hwy
