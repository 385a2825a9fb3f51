// fuse_inverted_residual: the MobileNetV2 block (MobileViT's MV2, EfficientViT's
// and TinyViT's MBConv) as three channels_last conv2d nodes
//   expand:  1x1, groups 1, stride 1, no padding, any activation, no residual
//   dw:      kxk depthwise (groups = its channels = the expand's outputs),
//            dilation 1, square stride and padding, any activation, no residual
//   project: 1x1, groups 1, stride 1, no padding, any epilogue (residual too)
// each with a bias (fold_batchnorm leaves one on every conv it folded into)
// -> one inverted_residual node, so the expanded [H, W, Cm] tensor never
// reaches memory (runtime/kernels/hwy/inverted_residual.cpp). Fires when the
// expand's and the dw's outputs each have one reader and are not graph outputs.
#pragma once

#include "graph/graph.h"

namespace litevit::passes {

bool fuse_inverted_residual(graph::Graph& graph);

}  // namespace litevit::passes
