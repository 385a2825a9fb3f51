// Passes that fold work into the epilogue of a conv2d / linear / matmul
// (graph::Epilogue), so the kernel does it while the output is hot:
//
// fuse_activation: act(P(x)) -> P(x) with epilogue act, for act in gelu/silu/relu,
//   when P's output is read only by the activation and P has no epilogue yet.
// fuse_residual_add: add(P(x), r) -> P(x) with epilogue residual r, when P's
//   output is read only by the add, shapes are equal (no broadcasting), P has no
//   residual yet, and r is computed before P runs. Activation first, then the
//   residual: that is the order the epilogue applies them in.
// fold_transpose_into_matmul: matmul(a, transpose(b, -1, -2)) -> matmul transpose_b (a, b).
// fold_scale_into_matmul: matmul(scale(a, s), b) -> matmul alpha*s (a, b) (either side).
// Each needs the intermediate value to have no other reader and not be a graph output.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fuse_activation(graph::Graph& graph);
bool fuse_residual_add(graph::Graph& graph);
bool fold_transpose_into_matmul(graph::Graph& graph);
bool fold_scale_into_matmul(graph::Graph& graph);

}  // namespace litevit::passes
