// EfficientFormer (v1).
//   Li et al., "EfficientFormer: Vision Transformers at MobileNet Speed", arXiv:2206.01191
// Reference: timm (huggingface/pytorch-image-models) efficientformer.py (EfficientFormer,
// Stem4, Downsample, MetaBlock2d with Pooling and ConvMlpWithNorm, Flat, MetaBlock1d with
// Attention, the distillation head); parameter keys are timm's.
//
// The 4-D blocks (pooling mixer, conv MLP with BatchNorm) run on NCHW maps; the last
// stage flattens to tokens for its last `num_vit` blocks, whose attention timm hard-wires
// (key_dim 32, 8 heads, attn_ratio 4, a learned bias per head and per |dy|, |dx| offset on
// a 7x7 grid): the last stage must have 49 tokens, so the input is 224x224 (any size with
// ceil(size / 32) = 7 works the same way).
#include <fmt/format.h>

#include <array>
#include <cmath>

#include "litevit/error.h"
#include "models/blocks/transformer.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using blocks::Activation;
using graph::Builder;
using graph::ValueId;
using nlohmann::json;

// timm's Attention in MetaBlock1d is built as Attention(dim): these are its defaults.
constexpr int64_t kKeyDim = 32;
constexpr int64_t kNumHeads = 8;
constexpr int64_t kAttnRatio = 4;
constexpr int64_t kResolution = 7;

// ---- config -------------------------------------------------------------------

// Fields named like timm's EfficientFormer constructor arguments (its defaults; the
// variants spell out what differs). Module-class arguments take the class name.
struct EfficientFormerConfig {
  std::vector<int64_t> depths = {3, 2, 6, 4};
  std::vector<int64_t> embed_dims = {48, 96, 224, 448};
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "avg";
  std::vector<bool> downsamples;   // empty (timm None): (False, True, True, ...)
  int64_t num_vit = 0;
  double mlp_ratios = 4.0;         // one ratio for every block, despite the name
  int64_t pool_size = 3;
  std::string act_layer = "GELU";
  std::string norm_layer = "BatchNorm2d";
  std::string norm_layer_cl = "LayerNorm";

  Activation act = Activation::kGelu;   // from act_layer
};

EfficientFormerConfig parse_config(const json& kwargs, const std::string& what) {
  EfficientFormerConfig c;
  KwargsReader r(kwargs, what);
  r.read("depths", c.depths);
  r.read("embed_dims", c.embed_dims);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  if (const json* v = r.raw("downsamples"); v != nullptr && !v->is_null()) {
    if (!v->is_array()) r.fail("downsamples", fmt::format("must be a list of booleans or null, got {}", v->dump()));
    for (const json& item : *v) {
      if (!item.is_boolean()) r.fail("downsamples", fmt::format("must be a list of booleans or null, got {}", v->dump()));
      c.downsamples.push_back(item.get<bool>());
    }
  }
  r.read("num_vit", c.num_vit);
  r.read("mlp_ratios", c.mlp_ratios);
  r.read("pool_size", c.pool_size);
  r.read("act_layer", c.act_layer);
  r.read("norm_layer", c.norm_layer);
  r.read("norm_layer_cl", c.norm_layer_cl);
  // layer_scale_init_value only sets the initial gammas (the ls1/ls2 scales always exist);
  // the others are dropout rates.
  r.ignore({"layer_scale_init_value", "drop_rate", "proj_drop_rate", "drop_path_rate"});
  r.finish();

  const size_t num_stages = c.depths.size();
  if (num_stages == 0) r.fail("depths", "must not be empty");
  if (c.embed_dims.size() < num_stages) {
    r.fail("embed_dims", fmt::format("has {} entries for {} stages (depths)", c.embed_dims.size(), num_stages));
  }
  for (size_t i = 0; i < num_stages; ++i) {
    if (c.depths[i] < 0) r.fail("depths", fmt::format("must not be negative, got {}", c.depths[i]));
    if (c.embed_dims[i] <= 0) r.fail("embed_dims", fmt::format("must be positive, got {}", c.embed_dims[i]));
  }
  if (c.downsamples.empty()) {   // timm: `downsamples or (False,) + (True,) * (num_stages - 1)`
    c.downsamples.assign(num_stages, true);
    c.downsamples[0] = false;
  }
  if (c.downsamples.size() < num_stages) {
    r.fail("downsamples", fmt::format("has {} entries for {} stages", c.downsamples.size(), num_stages));
  }
  int64_t prev_dim = c.embed_dims[0];
  for (size_t i = 0; i < num_stages; ++i) {
    if (!c.downsamples[i] && c.embed_dims[i] != prev_dim) {
      r.fail("downsamples", fmt::format("stage {} has no downsample but changes the width from {} to {} "
                                        "(timm asserts the same)", i, prev_dim, c.embed_dims[i]));
    }
    prev_dim = c.embed_dims[i];
  }
  if (c.num_vit < 1) {
    r.fail("num_vit", fmt::format("must be at least 1, got {} (without a token stage timm applies the final "
                                  "LayerNorm to the last axis of an NCHW map)", c.num_vit));
  }
  if (c.in_chans <= 0) r.fail("in_chans", fmt::format("must be positive, got {}", c.in_chans));
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported (use 'avg' or '' for per-token logits)", c.global_pool));
  }
  if (!(c.mlp_ratios > 0.0)) r.fail("mlp_ratios", fmt::format("must be positive, got {}", c.mlp_ratios));
  if (c.pool_size <= 0 || c.pool_size % 2 == 0) {
    r.fail("pool_size", fmt::format("must be a positive odd number (pooling keeps the map size), got {}", c.pool_size));
  }
  if (c.act_layer == "GELU") c.act = Activation::kGelu;
  else if (c.act_layer == "ReLU") c.act = Activation::kRelu;
  else if (c.act_layer == "SiLU") c.act = Activation::kSilu;
  else r.fail("act_layer", fmt::format("'{}' is not supported (use 'GELU', 'ReLU' or 'SiLU')", c.act_layer));
  if (c.norm_layer != "BatchNorm2d") {
    r.fail("norm_layer", fmt::format("'{}' is not supported (use 'BatchNorm2d')", c.norm_layer));
  }
  if (c.norm_layer_cl != "LayerNorm") {
    r.fail("norm_layer_cl", fmt::format("'{}' is not supported (use 'LayerNorm')", c.norm_layer_cl));
  }
  return c;
}

// ---- pieces ---------------------------------------------------------------------

ValueId act(Builder& b, Activation a, const std::string& path, ValueId x) {
  Builder::ScopedPath scope(b, path);
  return blocks::activation(b, a, x);
}

// timm LayerScale2d (NCHW, gamma [C, 1, 1]) or LayerScale (tokens, gamma [C]).
ValueId layer_scale(Builder& b, const std::string& path, ValueId x, bool nchw) {
  Builder::ScopedPath scope(b, path);
  const int64_t channels = b.dim(x, nchw ? 1 : -1);
  ValueId gamma = b.parameter(path + ".gamma", {channels});
  if (nchw) gamma = b.reshape(gamma, {channels, 1, 1});
  return b.mul(x, gamma);
}

// MetaBlock2d: x += ls1(avg_pool(x) - x); x += ls2(fc2 -> BN -> (act <- BN <- fc1)(x)).
ValueId meta_block_2d(Builder& b, const std::string& path, ValueId x, const EfficientFormerConfig& c) {
  const int64_t dim = b.dim(x, 1);
  ValueId y;
  {
    Builder::ScopedPath scope(b, path + ".token_mixer");
    y = b.sub(b.avg_pool2d(x, c.pool_size, {.stride = 1, .padding = c.pool_size / 2, .count_include_pad = false}), x);
  }
  y = layer_scale(b, path + ".ls1", y, true);
  {
    Builder::ScopedPath scope(b, path);
    x = b.add(x, y);
  }
  const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * c.mlp_ratios);
  y = b.conv2d(path + ".mlp.fc1", x, hidden, 1);
  y = b.batch_norm(path + ".mlp.norm1", y);
  y = act(b, c.act, path + ".mlp.act", y);
  y = b.conv2d(path + ".mlp.fc2", y, dim, 1);
  y = b.batch_norm(path + ".mlp.norm2", y);
  y = layer_scale(b, path + ".ls2", y, true);
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

// The attention-bias offsets of a res x res grid: for tokens i, j (row-major),
// |row_i - row_j| * res + |col_i - col_j|, flattened [N * N].
std::vector<int64_t> attention_bias_idxs(int64_t res) {
  std::vector<int64_t> idxs;
  idxs.reserve(static_cast<size_t>(res * res * res * res));
  for (int64_t i = 0; i < res * res; ++i) {
    for (int64_t j = 0; j < res * res; ++j) {
      idxs.push_back(std::abs(i / res - j / res) * res + std::abs(i % res - j % res));
    }
  }
  return idxs;
}

// timm efficientformer Attention on tokens [B, N, C]: qkv channels laid out per head as
// (q: key_dim, k: key_dim, v: attn_ratio * key_dim); softmax(q k^T / sqrt(key_dim) + bias) v.
ValueId attention(Builder& b, const std::string& path, ValueId x) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), dim = b.dim(x, 2);
  const int64_t val_dim = kAttnRatio * kKeyDim, per_head = 2 * kKeyDim + val_dim;
  ValueId qkv = b.linear(path + ".qkv", x, kNumHeads * per_head);
  ValueId out;
  {
    Builder::ScopedPath scope(b, path);
    qkv = b.permute(b.reshape(qkv, {batch, tokens, kNumHeads, per_head}), {0, 2, 1, 3});   // [B, H, N, 192]
    const ValueId q = b.slice(qkv, 3, 0, kKeyDim);
    const ValueId k = b.slice(qkv, 3, kKeyDim, 2 * kKeyDim);
    const ValueId v = b.slice(qkv, 3, 2 * kKeyDim, per_head);
    ValueId attn = b.scale(b.matmul(q, b.transpose(k, -2, -1)), static_cast<float>(1.0 / std::sqrt(double{kKeyDim})));
    // attention_biases[:, attention_bias_idxs]; the idxs buffer in the checkpoint holds
    // exactly this table, so it is computed here and the stored copy is not read.
    b.ignore_key(path + ".attention_bias_idxs");
    ValueId bias = b.parameter(path + ".attention_biases", {kNumHeads, kResolution * kResolution});
    bias = b.reshape(b.index_select(bias, 1, attention_bias_idxs(kResolution)), {kNumHeads, tokens, tokens});
    attn = b.softmax(b.add(attn, bias), -1);
    out = b.reshape(b.transpose(b.matmul(attn, v), 1, 2), {batch, tokens, kNumHeads * val_dim});
  }
  return b.linear(path + ".proj", out, dim);
}

// MetaBlock1d (pre-norm, LayerNorm eps 1e-5): x += ls1(attn(norm1(x))); x += ls2(mlp(norm2(x))).
ValueId meta_block_1d(Builder& b, const std::string& path, ValueId x, const EfficientFormerConfig& c) {
  const int64_t dim = b.dim(x, -1);
  ValueId y = attention(b, path + ".token_mixer", b.layer_norm(path + ".norm1", x, 1e-5f));
  y = layer_scale(b, path + ".ls1", y, false);
  {
    Builder::ScopedPath scope(b, path);
    x = b.add(x, y);
  }
  const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * c.mlp_ratios);
  y = blocks::mlp(b, path + ".mlp", b.layer_norm(path + ".norm2", x, 1e-5f), hidden, c.act);
  y = layer_scale(b, path + ".ls2", y, false);
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

// Flat: [B, C, H, W] -> [B, H*W, C]. `reduction`: the network's stride so far (every
// stride-2 conv rounds up, so a side of size s ends as ceil(s / reduction)).
ValueId flat(Builder& b, const std::string& path, ValueId x, const std::string& what, int64_t reduction) {
  const int64_t tokens = b.dim(x, 2) * b.dim(x, 3);
  if (tokens != kResolution * kResolution) {
    throw Error(fmt::format("building {}: the last stage's map is {}x{} ({} tokens), but the attention blocks are "
                            "fixed to a {}x{} grid ({} tokens, timm's resolution=7): the input must be {}x{} "
                            "(or any size that is 7 after the stride-{} reduction, {} to {})",
                            what, b.dim(x, 2), b.dim(x, 3), tokens, kResolution, kResolution,
                            kResolution * kResolution, kResolution * reduction, kResolution * reduction, reduction,
                            (kResolution - 1) * reduction + 1, kResolution * reduction));
  }
  Builder::ScopedPath scope(b, path);
  return b.transpose(b.flatten(x, 2), 1, 2);
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const EfficientFormerConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  ValueId x = b.input("input", input_shape);

  // Stem4: two 3x3 stride-2 convs, each with BatchNorm and ReLU (not act_layer).
  x = b.conv2d("stem.conv1", x, c.embed_dims[0] / 2, 3, {.stride = 2, .padding = 1});
  x = act(b, Activation::kRelu, "stem.act1", b.batch_norm("stem.norm1", x));
  x = b.conv2d("stem.conv2", x, c.embed_dims[0], 3, {.stride = 2, .padding = 1});
  x = act(b, Activation::kRelu, "stem.act2", b.batch_norm("stem.norm2", x));

  const size_t last = c.depths.size() - 1;
  int64_t reduction = 4;   // the stem's
  for (size_t i = 0; i < c.depths.size(); ++i) {
    const std::string stage = fmt::format("stages.{}", i);
    if (c.downsamples[i]) {
      reduction *= 2;
      x = b.conv2d(stage + ".downsample.conv", x, c.embed_dims[i], 3, {.stride = 2, .padding = 1});
      x = b.batch_norm(stage + ".downsample.norm", x);
    }
    // The last stage's final num_vit blocks are token blocks, preceded by a Flat module
    // that takes a slot in the block list.
    const int64_t depth = c.depths[i];
    const int64_t num_vit = i == last ? c.num_vit : 0;
    int64_t slot = 0;
    auto next = [&] { return fmt::format("{}.blocks.{}", stage, slot++); };
    if (num_vit > 0 && num_vit >= depth) x = flat(b, next(), x, what, reduction);
    for (int64_t j = 0; j < depth; ++j) {
      const int64_t remaining = depth - j - 1;
      if (num_vit > remaining) {
        x = meta_block_1d(b, next(), x, c);
      } else {
        x = meta_block_2d(b, next(), x, c);
        if (num_vit > 0 && num_vit == remaining) x = flat(b, next(), x, what, reduction);
      }
    }
  }
  x = b.layer_norm("norm", x, 1e-5f);
  b.output("features", x);

  // forward_head: mean over tokens, then the mean of head and head_dist (eval mode).
  ValueId y = x;
  if (c.global_pool == "avg") {
    Builder::ScopedPath scope(b, "head");
    y = b.mean(x, {1}, false);
  }
  if (c.num_classes > 0) {
    const ValueId head = b.linear("head", y, c.num_classes);
    const ValueId head_dist = b.linear("head_dist", y, c.num_classes);
    Builder::ScopedPath scope(b, "head");
    y = b.scale(b.add(head, head_dist), 0.5f);
  }
  b.output("logits", y);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  int64_t in_chans = 3;   // timm's pretrained cfg: 3x224x224, fixed_input_size
  if (const auto it = kwargs.find("in_chans"); it != kwargs.end() && it->is_number_integer()) {
    in_chans = it->get<int64_t>();
  }
  return {in_chans, 224, 224};
}

// ---- variants (timm efficientformer.py efficientformer_l*) -------------------------

json efficientformer_args(std::vector<int64_t> depths, std::vector<int64_t> embed_dims, int64_t num_vit) {
  return {{"depths", std::move(depths)}, {"embed_dims", std::move(embed_dims)}, {"num_vit", num_vit}};
}

}  // namespace

const Family& efficientformer_family() {
  static const Family family{
      .name = "efficientformer",
      .description = "EfficientFormer (arXiv:2206.01191), timm EfficientFormer with distillation head",
      .variants = {
          {"efficientformer_l1", efficientformer_args({3, 2, 6, 4}, {48, 96, 224, 448}, 1)},
          {"efficientformer_l3", efficientformer_args({4, 4, 12, 6}, {64, 128, 320, 512}, 4)},
          {"efficientformer_l7", efficientformer_args({6, 6, 18, 8}, {96, 192, 384, 768}, 8)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
