// MobileViT (v1) and MobileViTv2.
//   v1: Mehta & Rastegari, "MobileViT: Light-weight, General-purpose, and Mobile-friendly
//       Vision Transformer", arXiv:2110.02178
//   v2: Mehta & Rastegari, "Separable Self-attention for Mobile Vision Transformers",
//       arXiv:2206.02680
// Reference: timm (huggingface/pytorch-image-models) mobilevit.py (MobileVitBlock,
// MobileVitV2Block, LinearTransformerBlock, LinearSelfAttention, the variant cfgs) on top
// of byobnet.py (ByobNet, ByoModelCfg/ByoBlockCfg, BottleneckBlock, the '3x3' stem,
// final_conv, ClassifierHead); parameter keys are timm's.
//
// The config is timm's ByoModelCfg with ByobNet's constructor arguments beside it, in one
// flat kwargs object, as timm overlays create_model kwargs on the cfg. Only the parts the
// MobileViT families use are implemented (block types 'bottle', 'mobilevit' and
// 'mobilevit2', the '3x3'/'7x7' single-conv stems, BatchNorm, SiLU/ReLU/GELU, the
// average-pool classifier); anything else is an error naming the kwarg, never a model
// that silently differs. Both families share this ByobNet; they differ in their variants.
#include <fmt/format.h>

#include <cmath>
#include <optional>

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

// ---- config -------------------------------------------------------------------

// BottleneckBlock arguments that come from block_kwargs.
struct BottleKwargs {
  int64_t kernel_size = 3;
  bool bottle_in = false;    // bottleneck width from the input channels (inverted residual)
  bool linear_out = false;   // no activation after the residual add
  bool extra_conv = false;   // a second kxk conv (conv2b_kxk)
};

// MobileVitBlock arguments that come from block_kwargs.
struct MobileVitKwargs {
  int64_t kernel_size = 3;
  double mlp_ratio = 2.0;
  std::optional<int64_t> transformer_dim;   // timm None: make_divisible(bottle_ratio * in_chs)
  int64_t transformer_depth = 2;
  int64_t patch_h = 8, patch_w = 8;         // patch_size
  int64_t num_heads = 4;
  bool no_fusion = false;
};

// MobileVitV2Block arguments that come from block_kwargs.
struct MobileVitV2Kwargs {
  int64_t kernel_size = 3;
  double mlp_ratio = 2.0;
  std::optional<int64_t> transformer_dim;   // timm None: make_divisible(bottle_ratio * in_chs)
  int64_t transformer_depth = 2;
  int64_t patch_h = 8, patch_w = 8;         // patch_size
};

// One entry of a stage, named like timm's ByoBlockCfg; `d` copies of it are built.
struct ByoBlockCfg {
  std::string type;
  int64_t d = 0;
  int64_t c = 0;
  int64_t s = 2;
  std::optional<int64_t> gs;   // group size; None/0: dense conv, 1: depthwise
  double br = 1.0;
  // The per-block overrides of the model-level layers (None: inherit the model's).
  std::optional<std::string> attn_layer;
  std::optional<std::string> self_attn_layer;
  bool has_attn_kwargs = false;
  std::optional<json> block_kwargs;
  std::string where;   // "blocks[2][1]", for messages
};

// timm's ByoModelCfg fields plus ByobNet's constructor arguments.
struct MobileViTConfig {
  // ByoModelCfg (defaults are ByoModelCfg's; the variants spell out what differs)
  std::vector<std::vector<ByoBlockCfg>> blocks;   // stages
  std::string downsample = "conv1x1";
  std::string stem_type = "3x3";
  std::string stem_pool = "maxpool";
  std::optional<int64_t> stem_chs = 32;           // None: the first stage's c
  double width_factor = 1.0;
  int64_t num_features = 0;                       // 0: no final_conv
  bool fixed_input_size = false;
  std::string act_layer = "relu";
  std::string norm_layer = "batchnorm";
  std::string aa_layer;
  std::string head_type = "classifier";
  std::optional<std::string> attn_layer;
  std::optional<std::string> self_attn_layer;
  json block_kwargs = json::object();
  // ByobNet arguments
  int64_t num_classes = 1000;
  int64_t in_chans = 3;
  std::string global_pool = "avg";   // timm None -> 'avg' for the classifier head
  int64_t output_stride = 32;
  std::optional<std::pair<int64_t, int64_t>> img_size;

  Activation act = Activation::kSilu;   // from act_layer
};

// A kwarg that is a string or null (timm Optional[str]).
std::optional<std::string> read_optional_string(KwargsReader& r, const char* key) {
  const json* v = r.raw(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) r.fail(key, fmt::format("must be a string or null, got {}", v->dump()));
  return v->get<std::string>();
}

// A kwarg that is a JSON object (dict) or null.
const json* read_optional_object(KwargsReader& r, const char* key) {
  const json* v = r.raw(key);
  if (v == nullptr || v->is_null()) return nullptr;
  if (!v->is_object()) r.fail(key, fmt::format("must be an object or null, got {}", v->dump()));
  return v;
}

ByoBlockCfg parse_block(const json& j, const std::string& what, const std::string& where) {
  const std::string context = fmt::format("{} {}", what, where);
  if (!j.is_object()) {
    throw Error(fmt::format("configuring {}: a block cfg must be an object with type, d, c, ..., got {}", context,
                            j.dump()));
  }
  ByoBlockCfg b;
  b.where = where;
  KwargsReader r(j, context);
  if (r.raw("type") == nullptr) r.fail("type", "is required");
  if (r.raw("d") == nullptr) r.fail("d", "is required");
  if (r.raw("c") == nullptr) r.fail("c", "is required");
  r.read("type", b.type);
  r.read("d", b.d);
  r.read("c", b.c);
  r.read("s", b.s);
  if (const json* v = r.raw("gs"); v != nullptr && !v->is_null()) {
    int64_t gs = 0;
    r.read("gs", gs);
    b.gs = gs;
  }
  r.read("br", b.br);
  b.attn_layer = read_optional_string(r, "attn_layer");
  b.has_attn_kwargs = read_optional_object(r, "attn_kwargs") != nullptr;
  b.self_attn_layer = read_optional_string(r, "self_attn_layer");
  read_optional_object(r, "self_attn_kwargs");
  if (const json* v = read_optional_object(r, "block_kwargs")) b.block_kwargs = *v;
  r.finish();

  if (b.type != "bottle" && b.type != "mobilevit" && b.type != "mobilevit2") {
    r.fail("type", fmt::format("'{}' is not supported (the MobileViT families have 'bottle', 'mobilevit' and "
                               "'mobilevit2')", b.type));
  }
  if (b.d < 0) r.fail("d", fmt::format("must not be negative, got {}", b.d));
  if (b.c <= 0) r.fail("c", fmt::format("must be positive, got {}", b.c));
  if (b.s <= 0) r.fail("s", fmt::format("must be positive, got {}", b.s));
  if (b.gs && *b.gs < 0) r.fail("gs", fmt::format("must not be negative, got {}", *b.gs));
  if (!(b.br > 0.0)) r.fail("br", fmt::format("must be positive, got {}", b.br));
  return b;
}

MobileViTConfig parse_config(const json& kwargs, const std::string& what) {
  MobileViTConfig c;
  KwargsReader r(kwargs, what);

  const json* stages = r.raw("blocks");
  if (stages == nullptr || !stages->is_array() || stages->empty()) {
    r.fail("blocks", "must be a non-empty list of stages (a stage is a block cfg or a list of them)");
  }
  for (size_t i = 0; i < stages->size(); ++i) {
    const json& stage = (*stages)[i];
    std::vector<ByoBlockCfg> entries;
    if (stage.is_array()) {
      if (stage.empty()) r.fail("blocks", fmt::format("stage {} is an empty list", i));
      for (size_t k = 0; k < stage.size(); ++k) {
        entries.push_back(parse_block(stage[k], what, fmt::format("blocks[{}][{}]", i, k)));
      }
    } else {
      entries.push_back(parse_block(stage, what, fmt::format("blocks[{}]", i)));
    }
    c.blocks.push_back(std::move(entries));
  }
  r.read("downsample", c.downsample);
  r.read("stem_type", c.stem_type);
  r.read("stem_pool", c.stem_pool);   // null reads as '' (no pooling), as timm treats None
  if (const json* v = r.raw("stem_chs")) {
    if (v->is_null()) {
      c.stem_chs.reset();
    } else if (v->is_number_integer()) {
      c.stem_chs = v->get<int64_t>();
    } else {
      r.fail("stem_chs", fmt::format("must be an integer or null (a list of stem widths, the multi-conv Stem, "
                                     "is not supported), got {}", v->dump()));
    }
  }
  r.read("width_factor", c.width_factor);
  r.read("num_features", c.num_features);
  r.read("fixed_input_size", c.fixed_input_size);
  r.read("act_layer", c.act_layer);
  r.read("norm_layer", c.norm_layer);
  r.read("aa_layer", c.aa_layer);
  if (const json* v = r.raw("head_hidden_size"); v != nullptr && !v->is_null()) {
    r.fail("head_hidden_size", fmt::format("= {} is not supported (only the plain classifier head)", v->dump()));
  }
  r.read("head_type", c.head_type);
  c.attn_layer = read_optional_string(r, "attn_layer");
  read_optional_object(r, "attn_kwargs");
  c.self_attn_layer = read_optional_string(r, "self_attn_layer");
  read_optional_object(r, "self_attn_kwargs");
  if (const json* v = read_optional_object(r, "block_kwargs")) c.block_kwargs = *v;

  r.read("num_classes", c.num_classes);
  r.read("in_chans", c.in_chans);
  if (const json* v = r.raw("global_pool"); v != nullptr && !v->is_null()) r.read("global_pool", c.global_pool);
  r.read("output_stride", c.output_stride);
  if (const json* v = r.raw("img_size"); v != nullptr && !v->is_null()) {
    int64_t h = 0, w = 0;
    r.read_size("img_size", h, w);
    c.img_size = std::pair{h, w};
  }
  // Training-only arguments (zero_init_last is an init choice; the others are dropout rates).
  r.ignore({"zero_init_last", "drop_rate", "drop_block_rate", "drop_block_size", "drop_path_rate"});
  r.finish();

  if (c.act_layer == "silu" || c.act_layer == "swish") c.act = Activation::kSilu;
  else if (c.act_layer == "relu") c.act = Activation::kRelu;
  else if (c.act_layer == "gelu") c.act = Activation::kGelu;
  else r.fail("act_layer", fmt::format("'{}' is not supported (use 'silu', 'swish', 'relu' or 'gelu')", c.act_layer));
  if (c.norm_layer != "batchnorm" && c.norm_layer != "batchnorm2d") {
    r.fail("norm_layer", fmt::format("'{}' is not supported (use 'batchnorm')", c.norm_layer));
  }
  if (!c.aa_layer.empty()) r.fail("aa_layer", fmt::format("'{}' is not supported (anti-aliasing)", c.aa_layer));
  if (c.stem_type != "3x3" && c.stem_type != "7x7" && !c.stem_type.empty()) {
    r.fail("stem_type", fmt::format("'{}' is not supported (use '3x3', '' or '7x7')", c.stem_type));
  }
  if (!c.stem_pool.empty()) {
    r.fail("stem_pool", fmt::format("'{}' is not supported (the stem pooling layer; use '')", c.stem_pool));
  }
  if (c.downsample != "conv1x1" && !c.downsample.empty() && c.downsample != "avg") {
    r.fail("downsample", fmt::format("'{}' is not one of timm's 'conv1x1', 'avg', ''", c.downsample));
  }
  if (c.head_type != "classifier" && !c.head_type.empty()) {
    r.fail("head_type", fmt::format("'{}' is not supported (use 'classifier')", c.head_type));
  }
  if (c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported (use 'avg', or '' with num_classes = 0)", c.global_pool));
  }
  if (c.global_pool.empty() && c.num_classes != 0) {
    r.fail("global_pool", "'' (no pooling) needs num_classes = 0: timm would apply the classifier to the map's last axis");
  }
  if (c.output_stride != 8 && c.output_stride != 16 && c.output_stride != 32) {
    r.fail("output_stride", fmt::format("must be 8, 16 or 32, got {}", c.output_stride));
  }
  if (c.fixed_input_size && !c.img_size) r.fail("img_size", "is required when fixed_input_size is true (as in timm)");
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.in_chans <= 0) r.fail("in_chans", fmt::format("must be positive, got {}", c.in_chans));
  if (c.num_features < 0) r.fail("num_features", "must not be negative");
  if (!(c.width_factor > 0.0)) r.fail("width_factor", fmt::format("must be positive, got {}", c.width_factor));
  if (c.stem_chs && *c.stem_chs <= 0) r.fail("stem_chs", fmt::format("must be positive, got {}", *c.stem_chs));
  return c;
}

BottleKwargs parse_bottle_kwargs(const json& j, const std::string& context) {
  BottleKwargs k;
  KwargsReader r(j, context);
  r.read("kernel_size", k.kernel_size);
  r.read("bottle_in", k.bottle_in);
  r.read("linear_out", k.linear_out);
  r.read("extra_conv", k.extra_conv);
  bool attn_last = false;   // where the attention layer goes; without one it changes nothing
  r.read("attn_last", attn_last);
  r.finish();
  if (k.kernel_size <= 0 || k.kernel_size % 2 == 0) {
    r.fail("kernel_size", fmt::format("must be a positive odd number, got {}", k.kernel_size));
  }
  return k;
}

// patch_size: an integer or a pair [height, width].
void read_patch_size(KwargsReader& r, int64_t& patch_h, int64_t& patch_w) {
  const json* v = r.raw("patch_size");
  if (v == nullptr) return;
  if (v->is_number_integer()) {
    patch_h = patch_w = v->get<int64_t>();
  } else if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer() && (*v)[1].is_number_integer()) {
    patch_h = (*v)[0].get<int64_t>();
    patch_w = (*v)[1].get<int64_t>();
  } else {
    r.fail("patch_size", fmt::format("must be an integer or a pair [height, width], got {}", v->dump()));
  }
  if (patch_h <= 0 || patch_w <= 0) r.fail("patch_size", fmt::format("must be positive, got {}", v->dump()));
}

// timm None (absent or null): the block derives it from its input width.
void read_transformer_dim(KwargsReader& r, std::optional<int64_t>& transformer_dim) {
  const json* v = r.raw("transformer_dim");
  if (v == nullptr || v->is_null()) return;
  int64_t dim = 0;
  r.read("transformer_dim", dim);
  if (dim <= 0) r.fail("transformer_dim", fmt::format("must be positive, got {}", dim));
  transformer_dim = dim;
}

// The checks the v1 and v2 blocks' kwargs share.
void check_block_kwargs(const KwargsReader& r, int64_t kernel_size, int64_t transformer_depth, double mlp_ratio) {
  if (kernel_size <= 0 || kernel_size % 2 == 0) {
    r.fail("kernel_size", fmt::format("must be a positive odd number, got {}", kernel_size));
  }
  if (transformer_depth < 0) r.fail("transformer_depth", "must not be negative");
  if (!(mlp_ratio > 0.0)) r.fail("mlp_ratio", fmt::format("must be positive, got {}", mlp_ratio));
}

MobileVitKwargs parse_mobilevit_kwargs(const json& j, const std::string& context) {
  MobileVitKwargs k;
  KwargsReader r(j, context);
  r.read("kernel_size", k.kernel_size);
  r.read("mlp_ratio", k.mlp_ratio);
  read_transformer_dim(r, k.transformer_dim);
  r.read("transformer_depth", k.transformer_depth);
  read_patch_size(r, k.patch_h, k.patch_w);
  r.read("num_heads", k.num_heads);
  r.read("no_fusion", k.no_fusion);
  if (r.raw("transformer_norm_layer") != nullptr) {
    r.fail("transformer_norm_layer", "is not supported (the transformer norm is nn.LayerNorm)");
  }
  r.ignore({"attn_drop", "drop", "drop_path_rate"});   // dropout rates
  r.finish();
  check_block_kwargs(r, k.kernel_size, k.transformer_depth, k.mlp_ratio);
  if (k.num_heads <= 0) r.fail("num_heads", fmt::format("must be positive, got {}", k.num_heads));
  return k;
}

MobileVitV2Kwargs parse_mobilevit2_kwargs(const json& j, const std::string& context) {
  MobileVitV2Kwargs k;
  KwargsReader r(j, context);
  r.read("kernel_size", k.kernel_size);
  r.read("mlp_ratio", k.mlp_ratio);
  read_transformer_dim(r, k.transformer_dim);
  r.read("transformer_depth", k.transformer_depth);
  read_patch_size(r, k.patch_h, k.patch_w);
  if (r.raw("transformer_norm_layer") != nullptr) {
    r.fail("transformer_norm_layer", "is not supported (the transformer norm is GroupNorm1)");
  }
  r.ignore({"attn_drop", "drop", "drop_path_rate"});   // dropout rates
  r.finish();
  check_block_kwargs(r, k.kernel_size, k.transformer_depth, k.mlp_ratio);
  return k;
}

// ---- timm helpers ---------------------------------------------------------------

// timm.layers.make_divisible with divisor 8: round to the nearest multiple, never below 8
// and never more than 10% below the value.
int64_t make_divisible(double v, int64_t divisor = 8) {
  int64_t rounded = static_cast<int64_t>(v + static_cast<double>(divisor) / 2.0) / divisor * divisor;
  rounded = std::max(divisor, rounded);
  if (static_cast<double>(rounded) < 0.9 * v) rounded += divisor;
  return rounded;
}

// Python's int(round(v)): halves go to the even neighbour (the default rounding mode).
int64_t round_half_even(double v) { return static_cast<int64_t>(std::nearbyint(v)); }

// byobnet num_groups: group size None/0 -> 1 group; otherwise channels / group size.
int64_t num_groups(std::optional<int64_t> group_size, int64_t channels, const std::string& context) {
  if (!group_size || *group_size == 0) return 1;
  if (channels % *group_size != 0) {
    throw Error(fmt::format("configuring {}: group size gs = {} does not divide {} channels", context, *group_size,
                            channels));
  }
  return channels / *group_size;
}

// timm get_padding: symmetric padding that keeps the size at stride 1.
int64_t get_padding(int64_t kernel, int64_t stride, int64_t dilation) {
  return ((stride - 1) + dilation * (kernel - 1)) / 2;
}

// ---- layers ---------------------------------------------------------------------

struct ConvNormActOptions {
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool apply_act = true;
};

// timm ConvNormAct: conv (no bias, timm's symmetric padding) -> BatchNormAct2d (BN, then act).
ValueId conv_norm_act(Builder& b, const std::string& path, ValueId x, int64_t out_channels, int64_t kernel,
                      Activation act, ConvNormActOptions o = {}) {
  x = b.conv2d(path + ".conv", x, out_channels, kernel,
               {.stride = o.stride,
                .padding = get_padding(kernel, o.stride, o.dilation),
                .dilation = o.dilation,
                .groups = o.groups,
                .bias = false});
  x = b.batch_norm(path + ".bn", x);
  if (o.apply_act) {
    Builder::ScopedPath scope(b, path + ".bn");
    x = blocks::activation(b, act, x);
  }
  return x;
}

// Arguments ByobNet's stage builder hands every block.
struct BlockArgs {
  int64_t in_chs = 0, out_chs = 0, stride = 1;
  int64_t first_dilation = 1, dilation = 1;   // timm's dilation tuple
  std::optional<int64_t> group_size;
  double bottle_ratio = 1.0;
};

// timm BottleneckBlock: 1x1 -> kxk (grouped) [-> kxk] -> 1x1 (no act), + shortcut, act.
ValueId bottleneck_block(Builder& b, const std::string& path, ValueId x, const BlockArgs& a, const BottleKwargs& k,
                         const MobileViTConfig& c, const std::string& context) {
  const int64_t mid = make_divisible(static_cast<double>(k.bottle_in ? a.in_chs : a.out_chs) * a.bottle_ratio);
  const int64_t groups = num_groups(a.group_size, mid, context);

  // create_shortcut: identity when shapes agree, else a projection or (downsample '') none.
  std::optional<ValueId> shortcut;
  if (a.in_chs != a.out_chs || a.stride != 1 || a.first_dilation != a.dilation) {
    if (c.downsample == "conv1x1") {
      shortcut = conv_norm_act(b, path + ".shortcut", x, a.out_chs, 1, c.act,
                               {.stride = a.stride, .dilation = a.first_dilation, .apply_act = false});
    } else if (c.downsample == "avg") {
      throw Error(fmt::format("configuring {}: kwarg 'downsample' 'avg' is not supported (average-pool shortcut, "
                              "needed here as the block changes shape; use 'conv1x1' or '')",
                              context));
    }
  } else {
    shortcut = x;
  }

  ValueId y = conv_norm_act(b, path + ".conv1_1x1", x, mid, 1, c.act);
  y = conv_norm_act(b, path + ".conv2_kxk", y, mid, k.kernel_size, c.act,
                    {.stride = a.stride, .dilation = a.first_dilation, .groups = groups});
  if (k.extra_conv) {
    y = conv_norm_act(b, path + ".conv2b_kxk", y, mid, k.kernel_size, c.act,
                      {.dilation = a.dilation, .groups = groups});
  }
  y = conv_norm_act(b, path + ".conv3_1x1", y, a.out_chs, 1, c.act, {.apply_act = false});
  Builder::ScopedPath scope(b, path);
  if (shortcut) y = b.add(y, *shortcut);
  if (!k.linear_out) y = blocks::activation(b, c.act, y);
  return y;
}

// [B, C, nh*ph, nw*pw] -> [B*ph*pw, nh*nw, C]: one sequence per position inside the
// patch, its tokens the patches in row-major order (timm's unfold).
ValueId unfold_patches(Builder& b, ValueId x, int64_t ph, int64_t pw) {
  const int64_t batch = b.dim(x, 0), channels = b.dim(x, 1);
  const int64_t nh = b.dim(x, 2) / ph, nw = b.dim(x, 3) / pw;
  x = b.reshape(x, {batch, channels, nh, ph, nw, pw});
  x = b.permute(x, {0, 3, 5, 2, 4, 1});   // [B, ph, pw, nh, nw, C]
  return b.reshape(x, {batch * ph * pw, nh * nw, channels});
}

// The inverse of unfold_patches.
ValueId fold_patches(Builder& b, ValueId x, int64_t batch, int64_t nh, int64_t nw, int64_t ph, int64_t pw) {
  const int64_t channels = b.dim(x, 2);
  x = b.reshape(x, {batch, ph, pw, nh, nw, channels});
  x = b.permute(x, {0, 5, 3, 1, 4, 2});   // [B, C, nh, ph, nw, pw]
  return b.reshape(x, {batch, channels, nh * ph, nw * pw});
}

// timm MobileVitBlock: local kxk conv and 1x1 projection, a transformer over unfolded
// patches, fold back, 1x1 projection, and a kxk fusion conv on concat(input, result).
ValueId mobilevit_block(Builder& b, const std::string& path, ValueId x, const BlockArgs& a, const MobileVitKwargs& k,
                        const MobileViTConfig& c, const std::string& context) {
  const int64_t groups = num_groups(a.group_size, a.in_chs, context);
  const int64_t dim = k.transformer_dim ? *k.transformer_dim : make_divisible(a.bottle_ratio * static_cast<double>(a.in_chs));
  if (dim % k.num_heads != 0) {
    throw Error(fmt::format("configuring {}: num_heads {} does not divide transformer_dim {}", context, k.num_heads, dim));
  }
  if (!k.no_fusion && a.stride != 1) {
    throw Error(fmt::format("configuring {}: a 'mobilevit' block that starts a stage with stride {} cannot fuse its "
                            "input with its strided output (timm fails the same way); use s = 1 or no_fusion",
                            context, a.stride));
  }
  const ValueId shortcut = x;
  x = conv_norm_act(b, path + ".conv_kxk", x, a.in_chs, k.kernel_size, c.act,
                    {.stride = a.stride, .dilation = a.first_dilation, .groups = groups});
  x = b.conv2d(path + ".conv_1x1", x, dim, 1, {.bias = false});

  const int64_t batch = b.dim(x, 0), height = b.dim(x, 2), width = b.dim(x, 3);
  const int64_t nh = (height + k.patch_h - 1) / k.patch_h, nw = (width + k.patch_w - 1) / k.patch_w;
  const bool resize = nh * k.patch_h != height || nw * k.patch_w != width;
  {
    Builder::ScopedPath scope(b, path);
    // A map that is not a multiple of the patch is resized up to the next multiple and back.
    if (resize) x = b.interpolate_bilinear(x, nh * k.patch_h, nw * k.patch_w, false);
    x = unfold_patches(b, x, k.patch_h, k.patch_w);
  }
  const blocks::TransformerBlockOptions options{.num_heads = k.num_heads,
                                                .mlp_ratio = k.mlp_ratio,
                                                .qkv_bias = true,
                                                .norm_eps = 1e-5f,
                                                .act = c.act,
                                                .layer_scale = false};
  for (int64_t i = 0; i < k.transformer_depth; ++i) {
    x = blocks::transformer_block(b, fmt::format("{}.transformer.{}", path, i), x, options);
  }
  x = b.layer_norm(path + ".norm", x, 1e-5f);
  {
    Builder::ScopedPath scope(b, path);
    x = fold_patches(b, x, batch, nh, nw, k.patch_h, k.patch_w);
    if (resize) x = b.interpolate_bilinear(x, height, width, false);
  }
  x = conv_norm_act(b, path + ".conv_proj", x, a.out_chs, 1, c.act);
  if (k.no_fusion) return x;
  ValueId fused;
  {
    Builder::ScopedPath scope(b, path);
    fused = b.concat({shortcut, x}, 1);
  }
  return conv_norm_act(b, path + ".conv_fusion", fused, a.out_chs, k.kernel_size, c.act);
}

// timm LinearSelfAttention on x [B, C, P, N] (P: positions inside a patch, N: patches):
// a 1x1 conv gives one query channel and C key and value channels; the query is
// softmaxed over the patches, the keys weighted by it and summed into a context vector
// per position, which scales relu(value); a 1x1 output conv.
ValueId linear_self_attention(Builder& b, const std::string& path, ValueId x) {
  const int64_t dim = b.dim(x, 1);
  const ValueId qkv = b.conv2d(path + ".qkv_proj", x, 1 + 2 * dim, 1);
  ValueId out;
  {
    Builder::ScopedPath scope(b, path);
    const ValueId scores = b.softmax(b.slice(qkv, 1, 0, 1), -1);   // [B,1,P,N]
    // sum_N(key * scores) as a batched matmul over the positions P: [B,P,C,N] x [B,P,N,1].
    const ValueId keys = b.permute(b.slice(qkv, 1, 1, 1 + dim), {0, 2, 1, 3});
    const ValueId context = b.permute(b.matmul(keys, b.permute(scores, {0, 2, 3, 1})), {0, 2, 1, 3});   // [B,C,P,1]
    out = b.mul(b.relu(b.slice(qkv, 1, 1 + dim, 1 + 2 * dim)), context);
  }
  return b.conv2d(path + ".out_proj", out, dim, 1);
}

// timm MobileVitV2Block: a map that is not a multiple of the patch is first resized up
// (bilinear, align_corners) and stays that size; local kxk conv (always stride 1: timm
// ignores the block stride) and 1x1 projection; LinearTransformerBlocks (pre-norm
// GroupNorm(1), separable attention, 1x1-conv MLP) over the unfolded patches; GroupNorm;
// fold back; 1x1 projection without activation. No residual and no fusion conv.
ValueId mobilevit2_block(Builder& b, const std::string& path, ValueId x, const BlockArgs& a,
                         const MobileVitV2Kwargs& k, const MobileViTConfig& c, const std::string& context) {
  constexpr float kGroupNormEps = 1e-5f;
  const int64_t groups = num_groups(a.group_size, a.in_chs, context);
  const int64_t dim = k.transformer_dim ? *k.transformer_dim : make_divisible(a.bottle_ratio * static_cast<double>(a.in_chs));
  const int64_t batch = b.dim(x, 0), height = b.dim(x, 2), width = b.dim(x, 3);
  const int64_t nh = (height + k.patch_h - 1) / k.patch_h, nw = (width + k.patch_w - 1) / k.patch_w;
  if (nh * k.patch_h != height || nw * k.patch_w != width) {
    Builder::ScopedPath scope(b, path);
    x = b.interpolate_bilinear(x, nh * k.patch_h, nw * k.patch_w, true);
  }
  x = conv_norm_act(b, path + ".conv_kxk", x, a.in_chs, k.kernel_size, c.act,
                    {.dilation = a.first_dilation, .groups = groups});
  x = b.conv2d(path + ".conv_1x1", x, dim, 1, {.bias = false});
  const int64_t area = k.patch_h * k.patch_w, patches = nh * nw;
  {
    Builder::ScopedPath scope(b, path);
    x = b.reshape(x, {batch, dim, nh, k.patch_h, nw, k.patch_w});
    x = b.reshape(b.permute(x, {0, 1, 3, 5, 2, 4}), {batch, dim, area, patches});   // [B, C, P, N]
  }
  const int64_t hidden = static_cast<int64_t>(static_cast<double>(dim) * k.mlp_ratio);
  for (int64_t i = 0; i < k.transformer_depth; ++i) {
    const std::string block = fmt::format("{}.transformer.{}", path, i);
    ValueId y = linear_self_attention(b, block + ".attn", b.group_norm(block + ".norm1", x, 1, kGroupNormEps));
    {
      Builder::ScopedPath scope(b, block);
      x = b.add(x, y);
    }
    y = b.conv2d(block + ".mlp.fc1", b.group_norm(block + ".norm2", x, 1, kGroupNormEps), hidden, 1);
    {
      Builder::ScopedPath scope(b, block + ".mlp");
      y = blocks::activation(b, c.act, y);
    }
    y = b.conv2d(block + ".mlp.fc2", y, dim, 1);
    Builder::ScopedPath scope(b, block);
    x = b.add(x, y);
  }
  x = b.group_norm(path + ".norm", x, 1, kGroupNormEps);
  {
    Builder::ScopedPath scope(b, path);
    x = b.reshape(x, {batch, dim, k.patch_h, k.patch_w, nh, nw});
    x = b.reshape(b.permute(x, {0, 1, 4, 2, 5, 3}), {batch, dim, nh * k.patch_h, nw * k.patch_w});
  }
  return conv_norm_act(b, path + ".conv_proj", x, a.out_chs, 1, c.act, {.apply_act = false});
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const MobileViTConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  ValueId x = b.input("input", input_shape);

  // Stem: one ConvNormAct with stride 2 (no pooling).
  const int64_t stem_chs =
      round_half_even(static_cast<double>(c.stem_chs ? *c.stem_chs : c.blocks[0][0].c) * c.width_factor);
  x = conv_norm_act(b, "stem", x, stem_chs, c.stem_type == "7x7" ? 7 : 3, c.act, {.stride = 2});

  // Stages (byobnet create_byob_stages): a stage's first block takes the stage stride,
  // which turns into dilation once the network stride reaches output_stride.
  int64_t net_stride = 2, dilation = 1, prev_chs = stem_chs;
  for (size_t stage_idx = 0; stage_idx < c.blocks.size(); ++stage_idx) {
    const std::vector<ByoBlockCfg>& stage = c.blocks[stage_idx];
    int64_t stride = stage[0].s;
    if (net_stride >= c.output_stride && stride > 1) {
      dilation *= stride;
      stride = 1;
    }
    net_stride *= stride;
    int64_t first_dilation = (dilation == 1 || dilation == 2) ? 1 : 2;
    int64_t block_idx = 0;
    for (const ByoBlockCfg& cfg : stage) {
      for (int64_t repeat = 0; repeat < cfg.d; ++repeat, ++block_idx) {
        const std::string context = fmt::format("{} {}", what, cfg.where);
        // Per-block overrides of the model-level attention layers (update_block_kwargs).
        const std::optional<std::string>& attn = cfg.attn_layer ? cfg.attn_layer : c.attn_layer;
        if (cfg.type == "bottle" && attn && !attn->empty()) {
          throw Error(fmt::format("configuring {}: kwarg 'attn_layer' '{}' is not supported (channel attention in "
                                  "bottleneck blocks)", context, *attn));
        }
        // The MobileViT blocks ignore attn_layer; no block type here uses self_attn_layer.
        const BlockArgs args{.in_chs = prev_chs,
                             .out_chs = make_divisible(static_cast<double>(cfg.c) * c.width_factor),
                             .stride = block_idx == 0 ? stride : 1,
                             .first_dilation = first_dilation,
                             .dilation = dilation,
                             .group_size = cfg.gs,
                             .bottle_ratio = cfg.br};
        // Block-level block_kwargs replace the model-level ones entirely (not merged).
        const json& block_kwargs = cfg.block_kwargs ? *cfg.block_kwargs : c.block_kwargs;
        const std::string kwargs_context = context + " block_kwargs";
        const std::string path = fmt::format("stages.{}.{}", stage_idx, block_idx);
        if (cfg.type == "bottle") {
          x = bottleneck_block(b, path, x, args, parse_bottle_kwargs(block_kwargs, kwargs_context), c, context);
        } else if (cfg.type == "mobilevit2") {
          x = mobilevit2_block(b, path, x, args, parse_mobilevit2_kwargs(block_kwargs, kwargs_context), c, context);
        } else {
          x = mobilevit_block(b, path, x, args, parse_mobilevit_kwargs(block_kwargs, kwargs_context), c, context);
        }
        first_dilation = dilation;
        prev_chs = args.out_chs;
      }
    }
  }

  if (c.num_features > 0) {
    x = conv_norm_act(b, "final_conv", x, round_half_even(c.width_factor * static_cast<double>(c.num_features)), 1,
                      c.act);
  }
  b.output("features", x);

  // ClassifierHead: global average pool -> fc (num_classes 0: the pooled features).
  Builder::ScopedPath scope(b, "head");
  ValueId logits = x;
  if (c.global_pool == "avg") logits = b.mean(x, {2, 3}, false);
  if (c.num_classes > 0) logits = b.linear("head.fc", logits, c.num_classes);
  b.output("logits", logits);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  int64_t in_chans = 3, height = 256, width = 256;   // timm's pretrained cfg: 3x256x256
  if (const auto it = kwargs.find("in_chans"); it != kwargs.end() && it->is_number_integer()) {
    in_chans = it->get<int64_t>();
  }
  if (const auto it = kwargs.find("img_size"); it != kwargs.end() && !it->is_null()) {
    const json img_size = {{"img_size", *it}};   // KwargsReader keeps a reference: it must outlive the reader
    KwargsReader r(img_size, "mobilevit");
    r.read_size("img_size", height, width);
  }
  return {in_chans, height, width};
}

// ---- variants (timm mobilevit.py model_cfgs) ---------------------------------------

json block_cfg(const char* type, int64_t d, int64_t c, int64_t s, json gs, double br, json block_kwargs) {
  return {{"type", type},
          {"d", d},
          {"c", c},
          {"s", s},
          {"gs", std::move(gs)},
          {"br", br},
          {"attn_layer", nullptr},
          {"attn_kwargs", nullptr},
          {"self_attn_layer", nullptr},
          {"self_attn_kwargs", nullptr},
          {"block_kwargs", std::move(block_kwargs)}};
}

// An inverted residual (MobileNetV2) block: a depthwise bottleneck widened from its input.
json inverted_residual(int64_t d, int64_t c, int64_t s, double br) {
  return block_cfg("bottle", d, c, s, 1, br, {{"bottle_in", true}, {"linear_out", true}});
}

// A stage of an inverted residual block followed by a MobileViT block.
json mobilevit_stage(int64_t c, int64_t s, int64_t transformer_dim, int64_t transformer_depth, double br) {
  return json::array(
      {inverted_residual(1, c, s, br),
       block_cfg("mobilevit", 1, c, 1, nullptr, 1.0,
                 {{"transformer_dim", transformer_dim}, {"transformer_depth", transformer_depth}, {"patch_size", 2}})});
}

json mobilevit_args(std::array<int64_t, 5> chs, std::array<int64_t, 3> dims, double br, int64_t num_features) {
  return {{"blocks", json::array({inverted_residual(1, chs[0], 1, br), inverted_residual(3, chs[1], 2, br),
                                  mobilevit_stage(chs[2], 2, dims[0], 2, br),
                                  mobilevit_stage(chs[3], 2, dims[1], 4, br),
                                  mobilevit_stage(chs[4], 2, dims[2], 3, br)})},
          {"stem_chs", 16},
          {"stem_type", "3x3"},
          {"stem_pool", ""},
          {"downsample", ""},
          {"act_layer", "silu"},
          {"num_features", num_features}};
}

// timm _mobilevitv2_cfg(multiplier): widths and stem scaled (truncated), every MobileViTv2
// block with transformer_dim = 0.5 * its input width and 2x2 patches.
json mobilevitv2_args(double multiplier) {
  std::array<int64_t, 5> chs = {64, 128, 256, 384, 512};
  for (int64_t& c : chs) c = static_cast<int64_t>(static_cast<double>(c) * multiplier);
  auto stage = [](int64_t c, int64_t transformer_depth) {
    return json::array({inverted_residual(1, c, 2, 2.0),
                        block_cfg("mobilevit2", 1, c, 1, 1, 0.5,
                                  {{"transformer_depth", transformer_depth}, {"patch_size", 2}})});
  };
  return {{"blocks", json::array({inverted_residual(1, chs[0], 1, 2.0), inverted_residual(2, chs[1], 2, 2.0),
                                  stage(chs[2], 2), stage(chs[3], 4), stage(chs[4], 3)})},
          {"stem_chs", static_cast<int64_t>(32.0 * multiplier)},
          {"stem_type", "3x3"},
          {"stem_pool", ""},
          {"downsample", ""},
          {"act_layer", "silu"}};
}

}  // namespace

const Family& mobilevitv2_family() {
  static const Family family{
      .name = "mobilevitv2",
      .description = "MobileViTv2 (arXiv:2206.02680), timm ByobNet with MobileVitV2Block",
      .variants = {
          {"mobilevitv2_050", mobilevitv2_args(0.5)},
          {"mobilevitv2_075", mobilevitv2_args(0.75)},
          {"mobilevitv2_100", mobilevitv2_args(1.0)},
          {"mobilevitv2_125", mobilevitv2_args(1.25)},
          {"mobilevitv2_150", mobilevitv2_args(1.5)},
          {"mobilevitv2_175", mobilevitv2_args(1.75)},
          {"mobilevitv2_200", mobilevitv2_args(2.0)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

const Family& mobilevit_family() {
  static const Family family{
      .name = "mobilevit",
      .description = "MobileViT (arXiv:2110.02178), timm ByobNet with MobileVitBlock",
      .variants = {
          {"mobilevit_xxs", mobilevit_args({16, 24, 48, 64, 80}, {64, 80, 96}, 2.0, 320)},
          {"mobilevit_xs", mobilevit_args({32, 48, 64, 80, 96}, {96, 120, 144}, 4.0, 384)},
          {"mobilevit_s", mobilevit_args({32, 64, 96, 128, 160}, {144, 192, 240}, 4.0, 640)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
