// BEiT.
//   Bao et al., "BEiT: BERT Pre-Training of Image Transformers", arXiv:2106.08254
//   (BEiT v2: Peng et al., arXiv:2208.06366, same network)
// Reference: timm (huggingface/pytorch-image-models) beit.py (Beit, Block, Attention,
// RelativePositionBias, gen_relative_position_index); parameter keys are timm's.
//
// A ViT with a class token whose attention adds a relative position bias per block
// (or one shared by all blocks), a query and value bias with a zero key bias, and
// layer scale (gamma_1, gamma_2). The relative position index and the zero key bias
// are non-persistent buffers in timm and are computed here.
#include <fmt/format.h>

#include <cmath>

#include "litevit/error.h"
#include "models/blocks/transformer.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

// Fields named like timm's Beit constructor arguments.
struct BeitConfig {
  int64_t img_height = 224, img_width = 224;   // img_size
  int64_t patch_height = 16, patch_width = 16;   // patch_size
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "avg";   // "avg" (mean of patch tokens, fc_norm), "" (none), else class token
  int64_t embed_dim = 768;
  int64_t depth = 12;
  int64_t num_heads = 12;
  bool qkv_bias = true;
  double mlp_ratio = 4.0;
  double init_values = 0.0;          // timm None or 0: no layer scale
  bool use_abs_pos_emb = true;
  bool use_rel_pos_bias = false;
  bool use_shared_rel_pos_bias = false;
};

BeitConfig parse_config(const json& kwargs, const std::string& what) {
  BeitConfig c;
  KwargsReader r(kwargs, what);
  r.read_size("img_size", c.img_height, c.img_width);
  r.read_size("patch_size", c.patch_height, c.patch_width);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  r.read("embed_dim", c.embed_dim);
  r.read("depth", c.depth);
  r.read("num_heads", c.num_heads);
  r.read("qkv_bias", c.qkv_bias);
  r.read("mlp_ratio", c.mlp_ratio);
  if (const json* v = r.raw("init_values"); v != nullptr && !v->is_null()) r.read("init_values", c.init_values);
  r.read("use_abs_pos_emb", c.use_abs_pos_emb);
  r.read("use_rel_pos_bias", c.use_rel_pos_bias);
  r.read("use_shared_rel_pos_bias", c.use_shared_rel_pos_bias);
  bool flag = false;
  for (const char* unsupported : {"swiglu_mlp", "scale_mlp"}) {
    r.read(unsupported, flag);
    if (flag) r.fail(unsupported, "= true is not supported yet");
  }
  if (const json* v = r.raw("norm_layer"); v != nullptr && !v->is_null()) {
    r.fail("norm_layer", fmt::format("{} is not supported (only timm's default LayerNorm, eps 1e-6)", v->dump()));
  }
  r.ignore({"drop_rate", "pos_drop_rate", "proj_drop_rate", "attn_drop_rate", "drop_path_rate", "head_init_scale"});
  r.finish();

  for (auto [key, value] : {std::pair{"patch_size", std::min(c.patch_height, c.patch_width)},
                            {"embed_dim", c.embed_dim}, {"depth", c.depth}, {"num_heads", c.num_heads},
                            {"in_chans", c.in_chans}}) {
    if (value <= 0) r.fail(key, fmt::format("must be positive, got {}", value));
  }
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.mlp_ratio <= 0) r.fail("mlp_ratio", "must be positive");
  if (c.embed_dim % c.num_heads != 0) {
    r.fail("num_heads", fmt::format("{} does not divide embed_dim {}", c.num_heads, c.embed_dim));
  }
  if (c.img_height < c.patch_height || c.img_width < c.patch_width) {
    r.fail("img_size", fmt::format("{}x{} is smaller than patch_size {}x{}", c.img_height, c.img_width,
                                   c.patch_height, c.patch_width));
  }
  return c;
}

// timm gen_relative_position_index, flattened, for a gh x gw patch grid plus the class
// token (row and column 0): patch pairs use the signed offsets
// (dy + gh - 1) * (2 gw - 1) + (dx + gw - 1); class -> patch is entry D, patch -> class
// D + 1 and class -> class D + 2, where D = (2 gh - 1) (2 gw - 1).
std::vector<int64_t> relative_position_index(int64_t gh, int64_t gw) {
  const int64_t area = gh * gw, tokens = area + 1;
  const int64_t distances = (2 * gh - 1) * (2 * gw - 1);
  std::vector<int64_t> index(static_cast<size_t>(tokens * tokens));
  for (int64_t i = 0; i < tokens; ++i) {
    for (int64_t j = 0; j < tokens; ++j) {
      int64_t value;
      if (j == 0) value = distances + 1 + (i == 0 ? 1 : 0);
      else if (i == 0) value = distances;
      else {
        const int64_t p = i - 1, q = j - 1;
        const int64_t dy = p / gw - q / gw, dx = p % gw - q % gw;
        value = (dy + gh - 1) * (2 * gw - 1) + (dx + gw - 1);
      }
      index[static_cast<size_t>(i * tokens + j)] = value;
    }
  }
  return index;
}

// The bias [1, heads, T, T] gathered from a relative_position_bias_table under `path`.
ValueId relative_position_bias(Builder& b, const std::string& path, int64_t gh, int64_t gw, int64_t num_heads) {
  const int64_t tokens = gh * gw + 1;
  Builder::ScopedPath scope(b, path);
  ValueId table = b.parameter(path + ".relative_position_bias_table", {(2 * gh - 1) * (2 * gw - 1) + 3, num_heads});
  ValueId bias = b.index_select(table, 0, relative_position_index(gh, gw));   // [T*T, heads]
  bias = b.permute(b.reshape(bias, {tokens, tokens, num_heads}), {2, 0, 1});
  return b.reshape(bias, {1, num_heads, tokens, tokens});
}

// timm beit Attention: qkv Linear without bias plus cat(q_bias, 0, v_bias); channels
// [3, heads, head_dim]; softmax(q k^T * head_dim^-0.5 + bias) v; proj.
ValueId attention(Builder& b, const std::string& path, ValueId x, int64_t num_heads, bool qkv_bias,
                  std::optional<ValueId> bias) {
  const int64_t batch = b.dim(x, 0), tokens = b.dim(x, 1), dim = b.dim(x, 2);
  const int64_t head_dim = dim / num_heads;
  ValueId qkv = b.linear(path + ".qkv", x, 3 * dim, false);
  Builder::ScopedPath scope(b, path);
  if (qkv_bias) {
    ValueId q_bias = b.parameter(path + ".q_bias", {dim});
    ValueId v_bias = b.parameter(path + ".v_bias", {dim});
    ValueId k_bias = b.constant(path + ".k_bias", {dim}, std::vector<float>(static_cast<size_t>(dim), 0.0f));
    qkv = b.add(qkv, b.concat({q_bias, k_bias, v_bias}, 0));
  }
  qkv = b.permute(b.reshape(qkv, {batch, tokens, 3, num_heads, head_dim}), {2, 0, 3, 1, 4});   // [3,B,H,T,D]
  ValueId q = b.scale(b.select(qkv, 0, 0), static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))));
  ValueId k = b.select(qkv, 0, 1);
  ValueId v = b.select(qkv, 0, 2);
  ValueId attn = b.matmul(q, b.transpose(k, -2, -1));   // [B,H,T,T]
  if (bias) attn = b.add(attn, *bias);
  ValueId out = b.matmul(b.softmax(attn, -1), v);
  out = b.reshape(b.transpose(out, 1, 2), {batch, tokens, dim});
  return b.linear(path + ".proj", out, dim);
}

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const BeitConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans || input_shape[2] != c.img_height || input_shape[3] != c.img_width) {
    throw Error(fmt::format("building {}: input {} does not fit the model, which takes [N,{},{},{}] (its position "
                            "tables are fixed to img_size; set kwargs.img_size to build it for another size)",
                            what, graph::shape_str(input_shape), c.in_chans, c.img_height, c.img_width));
  }
  const int64_t dim = c.embed_dim, batch = input_shape[0];
  const int64_t gh = c.img_height / c.patch_height, gw = c.img_width / c.patch_width;

  ValueId x = b.input("input", input_shape);
  if (c.patch_height != c.patch_width) {
    throw Error(fmt::format("configuring {}: kwarg 'patch_size' {}x{}: only square patches are supported", what,
                            c.patch_height, c.patch_width));
  }
  x = b.conv2d("patch_embed.proj", x, dim, c.patch_height, {.stride = c.patch_height});
  {
    Builder::ScopedPath scope(b, "patch_embed");
    x = b.transpose(b.flatten(x, 2), 1, 2);   // [B, gh*gw, dim]
  }
  ValueId cls = b.expand(b.parameter("cls_token", {1, 1, dim}), {batch, 1, dim});
  x = b.concat({cls, x}, 1);
  if (c.use_abs_pos_emb) x = b.add(x, b.parameter("pos_embed", {1, gh * gw + 1, dim}));

  std::optional<ValueId> shared_bias;
  if (c.use_shared_rel_pos_bias) shared_bias = relative_position_bias(b, "rel_pos_bias", gh, gw, c.num_heads);

  const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * c.mlp_ratio);
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string path = fmt::format("blocks.{}", i);
    std::optional<ValueId> bias = shared_bias;
    if (c.use_rel_pos_bias) {
      ValueId own = relative_position_bias(b, path + ".attn", gh, gw, c.num_heads);
      bias = bias ? b.add(own, *bias) : own;
    }
    ValueId y = attention(b, path + ".attn", b.layer_norm(path + ".norm1", x, 1e-6f), c.num_heads, c.qkv_bias, bias);
    if (c.init_values != 0.0) y = b.mul(y, b.parameter(path + ".gamma_1", {dim}));
    {
      Builder::ScopedPath scope(b, path);
      x = b.add(x, y);
    }
    y = blocks::mlp(b, path + ".mlp", b.layer_norm(path + ".norm2", x, 1e-6f), hidden, blocks::Activation::kGelu);
    if (c.init_values != 0.0) y = b.mul(y, b.parameter(path + ".gamma_2", {dim}));
    Builder::ScopedPath scope(b, path);
    x = b.add(x, y);
  }
  const bool use_fc_norm = c.global_pool == "avg";
  if (!use_fc_norm) x = b.layer_norm("norm", x, 1e-6f);
  b.output("features", x);

  // forward_head: pool -> fc_norm -> head
  Builder::ScopedPath scope(b, "head");
  ValueId pooled = x;
  if (c.global_pool == "avg") pooled = b.mean(b.slice(x, 1, 1, b.dim(x, 1)), {1}, false);
  else if (!c.global_pool.empty()) pooled = b.select(x, 1, 0);
  if (use_fc_norm) pooled = b.layer_norm("fc_norm", pooled, 1e-6f);
  b.output("logits", c.num_classes == 0 ? pooled : b.linear("head", pooled, c.num_classes));
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  BeitConfig c;
  KwargsReader r(kwargs, "beit");
  r.read_size("img_size", c.img_height, c.img_width);
  r.read("in_chans", c.in_chans);
  return {c.in_chans, c.img_height, c.img_width};
}

json beit_args(int64_t img_size, int64_t dim, int64_t depth, int64_t heads, double init_values) {
  return {{"img_size", img_size},          {"patch_size", 16},        {"embed_dim", dim},
          {"depth", depth},                {"num_heads", heads},      {"mlp_ratio", 4.0},
          {"use_abs_pos_emb", false},      {"use_rel_pos_bias", true}, {"init_values", init_values}};
}

}  // namespace

const Family& beit_family() {
  static const Family family{
      .name = "beit",
      .description = "BEiT (arXiv:2106.08254; v2 arXiv:2208.06366), timm Beit",
      .variants = {
          {"beit_base_patch16_224", beit_args(224, 768, 12, 12, 0.1)},
          {"beit_base_patch16_384", beit_args(384, 768, 12, 12, 0.1)},
          {"beit_large_patch16_224", beit_args(224, 1024, 24, 16, 1e-5)},
          {"beit_large_patch16_384", beit_args(384, 1024, 24, 16, 1e-5)},
          {"beit_large_patch16_512", beit_args(512, 1024, 24, 16, 1e-5)},
          {"beitv2_base_patch16_224", beit_args(224, 768, 12, 12, 1e-5)},
          {"beitv2_large_patch16_224", beit_args(224, 1024, 24, 16, 1e-5)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
