// fold_attention_views: the permutes that split heads before an attention op
// and merge them after it become strided views of the op (AttentionAttrs), so
// q, k and v are read straight from the qkv projection's output and the result
// is written tokens-major where the output projection reads it: no copies
// around the attention.
//
// Each of q, k, v is traced up through reshapes, permutes and slices to the
// furthest value it is a strided view of; the output is traced down through
// reshapes and permutes that are its only readers. A side is folded when the
// trace crossed a permute (a copy at run time) and the view still maps the
// leading (batch) dims to at most two strides (graph::batched_rows), which is
// what the fast kernel reads. Permutes left without readers are removed by
// eliminate_dead_nodes.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fold_attention_views(graph::Graph& graph);

}  // namespace litevit::passes
