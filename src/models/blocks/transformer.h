// Transformer pieces shared by the families, written with timm's module
// names (timm/layers/attention.py, mlp.py; timm/models/vision_transformer.py
// Block), so parameter keys come out as timm's.
#pragma once

#include <string>

#include "graph/builder.h"

namespace litevit::models::blocks {

enum class Activation { kGelu, kSilu, kRelu };

graph::ValueId activation(graph::Builder& b, Activation act, graph::ValueId x);

// timm Attention on x [B, N, C]: fused qkv Linear with channels laid out
// [3, heads, head_dim]; softmax(q k^T * head_dim^-0.5) v; proj Linear.
graph::ValueId attention(graph::Builder& b, const std::string& path, graph::ValueId x, int64_t num_heads,
                         bool qkv_bias);

// timm Mlp: fc1 -> act -> fc2.
graph::ValueId mlp(graph::Builder& b, const std::string& path, graph::ValueId x, int64_t hidden, Activation act);

struct TransformerBlockOptions {
  int64_t num_heads = 1;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  float norm_eps = 1e-6f;
  Activation act = Activation::kGelu;
  bool layer_scale = false;   // ls1/ls2 LayerScale (timm init_values set)
};

// timm vision_transformer Block (pre-norm):
//   x = x + ls1(attn(norm1(x)));  x = x + ls2(mlp(norm2(x)))
graph::ValueId transformer_block(graph::Builder& b, const std::string& path, graph::ValueId x,
                                 const TransformerBlockOptions& options);

}  // namespace litevit::models::blocks
