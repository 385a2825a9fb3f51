// fuse_attention: matmul(softmax(matmul(q, k, transpose_b, alpha)), v) ->
// attention(q, k, v) alpha, so the [.., N, M] scores never reach memory
// (runtime/kernels/hwy/attention.cpp). Fires when the scores and the softmax
// output each have one reader and are not graph outputs, the softmax is over
// the last axis, and neither matmul has an epilogue (nor the second an alpha).
// A bias or mask added to the scores (Swin, BEiT, LeViT) stops it: those keep
// the three ops.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fuse_attention(graph::Graph& graph);

}  // namespace litevit::passes
