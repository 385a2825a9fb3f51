#include "models/blocks/transformer.h"

#include <cmath>

namespace litevit::models::blocks {

using graph::Builder;
using graph::ValueId;

ValueId activation(Builder& b, Activation act, ValueId x) {
  switch (act) {
    case Activation::kGelu: return b.gelu(x);
    case Activation::kSilu: return b.silu(x);
    case Activation::kRelu: return b.relu(x);
  }
  return x;
}

ValueId attention(Builder& b, const std::string& path, ValueId x, int64_t num_heads, bool qkv_bias) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), dim = b.dim(x, 2);
  const int64_t head_dim = dim / num_heads;
  ValueId qkv = b.linear(path + ".qkv", x, 3 * dim, qkv_bias);
  Builder::ScopedPath scope(b, path);
  qkv = b.permute(b.reshape(qkv, {batch, tokens, 3, num_heads, head_dim}), {2, 0, 3, 1, 4});   // [3,B,H,N,D]
  ValueId q = b.scale(b.select(qkv, 0, 0), static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))));
  ValueId k = b.select(qkv, 0, 1);
  ValueId v = b.select(qkv, 0, 2);
  ValueId attn = b.softmax(b.matmul(q, b.transpose(k, -2, -1)), -1);   // [B,H,N,N]
  ValueId out = b.matmul(attn, v);                                     // [B,H,N,D]
  out = b.reshape(b.transpose(out, 1, 2), {batch, tokens, dim});
  return b.linear(path + ".proj", out, dim);
}

ValueId mlp(Builder& b, const std::string& path, ValueId x, int64_t hidden, Activation act) {
  const int64_t dim = b.dim(x, -1);
  ValueId h = b.linear(path + ".fc1", x, hidden);
  {
    Builder::ScopedPath scope(b, path);
    h = activation(b, act, h);
  }
  return b.linear(path + ".fc2", h, dim);
}

namespace {

ValueId layer_scale(Builder& b, const std::string& path, ValueId x) {
  Builder::ScopedPath scope(b, path);
  return b.mul(x, b.parameter(path + ".gamma", {b.dim(x, -1)}));
}

}  // namespace

ValueId transformer_block(Builder& b, const std::string& path, ValueId x, const TransformerBlockOptions& o) {
  const int64_t dim = b.dim(x, -1);
  ValueId y = attention(b, path + ".attn", b.layer_norm(path + ".norm1", x, o.norm_eps), o.num_heads, o.qkv_bias);
  if (o.layer_scale) y = layer_scale(b, path + ".ls1", y);
  {
    Builder::ScopedPath scope(b, path);
    x = b.add(x, y);
  }
  const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * o.mlp_ratio);
  y = mlp(b, path + ".mlp", b.layer_norm(path + ".norm2", x, o.norm_eps), hidden, o.act);
  if (o.layer_scale) y = layer_scale(b, path + ".ls2", y);
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

}  // namespace litevit::models::blocks
