// TinyViT.
//   Wu et al., "TinyViT: Fast Pretraining Distillation for Small Vision Transformers",
//   arXiv:2207.10666
// Reference: timm (huggingface/pytorch-image-models) tiny_vit.py (TinyVit, ConvLayer/MBConv,
// PatchMerging, TinyVitStage/TinyVitBlock, the window Attention with its attention-bias
// table) and layers/classifier.py NormMlpClassifierHead; parameter keys are timm's.
//
// Stage 0 is MBConv blocks; every later stage starts with a PatchMerging (stride 2) and
// runs TinyVitBlocks on [B, H, W, C]: window attention, where a map that is not a multiple
// of the window is zero-padded on the bottom/right *before* the attention's own LayerNorm
// and the padded tokens take part in the softmax (no mask, as in timm), then a depthwise
// conv and a pre-norm MLP. Any input size runs (windows pad as needed).
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "litevit/error.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

// Fields named like timm's TinyVit constructor arguments.
struct TinyVitConfig {
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "avg";   // "avg", or "" (no pooling: 1x1 conv classifier per position)
  std::vector<int64_t> embed_dims = {96, 192, 384, 768};
  std::vector<int64_t> depths = {2, 2, 6, 2};
  std::vector<int64_t> num_heads = {3, 6, 12, 24};
  std::vector<int64_t> window_sizes = {7, 7, 14, 7};
  double mlp_ratio = 4.0;
  double mbconv_expand_ratio = 4.0;
  int64_t local_conv_size = 3;
};

constexpr float kEps = 1e-5f;   // every LayerNorm (incl. the head's LayerNorm2d) and BatchNorm

TinyVitConfig parse_config(const json& kwargs, const std::string& what) {
  TinyVitConfig c;
  KwargsReader r(kwargs, what);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  r.read("embed_dims", c.embed_dims);
  r.read("depths", c.depths);
  r.read("num_heads", c.num_heads);
  r.read("window_sizes", c.window_sizes);
  r.read("mlp_ratio", c.mlp_ratio);
  r.read("mbconv_expand_ratio", c.mbconv_expand_ratio);
  r.read("local_conv_size", c.local_conv_size);
  // timm takes an nn.Module class; a config can only name the default.
  std::string act_layer = "gelu";
  r.read("act_layer", act_layer);
  if (act_layer != "gelu") r.fail("act_layer", fmt::format("'{}' is not supported (only 'gelu', timm's nn.GELU)", act_layer));
  r.ignore({"drop_rate", "drop_path_rate", "use_checkpoint"});
  r.finish();

  const size_t stages = c.depths.size();
  if (stages < 1) r.fail("depths", "must list at least one stage");
  if (c.embed_dims.size() != stages) {
    r.fail("embed_dims", fmt::format("has {} entries, depths has {}", c.embed_dims.size(), stages));
  }
  for (const auto& [key, list] : {std::pair{"num_heads", &c.num_heads}, std::pair{"window_sizes", &c.window_sizes}}) {
    if (list->size() < stages) r.fail(key, fmt::format("has {} entries, needs one per stage ({})", list->size(), stages));
  }
  for (size_t i = 0; i < stages; ++i) {
    if (c.depths[i] < 0) r.fail("depths", fmt::format("entry {} is negative", i));
    if (c.embed_dims[i] <= 0) r.fail("embed_dims", fmt::format("entry {} must be positive", i));
    if (i == 0) continue;   // stage 0 is MBConv: no heads, no windows
    if (c.num_heads[i] <= 0 || c.embed_dims[i] % c.num_heads[i] != 0) {
      r.fail("num_heads", fmt::format("stage {}: {} heads do not divide embed_dims {}", i, c.num_heads[i], c.embed_dims[i]));
    }
    if (c.window_sizes[i] <= 0) r.fail("window_sizes", fmt::format("stage {}: must be positive", i));
  }
  if (c.embed_dims[0] < 2 || c.embed_dims[0] % 2 != 0) {
    r.fail("embed_dims", fmt::format("embed_dims[0] = {} must be even (the stem's first conv has half of it)", c.embed_dims[0]));
  }
  if (c.local_conv_size <= 0 || c.local_conv_size % 2 == 0) {
    r.fail("local_conv_size", fmt::format("must be odd and positive (same-size depthwise conv), got {}", c.local_conv_size));
  }
  if (!(c.mlp_ratio > 0.0)) r.fail("mlp_ratio", "must be positive");
  if (!(c.mbconv_expand_ratio > 0.0)) r.fail("mbconv_expand_ratio", "must be positive");
  if (c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported ('avg' or '')", c.global_pool));
  }
  if (c.in_chans <= 0) r.fail("in_chans", "must be positive");
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  return c;
}

// ---- layers ---------------------------------------------------------------------

// timm ConvNorm: conv without bias -> BatchNorm2d (path.conv, path.bn).
ValueId conv_norm(Builder& b, const std::string& path, ValueId x, int64_t out_channels, int64_t kernel,
                  int64_t stride = 1, int64_t padding = 0, int64_t groups = 1) {
  x = b.conv2d(path + ".conv", x, out_channels, kernel,
               {.stride = stride, .padding = padding, .groups = groups, .bias = false});
  return b.batch_norm(path + ".bn", x, kEps);
}

ValueId gelu(Builder& b, const std::string& scope, ValueId x) {
  Builder::ScopedPath s(b, scope);
  return b.gelu(x);
}

// MBConv on NCHW: 1x1 expand, 3x3 depthwise, 1x1 project, + input, GELU.
ValueId mbconv(Builder& b, const std::string& path, ValueId x, double expand_ratio) {
  const int64_t channels = b.dim(x, 1);
  const auto mid = static_cast<int64_t>(static_cast<double>(channels) * expand_ratio);
  ValueId y = gelu(b, path, conv_norm(b, path + ".conv1", x, mid, 1));
  y = gelu(b, path, conv_norm(b, path + ".conv2", y, mid, 3, 1, 1, mid));
  y = conv_norm(b, path + ".conv3", y, channels, 1);
  Builder::ScopedPath s(b, path);
  return b.gelu(b.add(y, x));
}

// PatchMerging on NCHW: 1x1, 3x3 depthwise stride 2, 1x1.
ValueId patch_merging(Builder& b, const std::string& path, ValueId x, int64_t out_dim) {
  x = gelu(b, path, conv_norm(b, path + ".conv1", x, out_dim, 1));
  x = gelu(b, path, conv_norm(b, path + ".conv2", x, out_dim, 3, 2, 1, out_dim));
  return conv_norm(b, path + ".conv3", x, out_dim, 1);
}

// attention_bias_idxs of a window x window grid: entry (i, j) is |dy| * window + |dx|
// between tokens i and j (timm numbers the offsets in first-seen order, which is this).
std::vector<int64_t> window_bias_indices(int64_t window) {
  const int64_t n = window * window;
  std::vector<int64_t> idxs;
  idxs.reserve(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      idxs.push_back(std::abs(i / window - j / window) * window + std::abs(i % window - j % window));
    }
  }
  return idxs;
}

// timm tiny_vit Attention on x [B, N, C], N = window^2: LayerNorm, qkv with channels
// [heads, (q, k, v)], softmax(q k^T * key_dim^-0.5 + bias) v, proj.
ValueId window_attention(Builder& b, const std::string& path, ValueId x, int64_t num_heads, int64_t window) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), dim = b.dim(x, 2);
  const int64_t key_dim = dim / num_heads;
  x = b.layer_norm(path + ".norm", x, kEps);
  ValueId qkv = b.linear(path + ".qkv", x, num_heads * 3 * key_dim);
  Builder::ScopedPath scope(b, path);
  qkv = b.permute(b.reshape(qkv, {batch, tokens, num_heads, 3 * key_dim}), {0, 2, 1, 3});   // [B,h,N,3d]
  ValueId q = b.scale(b.slice(qkv, 3, 0, key_dim), static_cast<float>(1.0 / std::sqrt(static_cast<double>(key_dim))));
  ValueId k = b.slice(qkv, 3, key_dim, 2 * key_dim);
  ValueId v = b.slice(qkv, 3, 2 * key_dim, 3 * key_dim);
  ValueId bias = b.parameter(path + ".attention_biases", {num_heads, window * window});
  bias = b.reshape(b.index_select(bias, 1, window_bias_indices(window)), {num_heads, tokens, tokens});
  ValueId attn = b.softmax(b.add(b.matmul(q, b.transpose(k, -2, -1)), bias), -1);   // [B,h,N,N]
  ValueId out = b.reshape(b.transpose(b.matmul(attn, v), 1, 2), {batch, tokens, dim});
  return b.linear(path + ".proj", out, dim);
}

// TinyVitBlock on x [B, H, W, C].
ValueId tiny_vit_block(Builder& b, const std::string& path, ValueId x, int64_t num_heads, int64_t window,
                       const TinyVitConfig& c) {
  const int64_t batch = b.dim(x, 0), height = b.dim(x, 1), width = b.dim(x, 2), dim = b.dim(x, 3);
  const ValueId shortcut = x;
  const int64_t pad_b = (window - height % window) % window, pad_r = (window - width % window) % window;
  const int64_t ph = height + pad_b, pw = width + pad_r, nh = ph / window, nw = pw / window;
  {
    Builder::ScopedPath scope(b, path);
    if (pad_b > 0 || pad_r > 0) x = b.pad(x, {{0, 0}, {0, pad_b}, {0, pad_r}});
    x = b.reshape(x, {batch, nh, window, nw, window, dim});
    x = b.reshape(b.permute(x, {0, 1, 3, 2, 4, 5}), {batch * nh * nw, window * window, dim});
  }
  x = window_attention(b, path + ".attn", x, num_heads, window);
  {
    Builder::ScopedPath scope(b, path);
    x = b.reshape(x, {batch, nh, nw, window, window, dim});
    x = b.reshape(b.permute(x, {0, 1, 3, 2, 4, 5}), {batch, ph, pw, dim});
    if (pad_b > 0 || pad_r > 0) x = b.slice(b.slice(x, 1, 0, height), 2, 0, width);
    x = b.add(shortcut, x);
    x = b.permute(x, {0, 3, 1, 2});   // NCHW for the depthwise conv
  }
  x = conv_norm(b, path + ".local_conv", x, dim, c.local_conv_size, 1, c.local_conv_size / 2, dim);
  {
    Builder::ScopedPath scope(b, path);
    x = b.permute(x, {0, 2, 3, 1});   // back to [B, H, W, C]
  }
  ValueId y = b.layer_norm(path + ".mlp.norm", x, kEps);
  y = b.linear(path + ".mlp.fc1", y, static_cast<int64_t>(static_cast<double>(dim) * c.mlp_ratio));
  y = b.linear(path + ".mlp.fc2", gelu(b, path + ".mlp", y), dim);
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const TinyVitConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  ValueId x = b.input("input", input_shape);

  // PatchEmbed: two stride-2 3x3 ConvNorms with GELU between.
  x = gelu(b, "patch_embed", conv_norm(b, "patch_embed.conv1", x, c.embed_dims[0] / 2, 3, 2, 1));
  x = conv_norm(b, "patch_embed.conv2", x, c.embed_dims[0], 3, 2, 1);

  for (int64_t i = 0; i < c.depths[0]; ++i) x = mbconv(b, fmt::format("stages.0.blocks.{}", i), x, c.mbconv_expand_ratio);
  for (size_t s = 1; s < c.depths.size(); ++s) {
    const std::string stage = fmt::format("stages.{}", s);
    x = patch_merging(b, stage + ".downsample", x, c.embed_dims[s]);
    {
      Builder::ScopedPath scope(b, stage);
      x = b.permute(x, {0, 2, 3, 1});
    }
    for (int64_t i = 0; i < c.depths[s]; ++i) {
      x = tiny_vit_block(b, fmt::format("{}.blocks.{}", stage, i), x, c.num_heads[s], c.window_sizes[s], c);
    }
    Builder::ScopedPath scope(b, stage);
    x = b.permute(x, {0, 3, 1, 2});
  }
  b.output("features", x);   // NCHW

  // NormMlpClassifierHead: pool -> LayerNorm2d -> fc (a Linear, or a 1x1 conv without pooling).
  Builder::ScopedPath scope(b, "head");
  ValueId logits = x;
  if (c.global_pool == "avg") {
    logits = b.layer_norm("head.norm", b.mean(x, {2, 3}, false), kEps);
    if (c.num_classes > 0) logits = b.linear("head.fc", logits, c.num_classes);
  } else {
    logits = b.permute(b.layer_norm("head.norm", b.permute(x, {0, 2, 3, 1}), kEps), {0, 3, 1, 2});
    if (c.num_classes > 0) logits = b.conv2d("head.fc", logits, c.num_classes, 1);
  }
  b.output("logits", logits);
}

// timm's pretrained input size: the last stage's window covers the whole final map,
// window_sizes[-1] * 32 (224, 384, 512 for the variants).
std::array<int64_t, 3> default_input(const json& kwargs) {
  const TinyVitConfig c = parse_config(kwargs, "tiny_vit");
  const int64_t stride = int64_t{4} << (c.depths.size() - 1);
  const int64_t size = c.depths.size() > 1 ? c.window_sizes[c.depths.size() - 1] * stride : 224;
  return {c.in_chans, size, size};
}

json variant(std::vector<int64_t> embed_dims, std::vector<int64_t> num_heads, std::vector<int64_t> window_sizes) {
  return {{"embed_dims", std::move(embed_dims)},
          {"depths", {2, 2, 6, 2}},
          {"num_heads", std::move(num_heads)},
          {"window_sizes", std::move(window_sizes)}};
}

}  // namespace

const Family& tiny_vit_family() {
  static const Family family{
      .name = "tiny_vit",
      .description = "TinyViT (arXiv:2207.10666), timm tiny_vit.py",
      .variants = {
          {"tiny_vit_5m_224", variant({64, 128, 160, 320}, {2, 4, 5, 10}, {7, 7, 14, 7})},
          {"tiny_vit_11m_224", variant({64, 128, 256, 448}, {2, 4, 8, 14}, {7, 7, 14, 7})},
          {"tiny_vit_21m_224", variant({96, 192, 384, 576}, {3, 6, 12, 18}, {7, 7, 14, 7})},
          {"tiny_vit_21m_384", variant({96, 192, 384, 576}, {3, 6, 12, 18}, {12, 12, 24, 12})},
          {"tiny_vit_21m_512", variant({96, 192, 384, 576}, {3, 6, 12, 18}, {16, 16, 32, 16})},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
