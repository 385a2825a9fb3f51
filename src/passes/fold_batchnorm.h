// fold_batchnorm: conv2d -> batch_norm becomes one conv2d with folded weights.
//   scale = gamma / sqrt(running_var + eps)
//   w'[o] = w[o] * scale[o]        b'[o] = (b[o] - running_mean[o]) * scale[o] + beta[o]
// Matches a batch_norm whose input is a conv2d output read by nothing else
// (not a graph output), over the conv's channel axis, the conv without a
// fused epilogue, and every weight carrying data (bound weights). The folded
// weight and bias are new constants; the conv takes over the batch_norm's
// output value.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fold_batchnorm(graph::Graph& graph);

}  // namespace litevit::passes
