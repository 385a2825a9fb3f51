// Vision Transformer (ViT) and DeiT.
//   ViT:  Dosovitskiy et al., "An Image is Worth 16x16 Words", arXiv:2010.11929
//   DeiT: Touvron et al., "Training data-efficient image transformers & distillation
//         through attention", arXiv:2012.12877 (distillation token: the eval output
//         is the mean of the class and distillation heads)
//   DeiT III: Touvron et al., arXiv:2204.07118 (layer scale, no pos-embed on class token)
// Reference: timm (huggingface/pytorch-image-models) vision_transformer.py
// (VisionTransformer) and deit.py (VisionTransformerDistilled); parameter keys are timm's.
#include <fmt/format.h>

#include "litevit/error.h"
#include "models/blocks/transformer.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

// Fields named like timm's VisionTransformer constructor arguments.
struct ViTConfig {
  int64_t img_height = 224, img_width = 224;   // img_size
  int64_t patch_size = 16;
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "token";            // "token", "avg" or "" (no pooling)
  int64_t embed_dim = 768;
  int64_t depth = 12;
  int64_t num_heads = 12;
  double mlp_ratio = 4.0;
  bool qkv_bias = true;
  double init_values = 0.0;                     // layer scale when non-zero
  bool class_token = true;
  bool no_embed_class = false;
  int64_t reg_tokens = 0;
  bool pre_norm = false;
  bool final_norm = true;
  std::string fc_norm = "auto";                 // timm None: on when global_pool is "avg"
  bool dynamic_img_size = false;                // any input size; pos_embed resampled (bicubic, antialias)
  bool distilled = false;                       // DeiT distillation token and head_dist
};

// `is_deit`: the deit family also takes `distilled` (timm picks
// VisionTransformerDistilled by variant name; our variants say it in kwargs).
ViTConfig parse_config(const json& kwargs, const std::string& what, bool is_deit) {
  ViTConfig c;
  KwargsReader r(kwargs, what);
  if (is_deit) r.read("distilled", c.distilled);
  r.read_size("img_size", c.img_height, c.img_width);
  r.read("patch_size", c.patch_size);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  r.read("embed_dim", c.embed_dim);
  r.read("depth", c.depth);
  r.read("num_heads", c.num_heads);
  r.read("mlp_ratio", c.mlp_ratio);
  r.read("qkv_bias", c.qkv_bias);
  if (const json* v = r.raw("init_values"); v != nullptr && !v->is_null()) r.read("init_values", c.init_values);
  r.read("class_token", c.class_token);
  r.read("no_embed_class", c.no_embed_class);
  r.read("reg_tokens", c.reg_tokens);
  r.read("pre_norm", c.pre_norm);
  r.read("final_norm", c.final_norm);
  if (const json* v = r.raw("fc_norm"); v != nullptr && !v->is_null()) {
    if (!v->is_boolean()) r.fail("fc_norm", "must be true, false or null");
    c.fc_norm = v->get<bool>() ? "on" : "off";
  }
  r.read("dynamic_img_size", c.dynamic_img_size);
  bool flag = false;
  for (const char* unsupported : {"qk_norm", "dynamic_img_pad"}) {
    r.read(unsupported, flag);
    if (flag) r.fail(unsupported, "= true is not supported yet");
  }
  r.ignore({"drop_rate", "pos_drop_rate", "patch_drop_rate", "proj_drop_rate", "attn_drop_rate",
            "drop_path_rate", "weight_init", "fix_init"});
  r.finish();

  if (c.global_pool != "token" && c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported (use 'token', 'avg' or '')", c.global_pool));
  }
  if (c.global_pool == "token" && !c.class_token) r.fail("global_pool", "'token' needs class_token = true");
  if (c.distilled && c.global_pool != "token") r.fail("global_pool", "must be 'token' for a distilled model");
  if (c.distilled && !c.class_token) r.fail("class_token", "must be true for a distilled model");
  for (auto [key, value] : {std::pair{"patch_size", c.patch_size}, {"embed_dim", c.embed_dim},
                            {"depth", c.depth}, {"num_heads", c.num_heads}, {"in_chans", c.in_chans}}) {
    if (value <= 0) r.fail(key, fmt::format("must be positive, got {}", value));
  }
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.embed_dim % c.num_heads != 0) {
    r.fail("num_heads", fmt::format("{} does not divide embed_dim {}", c.num_heads, c.embed_dim));
  }
  if (c.img_height % c.patch_size != 0 || c.img_width % c.patch_size != 0) {
    r.fail("img_size", fmt::format("{}x{} is not a multiple of patch_size {}", c.img_height, c.img_width, c.patch_size));
  }
  return c;
}

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape, bool is_deit) {
  const ViTConfig c = parse_config(kwargs, what, is_deit);
  const int64_t batch = input_shape[0];
  const bool fits = input_shape[1] == c.in_chans &&
                    (c.dynamic_img_size ? input_shape[2] % c.patch_size == 0 && input_shape[3] % c.patch_size == 0
                                        : input_shape[2] == c.img_height && input_shape[3] == c.img_width);
  if (!fits) {
    if (c.dynamic_img_size) {
      throw Error(fmt::format("building {}: input {} does not fit the model: it takes [N,{},H,W] with H and W "
                              "multiples of the patch size {}",
                              what, graph::shape_str(input_shape), c.in_chans, c.patch_size));
    }
    throw Error(fmt::format("building {}: input {} does not fit the model, which takes [N,{},{},{}] "
                            "(its position embedding is fixed to img_size; set kwargs.dynamic_img_size to true "
                            "to resample it to other multiples of the patch size, as timm does)",
                            what, graph::shape_str(input_shape), c.in_chans, c.img_height, c.img_width));
  }
  const int64_t dim = c.embed_dim;
  // The grid the position embedding was made for, and the input's (the conv drops partial patches).
  const int64_t old_grid_h = c.img_height / c.patch_size, old_grid_w = c.img_width / c.patch_size;
  const int64_t grid_h = input_shape[2] / c.patch_size, grid_w = input_shape[3] / c.patch_size;
  const int64_t num_patches = grid_h * grid_w;

  ValueId x = b.input("input", input_shape);
  x = b.conv2d("patch_embed.proj", x, dim, c.patch_size, {.stride = c.patch_size, .bias = !c.pre_norm});
  {
    Builder::ScopedPath scope(b, "patch_embed");
    x = b.transpose(b.flatten(x, 2), 1, 2);   // [B, num_patches, dim]
  }

  // Prefix tokens: class, distillation, registers (timm order).
  std::vector<ValueId> prefix;
  {
    Builder::ScopedPath scope(b, "pos_embed");
    if (c.class_token) prefix.push_back(b.expand(b.parameter("cls_token", {1, 1, dim}), {batch, 1, dim}));
    if (c.distilled) prefix.push_back(b.expand(b.parameter("dist_token", {1, 1, dim}), {batch, 1, dim}));
    if (c.reg_tokens > 0) {
      prefix.push_back(b.expand(b.parameter("reg_token", {1, c.reg_tokens, dim}), {batch, c.reg_tokens, dim}));
    }
    const int64_t num_prefix = (c.class_token ? 1 : 0) + (c.distilled ? 1 : 0) + c.reg_tokens;
    auto with_prefix = [&](ValueId tokens) {
      if (prefix.empty()) return tokens;
      std::vector<ValueId> parts = prefix;
      parts.push_back(tokens);
      return b.concat(parts, 1);
    };
    const int64_t embedded_prefix = c.no_embed_class ? 0 : num_prefix;
    ValueId pos = b.parameter("pos_embed", {1, old_grid_h * old_grid_w + embedded_prefix, dim});
    // timm's resample_abs_pos_embed, including its shortcut: an input grid with the
    // same token count that is square keeps the embedding as it is.
    const bool same = grid_h * grid_w == old_grid_h * old_grid_w && grid_h == grid_w;
    if (c.dynamic_img_size && !same) {
      ValueId grid = b.slice(pos, 1, embedded_prefix, b.dim(pos, 1));
      grid = b.permute(b.reshape(grid, {1, old_grid_h, old_grid_w, dim}), {0, 3, 1, 2});
      grid = b.interpolate_bicubic_antialias(grid, grid_h, grid_w);
      grid = b.reshape(b.permute(grid, {0, 2, 3, 1}), {1, num_patches, dim});
      pos = embedded_prefix > 0 ? b.concat({b.slice(pos, 1, 0, embedded_prefix), grid}, 1) : grid;
    }
    if (c.no_embed_class) {   // DeiT III / big_vision: position embedding only on patches
      x = with_prefix(b.add(x, pos));
    } else {                  // original ViT / DeiT: position embedding on prefix tokens too
      x = b.add(with_prefix(x), pos);
    }
  }
  const int64_t num_prefix = b.dim(x, 1) - num_patches;
  if (c.pre_norm) x = b.layer_norm("norm_pre", x, 1e-6f);

  const blocks::TransformerBlockOptions block{.num_heads = c.num_heads,
                                              .mlp_ratio = c.mlp_ratio,
                                              .qkv_bias = c.qkv_bias,
                                              .norm_eps = 1e-6f,
                                              .act = blocks::Activation::kGelu,
                                              .layer_scale = c.init_values != 0.0};
  for (int64_t i = 0; i < c.depth; ++i) x = blocks::transformer_block(b, fmt::format("blocks.{}", i), x, block);

  const bool use_fc_norm = c.fc_norm == "auto" ? c.global_pool == "avg" : c.fc_norm == "on";
  if (c.final_norm && !use_fc_norm) x = b.layer_norm("norm", x, 1e-6f);
  b.output("features", x);

  // forward_head: pool -> fc_norm -> head
  Builder::ScopedPath scope(b, "head");
  ValueId pooled = x;
  if (c.global_pool == "token") pooled = b.select(x, 1, 0);
  else if (c.global_pool == "avg") pooled = b.mean(b.slice(x, 1, num_prefix, b.dim(x, 1)), {1}, false);
  if (c.final_norm && use_fc_norm) pooled = b.layer_norm("fc_norm", pooled, 1e-6f);
  auto head = [&](const char* path, ValueId tokens) {
    return c.num_classes == 0 ? tokens : b.linear(path, tokens, c.num_classes);   // 0 classes: Identity
  };
  ValueId logits = head("head", pooled);
  if (c.distilled) {   // eval mode: mean of the class-token head and the distillation head
    logits = b.scale(b.add(logits, head("head_dist", b.select(x, 1, 1))), 0.5f);
  }
  b.output("logits", logits);
}

void build_vit(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  build(b, what, kwargs, input_shape, false);
}

void build_deit(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  build(b, what, kwargs, input_shape, true);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  ViTConfig c;
  KwargsReader r(kwargs, "vit");
  r.read_size("img_size", c.img_height, c.img_width);
  r.read("in_chans", c.in_chans);
  return {c.in_chans, c.img_height, c.img_width};
}

json vit_args(int64_t patch, int64_t dim, int64_t depth, int64_t heads, int64_t img_size) {
  return {{"patch_size", patch}, {"embed_dim", dim}, {"depth", depth}, {"num_heads", heads}, {"img_size", img_size}};
}

json distilled_args(int64_t dim, int64_t depth, int64_t heads, int64_t img_size) {
  json args = vit_args(16, dim, depth, heads, img_size);
  args["distilled"] = true;
  return args;
}

json deit3_args(int64_t dim, int64_t depth, int64_t heads, int64_t img_size) {
  json args = vit_args(16, dim, depth, heads, img_size);
  args["no_embed_class"] = true;
  args["init_values"] = 1e-6;
  return args;
}

}  // namespace

const Family& vit_family() {
  static const Family family{
      .name = "vit",
      .description = "Vision Transformer (arXiv:2010.11929), timm VisionTransformer",
      .variants = {
          {"vit_tiny_patch16_224", vit_args(16, 192, 12, 3, 224)},
          {"vit_tiny_patch16_384", vit_args(16, 192, 12, 3, 384)},
          {"vit_small_patch32_224", vit_args(32, 384, 12, 6, 224)},
          {"vit_small_patch32_384", vit_args(32, 384, 12, 6, 384)},
          {"vit_small_patch16_224", vit_args(16, 384, 12, 6, 224)},
          {"vit_small_patch16_384", vit_args(16, 384, 12, 6, 384)},
          {"vit_base_patch32_224", vit_args(32, 768, 12, 12, 224)},
          {"vit_base_patch32_384", vit_args(32, 768, 12, 12, 384)},
          {"vit_base_patch16_224", vit_args(16, 768, 12, 12, 224)},
          {"vit_base_patch16_384", vit_args(16, 768, 12, 12, 384)},
          {"vit_base_patch8_224", vit_args(8, 768, 12, 12, 224)},
          {"vit_large_patch32_384", vit_args(32, 1024, 24, 16, 384)},
          {"vit_large_patch16_224", vit_args(16, 1024, 24, 16, 224)},
          {"vit_large_patch16_384", vit_args(16, 1024, 24, 16, 384)},
      },
      .build = build_vit,
      .default_input = default_input,
  };
  return family;
}

const Family& deit_family() {
  static const Family family{
      .name = "deit",
      .description = "DeiT (arXiv:2012.12877; DeiT III arXiv:2204.07118), timm deit.py",
      .variants = {
          {"deit_tiny_patch16_224", vit_args(16, 192, 12, 3, 224)},
          {"deit_small_patch16_224", vit_args(16, 384, 12, 6, 224)},
          {"deit_base_patch16_224", vit_args(16, 768, 12, 12, 224)},
          {"deit_base_patch16_384", vit_args(16, 768, 12, 12, 384)},
          {"deit_tiny_distilled_patch16_224", distilled_args(192, 12, 3, 224)},
          {"deit_small_distilled_patch16_224", distilled_args(384, 12, 6, 224)},
          {"deit_base_distilled_patch16_224", distilled_args(768, 12, 12, 224)},
          {"deit_base_distilled_patch16_384", distilled_args(768, 12, 12, 384)},
          {"deit3_small_patch16_224", deit3_args(384, 12, 6, 224)},
          {"deit3_small_patch16_384", deit3_args(384, 12, 6, 384)},
          {"deit3_medium_patch16_224", deit3_args(512, 12, 8, 224)},
          {"deit3_base_patch16_224", deit3_args(768, 12, 12, 224)},
          {"deit3_base_patch16_384", deit3_args(768, 12, 12, 384)},
          {"deit3_large_patch16_224", deit3_args(1024, 24, 16, 224)},
          {"deit3_large_patch16_384", deit3_args(1024, 24, 16, 384)},
      },
      .build = build_deit,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
