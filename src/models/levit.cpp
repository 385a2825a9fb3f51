// LeViT.
//   Graham et al., "LeViT: a Vision Transformer in ConvNet's Clothing for Faster
//   Inference", arXiv:2104.01136
// Reference: timm (huggingface/pytorch-image-models) levit.py (Levit / LevitDistilled:
// Stem16/Stem8, LinearNorm or ConvNorm, Attention, AttentionDownsample, LevitMlp,
// NormLinear heads); parameter keys are timm's.
//
// Tokens [B, N, C] throughout; every projection is a Linear without bias followed by a
// BatchNorm1d over the flattened tokens (per channel). Attention adds a learned bias per
// head indexed by |dy| * W + |dx| on the stage's grid; the downsampling attention takes
// its queries from every second token of every second row (the strided grid) and its
// keys/values from the full grid. The resolution is fixed by img_size (the bias tables
// are sized for it), so the input must give img_size's token grid. The distilled
// variants (timm LevitDistilled) return the mean of the two heads in eval mode.
// use_conv (timm's levit_conv_*) is the same arithmetic with 1x1 convs + BatchNorm2d on
// NCHW maps: only the weight shapes ([out, in, 1, 1]) and the features' layout (NCHW)
// differ, so it is built on tokens as well.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "litevit/error.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

enum class Act { kHardSwish, kSilu, kGelu, kRelu };

// Fields named like timm's Levit constructor arguments, plus `distilled` (timm picks
// LevitDistilled by variant; our variants say it in kwargs).
struct LevitConfig {
  int64_t img_height = 224, img_width = 224;   // img_size
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::vector<int64_t> embed_dim = {192};
  int64_t key_dim = 64;
  std::vector<int64_t> depth = {12};
  std::vector<int64_t> num_heads = {3};        // an int applies to every stage
  std::vector<double> attn_ratio = {2.0};      // a number applies to every stage
  std::vector<double> mlp_ratio = {2.0};       // a number applies to every stage
  std::string stem_type = "s16";
  std::string down_op = "subsample";
  std::string act_layer = "hard_swish";
  std::string attn_act_layer;                  // timm None: act_layer
  std::string global_pool = "avg";
  bool use_conv = false;                       // levit_conv_*: 1x1 convs and BatchNorm2d, NCHW features
  bool distilled = false;

  Act act = Act::kHardSwish, attn_act = Act::kHardSwish;
  int64_t stem_stride = 16;
};

constexpr float kEps = 1e-5f;   // every BatchNorm

Act parse_act(KwargsReader& r, const char* key, const std::string& name) {
  if (name == "hard_swish" || name == "hardswish") return Act::kHardSwish;
  if (name == "silu" || name == "swish") return Act::kSilu;
  if (name == "gelu") return Act::kGelu;
  if (name == "relu") return Act::kRelu;
  r.fail(key, fmt::format("'{}' is not supported (hard_swish, silu, gelu, relu)", name));
}

// An int/number or a list with one entry per stage (timm to_ntuple).
template <typename T>
void read_per_stage(KwargsReader& r, const char* key, std::vector<T>& value) {
  const json* j = r.raw(key);
  if (j == nullptr) return;
  if (j->is_number()) {
    if (std::is_integral_v<T> && !j->is_number_integer()) r.fail(key, fmt::format("must be an integer, got {}", j->dump()));
    value = {j->get<T>()};
    return;
  }
  if (!j->is_array() || j->empty()) r.fail(key, fmt::format("must be a number or a list, got {}", j->dump()));
  value.clear();
  for (const auto& item : *j) {
    if (!item.is_number() || (std::is_integral_v<T> && !item.is_number_integer())) {
      r.fail(key, fmt::format("must be a number or a list of numbers, got {}", j->dump()));
    }
    value.push_back(item.get<T>());
  }
}

LevitConfig parse_config(const json& kwargs, const std::string& what) {
  LevitConfig c;
  KwargsReader r(kwargs, what);
  r.read("distilled", c.distilled);
  r.read_size("img_size", c.img_height, c.img_width);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("embed_dim", c.embed_dim);
  r.read("key_dim", c.key_dim);
  r.read("depth", c.depth);
  read_per_stage(r, "num_heads", c.num_heads);
  read_per_stage(r, "attn_ratio", c.attn_ratio);
  read_per_stage(r, "mlp_ratio", c.mlp_ratio);
  r.read("stem_type", c.stem_type);
  r.read("down_op", c.down_op);
  r.read("act_layer", c.act_layer);
  r.read("attn_act_layer", c.attn_act_layer);
  r.read("global_pool", c.global_pool);
  if (const json* v = r.raw("stem_backbone"); v != nullptr && !v->is_null()) {
    r.fail("stem_backbone", "is not supported (a custom stem module)");
  }
  if (const json* v = r.raw("stem_stride"); v != nullptr && !v->is_null()) {
    r.fail("stem_stride", "is not supported (it only applies with stem_backbone)");
  }
  r.read("use_conv", c.use_conv);
  r.ignore({"drop_rate", "drop_path_rate"});
  r.finish();

  const size_t stages = c.embed_dim.size();
  if (stages < 1) r.fail("embed_dim", "must list at least one stage");
  if (c.depth.size() != stages) r.fail("depth", fmt::format("has {} entries, embed_dim has {}", c.depth.size(), stages));
  auto broadcast = [&](const char* key, auto& list) {
    if (list.size() == 1) list.resize(stages, list[0]);
    if (list.size() != stages) r.fail(key, fmt::format("has {} entries, needs 1 or {} (one per stage)", list.size(), stages));
  };
  broadcast("num_heads", c.num_heads);
  broadcast("attn_ratio", c.attn_ratio);
  broadcast("mlp_ratio", c.mlp_ratio);
  if (c.key_dim <= 0) r.fail("key_dim", "must be positive");
  for (size_t i = 0; i < stages; ++i) {
    if (c.depth[i] < 0) r.fail("depth", fmt::format("entry {} is negative", i));
    if (c.embed_dim[i] <= 0) r.fail("embed_dim", fmt::format("entry {} must be positive", i));
    if (c.num_heads[i] <= 0) r.fail("num_heads", fmt::format("entry {} must be positive", i));
    if (!(c.attn_ratio[i] > 0.0)) r.fail("attn_ratio", fmt::format("entry {} must be positive", i));
    if (!(c.mlp_ratio[i] > 0.0)) r.fail("mlp_ratio", fmt::format("entry {} must be positive", i));
    if (i > 0 && c.embed_dim[i - 1] / c.key_dim <= 0) {
      r.fail("key_dim", fmt::format("{} exceeds embed_dim[{}] = {}: the downsampling attention has embed_dim / key_dim "
                                    "heads", c.key_dim, i - 1, c.embed_dim[i - 1]));
    }
  }
  if (c.stem_type == "s16") {
    c.stem_stride = 16;
  } else if (c.stem_type == "s8") {
    c.stem_stride = 8;
  } else {
    r.fail("stem_type", fmt::format("'{}' is not supported ('s16' or 's8')", c.stem_type));
  }
  if (c.embed_dim[0] < c.stem_stride / 2) {
    r.fail("embed_dim", fmt::format("embed_dim[0] = {} leaves the stem's first conv ({} of it) no channels",
                                    c.embed_dim[0], c.stem_stride == 16 ? "1/8" : "1/4"));
  }
  if (stages > 1 && c.down_op != "subsample") {
    r.fail("down_op", fmt::format("'{}' is not supported ('subsample'; timm cannot run a multi-stage model without it)",
                                  c.down_op));
  }
  c.act = parse_act(r, "act_layer", c.act_layer);
  c.attn_act = c.attn_act_layer.empty() ? c.act : parse_act(r, "attn_act_layer", c.attn_act_layer);
  if (c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported ('avg' or '')", c.global_pool));
  }
  if (c.global_pool.empty() && c.num_classes > 0) {
    r.fail("global_pool", "'' needs num_classes = 0 (timm's BatchNorm1d head cannot take unpooled tokens)");
  }
  if (c.in_chans <= 0) r.fail("in_chans", "must be positive");
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.img_height / c.stem_stride <= 0 || c.img_width / c.stem_stride <= 0) {
    r.fail("img_size", fmt::format("{}x{} is smaller than the stem stride {}", c.img_height, c.img_width, c.stem_stride));
  }
  return c;
}

// ---- layers ---------------------------------------------------------------------

ValueId activation(Builder& b, const std::string& scope, Act act, ValueId x) {
  Builder::ScopedPath s(b, scope);
  switch (act) {
    case Act::kHardSwish: return b.hard_swish(x);
    case Act::kSilu: return b.silu(x);
    case Act::kGelu: return b.gelu(x);
    case Act::kRelu: return b.relu(x);
  }
  return x;
}

// timm ConvNorm (stem): 3x3 stride-2 conv without bias -> BatchNorm2d (path.linear, path.bn).
ValueId conv_norm(Builder& b, const std::string& path, ValueId x, int64_t out_channels) {
  x = b.conv2d(path + ".linear", x, out_channels, 3, {.stride = 2, .padding = 1, .bias = false});
  return b.batch_norm(path + ".bn", x, kEps);
}

// timm LinearNorm on x [B, N, C]: Linear without bias, BatchNorm1d over the B*N tokens.
// In the conv layout (timm ConvNorm, 1x1 conv + BatchNorm2d) the same arithmetic on the
// tokens with the weight stored [out, in, 1, 1].
ValueId linear_norm(Builder& b, const std::string& path, ValueId x, int64_t out_features, bool use_conv) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), in_features = b.dim(x, 2);
  if (use_conv) {
    ValueId weight = b.parameter(path + ".linear.weight", {out_features, in_features, 1, 1});
    Builder::ScopedPath scope(b, path + ".linear");
    weight = b.transpose(b.reshape(weight, {out_features, in_features}), 0, 1);
    x = b.matmul(b.reshape(x, {batch * tokens, in_features}), weight);
  } else {
    x = b.linear(path + ".linear", x, out_features, false);
    Builder::ScopedPath scope(b, path);
    x = b.reshape(x, {batch * tokens, out_features});
  }
  x = b.batch_norm(path + ".bn", x, kEps);
  Builder::ScopedPath scope(b, path);
  return b.reshape(x, {batch, tokens, out_features});
}

// attention_bias_idxs: for query (qy, qx) on the grid subsampled by `stride` and key
// (ky, kx) on the full grid, |qy - ky| * width + |qx - kx|.
std::vector<int64_t> bias_indices(int64_t height, int64_t width, int64_t stride) {
  std::vector<int64_t> idxs;
  for (int64_t qy = 0; qy < height; qy += stride) {
    for (int64_t qx = 0; qx < width; qx += stride) {
      for (int64_t ky = 0; ky < height; ++ky) {
        for (int64_t kx = 0; kx < width; ++kx) idxs.push_back(std::abs(qy - ky) * width + std::abs(qx - kx));
      }
    }
  }
  return idxs;
}

// softmax(q k * key_dim^-0.5 + bias) v with q [B,h,Nq,kd], k [B,h,kd,Nk], v [B,h,Nk,vd],
// the bias table [h, H*W] gathered for the (strided) grid; returns [B, Nq, h*vd].
ValueId biased_attention(Builder& b, const std::string& path, ValueId q, ValueId k, ValueId v, int64_t height,
                         int64_t width, int64_t stride) {
  const int64_t batch = b.dim(q, 0), heads = b.dim(q, 1), nq = b.dim(q, 2), key_dim = b.dim(q, 3);
  const int64_t nk = b.dim(k, 3), val_dim = b.dim(v, 3);
  ValueId bias = b.parameter(path + ".attention_biases", {heads, height * width});
  Builder::ScopedPath scope(b, path);
  bias = b.reshape(b.index_select(bias, 1, bias_indices(height, width, stride)), {heads, nq, nk});
  ValueId attn = b.scale(b.matmul(q, k), static_cast<float>(1.0 / std::sqrt(static_cast<double>(key_dim))));
  attn = b.softmax(b.add(attn, bias), -1);
  return b.reshape(b.transpose(b.matmul(attn, v), 1, 2), {batch, nq, heads * val_dim});
}

// timm levit Attention on x [B, N, C] over a height x width grid: qkv channels are
// [heads, (q, k, v)], values attn_ratio times wider than keys; act -> proj.
ValueId attention(Builder& b, const std::string& path, ValueId x, int64_t key_dim, int64_t heads, double attn_ratio,
                  int64_t height, int64_t width, Act act, bool conv) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), dim = b.dim(x, 2);
  const auto val_dim = static_cast<int64_t>(attn_ratio * static_cast<double>(key_dim));
  ValueId qkv = linear_norm(b, path + ".qkv", x, heads * (2 * key_dim + val_dim), conv);
  ValueId out;
  {
    Builder::ScopedPath scope(b, path);
    qkv = b.permute(b.reshape(qkv, {batch, tokens, heads, 2 * key_dim + val_dim}), {0, 2, 1, 3});   // [B,h,N,*]
    ValueId q = b.slice(qkv, 3, 0, key_dim);
    ValueId k = b.transpose(b.slice(qkv, 3, key_dim, 2 * key_dim), -2, -1);
    ValueId v = b.slice(qkv, 3, 2 * key_dim, 2 * key_dim + val_dim);
    out = biased_attention(b, path, q, k, v, height, width, 1);
  }
  return linear_norm(b, path + ".proj.ln", activation(b, path + ".proj", act, out), dim, conv);
}

// timm AttentionDownsample: keys/values from all tokens, queries from the stride-2
// subsampled grid, attn_ratio 4, in_dim / key_dim heads; act -> proj to out_dim.
ValueId attention_downsample(Builder& b, const std::string& path, ValueId x, int64_t out_dim, int64_t key_dim,
                             int64_t height, int64_t width, Act act, bool conv) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), in_dim = b.dim(x, 2);
  const int64_t heads = in_dim / key_dim, val_dim = 4 * key_dim;
  const int64_t out_h = (height - 1) / 2 + 1, out_w = (width - 1) / 2 + 1;
  ValueId kv = linear_norm(b, path + ".kv", x, heads * (key_dim + val_dim), conv);
  ValueId sub;
  {
    Builder::ScopedPath scope(b, path + ".q.down");
    sub = b.reshape(x, {batch, height, width, in_dim});
    sub = b.reshape(b.slice(b.slice(sub, 1, 0, height, 2), 2, 0, width, 2), {batch, out_h * out_w, in_dim});
  }
  ValueId q = linear_norm(b, path + ".q.ln", sub, heads * key_dim, conv);
  ValueId out;
  {
    Builder::ScopedPath scope(b, path);
    kv = b.permute(b.reshape(kv, {batch, tokens, heads, key_dim + val_dim}), {0, 2, 1, 3});   // [B,h,N,*]
    ValueId k = b.transpose(b.slice(kv, 3, 0, key_dim), -2, -1);
    ValueId v = b.slice(kv, 3, key_dim, key_dim + val_dim);
    q = b.permute(b.reshape(q, {batch, out_h * out_w, heads, key_dim}), {0, 2, 1, 3});
    out = biased_attention(b, path, q, k, v, height, width, 2);
  }
  return linear_norm(b, path + ".proj.ln", activation(b, path + ".proj", act, out), out_dim, conv);
}

// timm LevitMlp: LinearNorm -> act -> LinearNorm.
ValueId mlp(Builder& b, const std::string& path, ValueId x, double ratio, Act act, bool conv) {
  const int64_t dim = b.dim(x, 2);
  ValueId h = linear_norm(b, path + ".ln1", x, static_cast<int64_t>(static_cast<double>(dim) * ratio), conv);
  return linear_norm(b, path + ".ln2", activation(b, path, act, h), dim, conv);
}

ValueId residual(Builder& b, const std::string& path, ValueId x, ValueId y) {
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

// timm NormLinear: BatchNorm1d -> Linear.
ValueId norm_linear(Builder& b, const std::string& path, ValueId x, int64_t out_features) {
  return b.linear(path + ".linear", b.batch_norm(path + ".bn", x, kEps), out_features);
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const LevitConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  // The stem halves the map (rounding up) log2(stride) times; the bias tables are
  // sized for img_size / stride, so the stem's output must be exactly that grid.
  int64_t height = c.img_height / c.stem_stride, width = c.img_width / c.stem_stride;
  int64_t map_h = input_shape[2], map_w = input_shape[3];
  for (int64_t s = c.stem_stride; s > 1; s /= 2) map_h = (map_h - 1) / 2 + 1, map_w = (map_w - 1) / 2 + 1;
  if (map_h != height || map_w != width) {
    throw Error(fmt::format("building {}: input {} gives a {}x{} token grid, the model is built for img_size {}x{} "
                            "({}x{} tokens; LeViT's attention biases fix the resolution: set kwargs.img_size)",
                            what, graph::shape_str(input_shape), map_h, map_w, c.img_height, c.img_width, height,
                            width));
  }
  ValueId x = b.input("input", input_shape);

  const int64_t dim0 = c.embed_dim[0];
  const int64_t convs = c.stem_stride == 16 ? 4 : 3;
  for (int64_t i = 1; i <= convs; ++i) {
    const std::string conv = fmt::format("stem.conv{}", i);
    x = conv_norm(b, conv, x, dim0 >> (convs - i));
    if (i < convs) x = activation(b, fmt::format("stem.act{}", i), c.act, x);
  }
  {
    Builder::ScopedPath scope(b, "stem");
    x = b.transpose(b.flatten(x, 2), 1, 2);   // [B, H*W, C]
  }

  for (size_t s = 0; s < c.embed_dim.size(); ++s) {
    const std::string stage = fmt::format("stages.{}", s);
    if (s > 0) {
      const std::string down = stage + ".downsample";
      x = attention_downsample(b, down + ".attn_downsample", x, c.embed_dim[s], c.key_dim, height, width, c.attn_act,
                               c.use_conv);
      x = residual(b, down, x, mlp(b, down + ".mlp", x, 2.0, c.act, c.use_conv));
      height = (height - 1) / 2 + 1;
      width = (width - 1) / 2 + 1;
    }
    for (int64_t i = 0; i < c.depth[s]; ++i) {
      const std::string block = fmt::format("{}.blocks.{}", stage, i);
      x = residual(b, block, x,
                   attention(b, block + ".attn", x, c.key_dim, c.num_heads[s], c.attn_ratio[s], height, width,
                             c.attn_act, c.use_conv));
      x = residual(b, block, x, mlp(b, block + ".mlp", x, c.mlp_ratio[s], c.act, c.use_conv));
    }
  }
  if (c.use_conv) {
    Builder::ScopedPath scope(b, "stages");
    b.output("features", b.reshape(b.transpose(x, 1, 2), {b.dim(x, 0), b.dim(x, 2), height, width}));   // NCHW
  } else {
    b.output("features", x);   // [B, N, C]
  }

  ValueId logits = x;
  {
    Builder::ScopedPath scope(b, "head");
    if (c.global_pool == "avg") logits = b.mean(x, {1}, false);
  }
  if (c.num_classes > 0) {
    ValueId head = norm_linear(b, "head", logits, c.num_classes);
    if (c.distilled) {
      ValueId dist = norm_linear(b, "head_dist", logits, c.num_classes);
      Builder::ScopedPath scope(b, "head_dist");
      head = b.scale(b.add(head, dist), 0.5f);
    }
    logits = head;
  }
  b.output("logits", logits);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  const LevitConfig c = parse_config(kwargs, "levit");
  return {c.in_chans, c.img_height, c.img_width};
}

// ---- variants (timm levit.py model_cfgs) -------------------------------------------

json levit_args(std::vector<int64_t> embed_dim, int64_t key_dim, std::vector<int64_t> num_heads,
                std::vector<int64_t> depth, bool distilled, const char* act_layer = "hard_swish",
                const char* stem_type = "s16") {
  return {{"embed_dim", std::move(embed_dim)}, {"key_dim", key_dim},     {"num_heads", std::move(num_heads)},
          {"depth", std::move(depth)},         {"distilled", distilled}, {"act_layer", act_layer},
          {"stem_type", stem_type}};
}

std::vector<Variant> variants() {
  const std::vector<Variant> linear = {
      {"levit_128s", levit_args({128, 256, 384}, 16, {4, 6, 8}, {2, 3, 4}, true)},
      {"levit_128", levit_args({128, 256, 384}, 16, {4, 8, 12}, {4, 4, 4}, true)},
      {"levit_192", levit_args({192, 288, 384}, 32, {3, 5, 6}, {4, 4, 4}, true)},
      {"levit_256", levit_args({256, 384, 512}, 32, {4, 6, 8}, {4, 4, 4}, true)},
      {"levit_384", levit_args({384, 512, 768}, 32, {6, 9, 12}, {4, 4, 4}, true)},
      {"levit_384_s8", levit_args({384, 512, 768}, 32, {6, 9, 12}, {4, 4, 4}, true, "silu", "s8")},
      {"levit_512_s8", levit_args({512, 640, 896}, 64, {8, 10, 14}, {4, 4, 4}, false, "silu", "s8")},
      {"levit_512", levit_args({512, 768, 1024}, 64, {8, 12, 16}, {4, 4, 4}, false, "silu")},
      {"levit_256d", levit_args({256, 384, 512}, 32, {4, 6, 8}, {4, 8, 6}, false, "silu")},
      {"levit_512d", levit_args({512, 640, 768}, 64, {8, 10, 12}, {4, 8, 6}, false, "silu")},
  };
  // timm's levit_conv_* are the same models with 1x1 convs: levit_X -> levit_conv_X.
  std::vector<Variant> all = linear;
  for (const Variant& v : linear) {
    json kwargs = v.kwargs;
    kwargs["use_conv"] = true;
    all.push_back({"levit_conv_" + v.name.substr(6), std::move(kwargs)});
  }
  return all;
}

}  // namespace

const Family& levit_family() {
  static const Family family{
      .name = "levit",
      .description = "LeViT (arXiv:2104.01136), timm levit.py (nn.Linear and levit_conv_* layouts)",
      .variants = variants(),
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
