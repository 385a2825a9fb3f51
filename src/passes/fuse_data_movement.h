// fuse_data_movement: a chain of reshape and permute nodes becomes at most
// one permute between two reshapes (reshapes of intermediates cost nothing:
// plan_memory makes them aliases).
//
// Matches chains v0 -> n1 -> v1 -> ... -> vk of reshape/permute nodes whose
// intermediate values have one reader and are not graph outputs, with at
// least one permute. The chain is followed on "atoms": the input's axes,
// split further wherever a reshape cuts one (a reshape that merges or splits
// axes across a permute is exactly such a cut). At the end the output is a
// permutation of the atoms; atoms adjacent in both orders are merged. So
// NHWC -> NCHW -> flatten -> transpose (a patch embedding) is one reshape, and
// MobileViT's unfold after an NHWC conv is one 5-D permute with contiguous
// channel rows. A chain whose reshapes do not factor (sizes that do not
// divide) is left alone.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fuse_data_movement(graph::Graph& graph);

}  // namespace litevit::passes
