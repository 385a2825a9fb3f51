// fuse_attention: matmul(softmax(matmul(q, k, transpose_b, alpha) [scale s]
// [+ bias]), v) -> attention(q, k, v [, bias]) alpha*s, so the [.., N, M]
// scores never reach memory (runtime/kernels/hwy/attention.cpp). Fires when
// every value on the way has one reader and is not a graph output, the
// softmax is over the last axis, neither matmul has an epilogue (nor the
// second an alpha), no scale follows the bias add, and the bias has the
// scores' last two dims and 1 or the scores' size in each leading one
// (a relative-position bias per head: BEiT, LeViT, TinyViT, EfficientFormer).
// Reshapes that only regroup the scores' leading dims may sit on the way
// (Swin adds bias + window mask in [1, windows, heads, N, N]) when the bias
// then still lines up with the matmul's output (batch 1 for Swin's mask).
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fuse_attention(graph::Graph& graph);

}  // namespace litevit::passes
