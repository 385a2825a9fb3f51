// CoAtNet.
//   Dai, Liu, Le & Tan, "CoAtNet: Marrying Convolution and Attention for All Data Sizes",
//   arXiv:2106.04803
// Reference: timm (huggingface/pytorch-image-models) maxxvit.py (MaxxVit with MaxxVitCfg /
// MaxxVitConvCfg / MaxxVitTransformerCfg, Stem, MbConvBlock, TransformerBlock2d,
// Attention2d, Downsample2d) with timm.layers (RelPosBias, SEModule, LayerNorm2d,
// ClassifierHead, NormMlpClassifierHead); parameter keys are timm's.
//
// The config is timm's MaxxVitCfg flattened the way MaxxVit overlays create_model kwargs
// on it: `conv_<field>` is a MaxxVitConvCfg field, `transformer_<field>` a
// MaxxVitTransformerCfg field, the rest MaxxVitCfg fields and MaxxVit's own arguments.
// The variants spell out the fields where their cfg differs from the dataclass defaults.
// Only what the CoAtNet variants use is implemented ('C' MBConv and 'T' transformer
// blocks, BatchNorm conv blocks, relative position bias tables); anything else fails
// naming the kwarg.
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "litevit/error.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

enum class Act { kGelu, kSilu, kRelu, kTanh };

// ---- config -------------------------------------------------------------------

// MaxxVitConvCfg (the MBConv path), defaults as timm's dataclass after __post_init__.
struct ConvCfg {
  std::string block_type = "mbconv";
  double expand_ratio = 4.0;
  bool expand_output = true;
  int64_t kernel_size = 3;
  int64_t group_size = 1;
  bool pre_norm_act = false;
  bool output_bias = true;
  std::string stride_mode = "dw";
  std::string pool_type = "avg2";
  std::string downsample_pool_type = "avg2";
  std::string padding;
  bool attn_early = false;
  std::string attn_layer = "se";
  std::string attn_act_layer = "silu";
  double attn_ratio = 0.25;
  std::string act_layer = "gelu";
  std::string norm_layer = "batchnorm2d";
  double norm_eps = 1e-5;
  Act act = Act::kGelu;
  Act attn_act = Act::kSilu;
};

// MaxxVitTransformerCfg (the TransformerBlock2d path).
struct TransformerCfg {
  int64_t dim_head = 32;
  double expand_ratio = 4.0;
  bool expand_first = true;
  bool shortcut_bias = true;
  bool attn_bias = true;
  std::string pool_type = "avg2";
  std::string rel_pos_type = "bias";
  int64_t rel_pos_dim = 512;
  std::optional<double> init_values;
  std::string act_layer = "gelu";
  std::string norm_layer = "layernorm2d";
  double norm_eps = 1e-6;
  Act act = Act::kGelu;
};

// MaxxVitCfg plus MaxxVit's constructor arguments.
struct CoAtNetConfig {
  std::vector<int64_t> embed_dim = {96, 192, 384, 768};
  std::vector<int64_t> depths = {2, 3, 5, 2};
  std::vector<std::vector<std::string>> block_type = {{"C"}, {"C"}, {"T"}, {"T"}};   // per stage
  int64_t stem_width0 = 64, stem_width1 = 64;
  bool stem_bias = false;
  ConvCfg conv;
  TransformerCfg transformer;
  std::optional<int64_t> head_hidden_size;
  int64_t img_h = 224, img_w = 224;
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "avg";
};

Act parse_act(KwargsReader& r, const char* key, const std::string& name) {
  if (name == "gelu") return Act::kGelu;
  if (name == "silu" || name == "swish") return Act::kSilu;
  if (name == "relu") return Act::kRelu;
  r.fail(key, fmt::format("'{}' is not supported (use 'gelu', 'silu', 'swish' or 'relu')", name));
}

bool is_pool_type(const std::string& p) { return p == "avg2" || p == "avg" || p == "max2" || p == "max"; }

std::optional<double> read_optional_number(KwargsReader& r, const char* key) {
  const json* v = r.raw(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_number()) r.fail(key, fmt::format("must be a number or null, got {}", v->dump()));
  return v->get<double>();
}

void read_conv_cfg(KwargsReader& r, ConvCfg& c) {
  r.read("conv_block_type", c.block_type);
  r.read("conv_expand_ratio", c.expand_ratio);
  r.read("conv_expand_output", c.expand_output);
  r.read("conv_kernel_size", c.kernel_size);
  if (const json* v = r.raw("conv_group_size"); v != nullptr && v->is_null()) {
    c.group_size = 0;
  } else {
    r.read("conv_group_size", c.group_size);
  }
  r.read("conv_pre_norm_act", c.pre_norm_act);
  r.read("conv_output_bias", c.output_bias);
  r.read("conv_stride_mode", c.stride_mode);
  r.read("conv_pool_type", c.pool_type);
  r.read("conv_downsample_pool_type", c.downsample_pool_type);
  if (c.downsample_pool_type.empty()) c.downsample_pool_type = c.pool_type;   // __post_init__
  r.read("conv_padding", c.padding);
  r.read("conv_attn_early", c.attn_early);
  r.read("conv_attn_layer", c.attn_layer);
  r.read("conv_attn_act_layer", c.attn_act_layer);
  r.read("conv_attn_ratio", c.attn_ratio);
  r.read("conv_act_layer", c.act_layer);
  r.read("conv_norm_layer", c.norm_layer);
  if (c.norm_layer.empty()) c.norm_layer = "batchnorm2d";   // __post_init__ for mbconv
  if (auto eps = read_optional_number(r, "conv_norm_eps")) c.norm_eps = *eps;
  // ConvNeXt-block-only fields (init_values: its layer scale; norm_layer_cl: its channels-last norm).
  r.ignore({"conv_init_values", "conv_norm_layer_cl"});

  if (c.block_type != "mbconv") {
    r.fail("conv_block_type", fmt::format("'{}' is not supported (only 'mbconv'; ConvNeXt blocks are not)", c.block_type));
  }
  if (!(c.expand_ratio > 0.0)) r.fail("conv_expand_ratio", "must be positive");
  if (c.kernel_size <= 0 || c.kernel_size % 2 == 0) {
    r.fail("conv_kernel_size", fmt::format("must be a positive odd number, got {}", c.kernel_size));
  }
  if (c.group_size < 0) r.fail("conv_group_size", "must not be negative");
  if (c.stride_mode != "pool" && c.stride_mode != "1x1" && c.stride_mode != "dw") {
    r.fail("conv_stride_mode", fmt::format("'{}' is not one of timm's 'pool', '1x1', 'dw'", c.stride_mode));
  }
  if (!is_pool_type(c.pool_type)) {
    r.fail("conv_pool_type", fmt::format("'{}' is not one of 'avg2', 'avg', 'max2', 'max'", c.pool_type));
  }
  if (!is_pool_type(c.downsample_pool_type)) {
    r.fail("conv_downsample_pool_type",
           fmt::format("'{}' is not one of 'avg2', 'avg', 'max2', 'max'", c.downsample_pool_type));
  }
  if (!c.padding.empty()) {
    r.fail("conv_padding", fmt::format("'{}' is not supported (only '', timm's symmetric padding)", c.padding));
  }
  if (c.attn_layer != "se" && !c.attn_layer.empty()) {
    r.fail("conv_attn_layer", fmt::format("'{}' is not supported (use 'se' or '')", c.attn_layer));
  }
  if (!(c.attn_ratio > 0.0)) r.fail("conv_attn_ratio", "must be positive");
  if (c.norm_layer != "batchnorm2d" && c.norm_layer != "batchnorm") {
    r.fail("conv_norm_layer", fmt::format("'{}' is not supported (use 'batchnorm2d')", c.norm_layer));
  }
  c.act = parse_act(r, "conv_act_layer", c.act_layer);
  c.attn_act = parse_act(r, "conv_attn_act_layer", c.attn_act_layer);
}

void read_transformer_cfg(KwargsReader& r, TransformerCfg& t) {
  r.read("transformer_dim_head", t.dim_head);
  r.read("transformer_expand_ratio", t.expand_ratio);
  r.read("transformer_expand_first", t.expand_first);
  r.read("transformer_shortcut_bias", t.shortcut_bias);
  r.read("transformer_attn_bias", t.attn_bias);
  r.read("transformer_pool_type", t.pool_type);
  r.read("transformer_rel_pos_type", t.rel_pos_type);
  r.read("transformer_rel_pos_dim", t.rel_pos_dim);
  t.init_values = read_optional_number(r, "transformer_init_values");
  r.read("transformer_act_layer", t.act_layer);
  r.read("transformer_norm_layer", t.norm_layer);
  r.read("transformer_norm_eps", t.norm_eps);
  // Dropout rates, and fields only MaxViT's partitioned ('M'/'PM') blocks read (a 'T'
  // block attends over its whole map, and its Attention2d is never given head_first).
  r.ignore({"transformer_attn_drop", "transformer_proj_drop", "transformer_head_first",
            "transformer_partition_ratio", "transformer_window_size", "transformer_grid_size",
            "transformer_no_block_attn", "transformer_use_nchw_attn", "transformer_norm_layer_cl"});

  if (t.dim_head <= 0) r.fail("transformer_dim_head", fmt::format("must be positive, got {}", t.dim_head));
  if (!(t.expand_ratio > 0.0)) r.fail("transformer_expand_ratio", "must be positive");
  if (!is_pool_type(t.pool_type)) {
    r.fail("transformer_pool_type", fmt::format("'{}' is not one of 'avg2', 'avg', 'max2', 'max'", t.pool_type));
  }
  if (t.rel_pos_type != "bias" && t.rel_pos_type != "mlp" && !t.rel_pos_type.empty()) {
    r.fail("transformer_rel_pos_type",
           fmt::format("'{}' is not supported (use 'bias' or 'mlp'; the 'bias_tf' form is not implemented)",
                       t.rel_pos_type));
  }
  if (t.rel_pos_type == "mlp" && t.rel_pos_dim <= 0) {
    r.fail("transformer_rel_pos_dim", fmt::format("must be positive, got {}", t.rel_pos_dim));
  }
  if (t.norm_layer != "layernorm2d" && t.norm_layer != "batchnorm2d" && t.norm_layer != "batchnorm") {
    r.fail("transformer_norm_layer", fmt::format("'{}' is not supported (use 'layernorm2d' or 'batchnorm2d')",
                                                 t.norm_layer));
  }
  t.act = parse_act(r, "transformer_act_layer", t.act_layer);
}

CoAtNetConfig parse_config(const json& kwargs, const std::string& what) {
  CoAtNetConfig c;
  KwargsReader r(kwargs, what);
  r.read("embed_dim", c.embed_dim);
  r.read("depths", c.depths);
  if (const json* v = r.raw("block_type")) {
    if (!v->is_array()) r.fail("block_type", fmt::format("must be a list with one entry per stage, got {}", v->dump()));
    c.block_type.clear();
    for (const json& stage : *v) {
      std::vector<std::string> types;
      if (stage.is_string()) {
        types.push_back(stage.get<std::string>());
      } else if (stage.is_array() && !stage.empty()) {
        for (const json& t : stage) {
          if (!t.is_string()) r.fail("block_type", fmt::format("entries must be strings, got {}", v->dump()));
          types.push_back(t.get<std::string>());
        }
      } else {
        r.fail("block_type", fmt::format("a stage is 'C', 'T' or a list of them, got {}", stage.dump()));
      }
      for (const std::string& t : types) {
        if (t != "C" && t != "T") {
          r.fail("block_type", fmt::format("'{}' is not supported (CoAtNet has 'C' and 'T'; MaxViT's 'M'/'PM' "
                                           "partitioned blocks are not implemented)", t));
        }
      }
      c.block_type.push_back(std::move(types));
    }
  }
  if (const json* v = r.raw("stem_width")) {
    if (v->is_number_integer()) {
      c.stem_width0 = c.stem_width1 = v->get<int64_t>();
    } else if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer() && (*v)[1].is_number_integer()) {
      c.stem_width0 = (*v)[0].get<int64_t>();
      c.stem_width1 = (*v)[1].get<int64_t>();
    } else {
      r.fail("stem_width", fmt::format("must be an integer or a pair of integers, got {}", v->dump()));
    }
    if (c.stem_width0 <= 0 || c.stem_width1 <= 0) r.fail("stem_width", "must be positive");
  }
  r.read("stem_bias", c.stem_bias);
  if (const json* v = r.raw("head_hidden_size"); v != nullptr && !v->is_null()) {
    int64_t hidden = 0;
    r.read("head_hidden_size", hidden);
    if (hidden <= 0) r.fail("head_hidden_size", fmt::format("must be positive or null, got {}", hidden));
    c.head_hidden_size = hidden;
  }
  std::string weight_init = "vit_eff";   // initialisation only
  r.read("weight_init", weight_init);
  read_conv_cfg(r, c.conv);
  read_transformer_cfg(r, c.transformer);

  r.read_size("img_size", c.img_h, c.img_w);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  r.ignore({"drop_rate", "drop_path_rate"});
  r.finish();

  const size_t stages = c.embed_dim.size();
  if (stages == 0) r.fail("embed_dim", "must not be empty");
  if (c.depths.size() != stages) {
    r.fail("depths", fmt::format("has {} entries, embed_dim has {} (one per stage)", c.depths.size(), stages));
  }
  if (c.block_type.size() < stages) {
    r.fail("block_type", fmt::format("has {} entries for {} stages", c.block_type.size(), stages));
  }
  for (size_t i = 0; i < stages; ++i) {
    if (c.embed_dim[i] <= 0) r.fail("embed_dim", "entries must be positive");
    if (c.depths[i] < 0) r.fail("depths", "entries must not be negative");
  }
  if (c.in_chans <= 0) r.fail("in_chans", fmt::format("must be positive, got {}", c.in_chans));
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.global_pool != "avg") {
    r.fail("global_pool", fmt::format("'{}' is not supported (use 'avg')", c.global_pool));
  }
  return c;
}

// ---- timm helpers ---------------------------------------------------------------

// timm.layers.make_divisible with divisor 8.
int64_t make_divisible(double v, int64_t divisor = 8) {
  int64_t rounded = static_cast<int64_t>(v + static_cast<double>(divisor) / 2.0) / divisor * divisor;
  rounded = std::max(divisor, rounded);
  if (static_cast<double>(rounded) < 0.9 * v) rounded += divisor;
  return rounded;
}

// timm get_padding for padding '': symmetric.
int64_t get_padding(int64_t kernel, int64_t stride) { return ((stride - 1) + (kernel - 1)) / 2; }

// RelPosBias.get_bias: the [offsets, heads] table gathered at the relative position index,
// as [1, heads, N, N].
std::vector<int64_t> relative_position_index(int64_t h, int64_t w);

ValueId relative_bias(Builder& b, ValueId table, int64_t h, int64_t w) {
  const int64_t heads = b.dim(table, 1), tokens = h * w;
  ValueId gathered = b.index_select(table, 0, relative_position_index(h, w));   // [N*N, heads]
  return b.reshape(b.permute(b.reshape(gathered, {tokens, tokens, heads}), {2, 0, 1}), {1, heads, tokens, tokens});
}

// ---- layers -------------------------------------------------------------------

ValueId activation(Builder& b, Act act, ValueId x) {
  switch (act) {
    case Act::kGelu: return b.gelu(x);
    case Act::kSilu: return b.silu(x);
    case Act::kRelu: return b.relu(x);
    case Act::kTanh: {
      // tanh(x) = 2 sigmoid(2x) - 1
      ValueId s = b.scale(b.sigmoid(b.scale(x, 2.0f)), 2.0f);
      return b.add(s, b.constant("tanh_offset", {1}, {-1.0f}));
    }
  }
  return x;
}

// timm BatchNormAct2d (eval): BN, then the activation when `act` is set.
ValueId batch_norm_act(Builder& b, const std::string& path, ValueId x, float eps, std::optional<Act> act) {
  x = b.batch_norm(path, x, eps);
  if (act) {
    Builder::ScopedPath scope(b, path);
    x = activation(b, *act, x);
  }
  return x;
}

// timm LayerNorm2d: LayerNorm over the channels of an NCHW map.
ValueId layer_norm_2d(Builder& b, const std::string& path, ValueId x, float eps) {
  {
    Builder::ScopedPath scope(b, path);
    x = b.permute(x, {0, 2, 3, 1});
  }
  x = b.layer_norm(path, x, eps);
  Builder::ScopedPath scope(b, path);
  return b.permute(x, {0, 3, 1, 2});
}

// The transformer cfg's norm layer (norm_layer with norm_eps).
ValueId transformer_norm(Builder& b, const std::string& path, ValueId x, const TransformerCfg& t) {
  if (t.norm_layer == "layernorm2d") return layer_norm_2d(b, path, x, static_cast<float>(t.norm_eps));
  return b.batch_norm(path, x, static_cast<float>(t.norm_eps));
}

// timm Downsample2d: a stride-2 pool, then a 1x1 conv when the width changes.
ValueId downsample(Builder& b, const std::string& path, ValueId x, int64_t out_chs, const std::string& pool_type,
                   bool bias) {
  {
    Builder::ScopedPath scope(b, path + ".pool");
    if (pool_type == "avg2") {
      x = b.avg_pool2d(x, 2, {.stride = 2});
    } else if (pool_type == "avg") {
      x = b.avg_pool2d(x, 3, {.stride = 2, .padding = 1, .count_include_pad = false});
    } else if (pool_type == "max2") {
      x = b.max_pool2d(x, 2, {.stride = 2});
    } else {
      x = b.max_pool2d(x, 3, {.stride = 2, .padding = 1});
    }
  }
  if (b.dim(x, 1) != out_chs) x = b.conv2d(path + ".expand", x, out_chs, 1, {.bias = bias});
  return x;
}

// timm SEModule: channel gates from the spatial mean (fc1 -> act -> fc2 -> sigmoid).
ValueId squeeze_excite(Builder& b, const std::string& path, ValueId x, int64_t rd_channels, Act act) {
  const int64_t channels = b.dim(x, 1);
  ValueId s;
  {
    Builder::ScopedPath scope(b, path);
    s = b.mean(x, {2, 3}, true);
  }
  s = b.conv2d(path + ".fc1", s, rd_channels, 1);
  {
    Builder::ScopedPath scope(b, path + ".act");
    s = activation(b, act, s);
  }
  s = b.conv2d(path + ".fc2", s, channels, 1);
  Builder::ScopedPath scope(b, path);
  return b.mul(x, b.sigmoid(s));
}

void check_pooled_shapes(Builder& b, const std::string& context, ValueId shortcut, ValueId y) {
  if (b.shape(shortcut) != b.shape(y)) {
    throw Error(fmt::format("building {}: the shortcut has shape {} but the block computes {} (an odd map "
                            "size that the stride-2 pooling floors and the strided conv rounds up; timm "
                            "fails the same way): use an input whose maps stay even",
                            context, graph::shape_str(b.shape(shortcut)), graph::shape_str(b.shape(y))));
  }
}

// timm MbConvBlock: pre-norm, 1x1 expansion, kxk (depthwise) conv, SE, 1x1 projection,
// + shortcut (pooled and widened at a stride-2 block).
ValueId mbconv_block(Builder& b, const std::string& path, ValueId x, int64_t out_chs, int64_t stride,
                     const ConvCfg& c) {
  const int64_t in_chs = b.dim(x, 1);
  const int64_t mid = make_divisible(static_cast<double>(c.expand_output ? out_chs : in_chs) * c.expand_ratio);
  if (c.group_size > 0 && mid % c.group_size != 0) {
    throw Error(fmt::format("configuring {}: kwarg 'conv_group_size' {} does not divide the {} expanded channels",
                            path, c.group_size, mid));
  }
  const int64_t groups = c.group_size > 0 ? mid / c.group_size : 1;
  const auto eps = static_cast<float>(c.norm_eps);

  ValueId shortcut = stride == 2 ? downsample(b, path + ".shortcut", x, out_chs, c.pool_type, c.output_bias) : x;
  const int64_t stride_1x1 = c.stride_mode == "1x1" ? stride : 1;
  const int64_t stride_kxk = c.stride_mode == "dw" ? stride : 1;

  x = batch_norm_act(b, path + ".pre_norm", x, eps, c.pre_norm_act ? std::optional(c.act) : std::nullopt);
  if (c.stride_mode == "pool" && stride > 1) x = downsample(b, path + ".down", x, in_chs, c.downsample_pool_type, true);
  x = b.conv2d(path + ".conv1_1x1", x, mid, 1, {.stride = stride_1x1, .bias = false});
  x = batch_norm_act(b, path + ".norm1", x, eps, c.act);
  x = b.conv2d(path + ".conv2_kxk", x, mid, c.kernel_size,
               {.stride = stride_kxk, .padding = get_padding(c.kernel_size, stride_kxk), .groups = groups,
                .bias = false});
  const auto rd = static_cast<int64_t>(c.attn_ratio * static_cast<double>(c.expand_output ? out_chs : mid));
  const bool se = !c.attn_layer.empty();
  if (se && c.attn_early) x = squeeze_excite(b, path + ".se_early", x, rd, c.attn_act);
  x = batch_norm_act(b, path + ".norm2", x, eps, c.act);
  if (se && !c.attn_early) x = squeeze_excite(b, path + ".se", x, rd, c.attn_act);
  x = b.conv2d(path + ".conv3_1x1", x, out_chs, 1, {.bias = c.output_bias});
  check_pooled_shapes(b, path, shortcut, x);
  Builder::ScopedPath scope(b, path);
  return b.add(x, shortcut);
}

// Relative position index of an h x w window, flattened [(h*w)^2]: the offset (dy, dx)
// of query i from key j, shifted to be non-negative, row-major in a (2h-1) x (2w-1) table.
std::vector<int64_t> relative_position_index(int64_t h, int64_t w) {
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(h * w * h * w));
  for (int64_t qy = 0; qy < h; ++qy) {
    for (int64_t qx = 0; qx < w; ++qx) {
      for (int64_t ky = 0; ky < h; ++ky) {
        for (int64_t kx = 0; kx < w; ++kx) {
          index.push_back((qy - ky + h - 1) * (2 * w - 1) + (qx - kx + w - 1));
        }
      }
    }
  }
  return index;
}

// timm RelPosMlp (its default 'cr' mode): an MLP (fc1 -> ReLU -> fc2) maps each offset's
// log-spaced coordinates sign(d) ln(1 + |d|) to one bias per head: [offsets, heads].
ValueId rel_pos_mlp_table(Builder& b, const std::string& path, int64_t height, int64_t width, int64_t heads,
                          int64_t hidden) {
  std::vector<float> coords;
  const auto log_coord = [](int64_t d) {
    const auto v = static_cast<float>(d);
    return std::copysign(std::log(1.0f + std::fabs(v)), v);
  };
  for (int64_t dy = -(height - 1); dy < height; ++dy) {
    for (int64_t dx = -(width - 1); dx < width; ++dx) {
      coords.push_back(log_coord(dy));
      coords.push_back(log_coord(dx));
    }
  }
  const int64_t offsets = (2 * height - 1) * (2 * width - 1);
  ValueId x = b.constant(path + ".rel_coords_log", {offsets, 2}, std::move(coords));
  x = b.linear(path + ".mlp.fc1", x, hidden);
  {
    Builder::ScopedPath scope(b, path + ".mlp.act");
    x = b.relu(x);
  }
  return b.linear(path + ".mlp.fc2", x, heads);
}

// timm Attention2d over the whole NCHW map, with a RelPosBias table for its size.
ValueId attention_2d(Builder& b, const std::string& path, ValueId x, int64_t dim_out, const TransformerCfg& t) {
  const int64_t batch = b.dim(x, 0), dim = b.dim(x, 1), height = b.dim(x, 2), width = b.dim(x, 3);
  const int64_t tokens = height * width;
  const int64_t dim_attn = t.expand_first ? dim_out : dim;
  if (dim_attn % t.dim_head != 0) {
    throw Error(fmt::format("configuring {}: kwarg 'transformer_dim_head' {} does not divide the attention width {}",
                            path, t.dim_head, dim_attn));
  }
  const int64_t heads = dim_attn / t.dim_head, dh = t.dim_head;
  ValueId qkv = b.conv2d(path + ".qkv", x, 3 * dim_attn, 1, {.bias = t.attn_bias});
  std::optional<ValueId> bias;
  if (!t.rel_pos_type.empty()) {
    const int64_t offsets = (2 * height - 1) * (2 * width - 1);
    ValueId table;   // [offsets, heads]
    if (t.rel_pos_type == "bias") {
      table = b.parameter(path + ".rel_pos.relative_position_bias_table", {offsets, heads});
    } else {
      table = rel_pos_mlp_table(b, path + ".rel_pos", height, width, heads, t.rel_pos_dim);
    }
    Builder::ScopedPath scope(b, path + ".rel_pos");
    bias = relative_bias(b, table, height, width);
  }
  Builder::ScopedPath scope(b, path);
  // Channels grouped per head, [heads, (q, k, v), dh]: TransformerBlock2d does not pass
  // head_first on, so Attention2d always uses its default (True).
  qkv = b.reshape(qkv, {batch, heads, 3 * dh, tokens});
  ValueId q = b.slice(qkv, 2, 0, dh);   // [B, heads, dh, N]
  ValueId k = b.slice(qkv, 2, dh, 2 * dh);
  ValueId v = b.slice(qkv, 2, 2 * dh, 3 * dh);
  q = b.scale(q, static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh))));
  ValueId attn = b.matmul(b.transpose(q, -2, -1), k);   // [B, heads, N, N]
  if (bias) attn = b.add(attn, *bias);
  attn = b.softmax(attn, -1);
  ValueId out = b.matmul(attn, b.transpose(v, -2, -1));   // [B, heads, N, dh]
  out = b.reshape(b.permute(out, {0, 1, 3, 2}), {batch, dim_attn, height, width});
  return b.conv2d(path + ".proj", out, dim_out, 1, {.bias = t.attn_bias});
}

ValueId layer_scale_2d(Builder& b, const std::string& path, ValueId x) {
  ValueId gamma = b.parameter(path + ".gamma", {b.dim(x, 1)});
  Builder::ScopedPath scope(b, path);
  return b.mul(x, b.reshape(gamma, {1, b.dim(x, 1), 1, 1}));
}

// timm TransformerBlock2d: x = shortcut(x) + ls1(attn(norm1(x)));  x = x + ls2(mlp(norm2(x))).
ValueId transformer_block(Builder& b, const std::string& path, ValueId x, int64_t dim_out, int64_t stride,
                          std::pair<int64_t, int64_t> window, const CoAtNetConfig& c, const std::string& what) {
  const TransformerCfg& t = c.transformer;
  ValueId shortcut = x, y = x;
  if (stride == 2) {
    shortcut = downsample(b, path + ".shortcut", x, dim_out, t.pool_type, t.shortcut_bias);
    y = transformer_norm(b, path + ".norm1.norm", x, t);
    y = downsample(b, path + ".norm1.down", y, b.dim(y, 1), t.pool_type, true);
  } else {
    y = transformer_norm(b, path + ".norm1", x, t);
  }
  if (b.dim(y, 2) != window.first || b.dim(y, 3) != window.second) {
    throw Error(fmt::format("building {}: block {} attends over a {}x{} map, but its relative position table is "
                            "sized for {}x{} (from img_size {}x{}); give img_size equal to the input size",
                            what, path, b.dim(y, 2), b.dim(y, 3), window.first, window.second, c.img_h, c.img_w));
  }
  y = attention_2d(b, path + ".attn", y, dim_out, t);
  if (t.init_values) y = layer_scale_2d(b, path + ".ls1", y);
  check_pooled_shapes(b, path, shortcut, y);
  {
    Builder::ScopedPath scope(b, path);
    x = b.add(shortcut, y);
  }
  y = transformer_norm(b, path + ".norm2", x, t);
  y = b.conv2d(path + ".mlp.fc1", y, static_cast<int64_t>(static_cast<double>(dim_out) * t.expand_ratio), 1);
  {
    Builder::ScopedPath scope(b, path + ".mlp.act");
    y = activation(b, t.act, y);
  }
  y = b.conv2d(path + ".mlp.fc2", y, dim_out, 1);
  if (t.init_values) y = layer_scale_2d(b, path + ".ls2", y);
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const CoAtNetConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  ValueId x = b.input("input", input_shape);

  // Stem: 3x3 stride-2 conv, BN + act, 3x3 conv.
  x = b.conv2d("stem.conv1", x, c.stem_width0, 3, {.stride = 2, .padding = 1, .bias = c.stem_bias});
  x = batch_norm_act(b, "stem.norm1", x, static_cast<float>(c.conv.norm_eps), c.conv.act);
  x = b.conv2d("stem.conv2", x, c.stem_width1, 3, {.padding = 1, .bias = c.stem_bias});

  // The relative position tables are sized from img_size (the stem halves it, each stage
  // halves it rounding up), not from the input.
  int64_t feat_h = c.img_h / 2, feat_w = c.img_w / 2;
  for (size_t i = 0; i < c.embed_dim.size(); ++i) {
    feat_h = (feat_h - 1) / 2 + 1;
    feat_w = (feat_w - 1) / 2 + 1;
    const std::vector<std::string>& types = c.block_type[i];
    for (int64_t j = 0; j < c.depths[i]; ++j) {
      // timm extend_tuple: a stage's type list is padded with its last entry.
      const std::string& type = types[std::min(static_cast<size_t>(j), types.size() - 1)];
      const std::string path = fmt::format("stages.{}.blocks.{}", i, j);
      const int64_t stride = j == 0 ? 2 : 1;
      if (type == "C") {
        x = mbconv_block(b, path, x, c.embed_dim[i], stride, c.conv);
      } else {
        x = transformer_block(b, path, x, c.embed_dim[i], stride, {feat_h, feat_w}, c, what);
      }
    }
  }

  if (!c.head_hidden_size) x = transformer_norm(b, "norm", x, c.transformer);
  b.output("features", x);

  // ClassifierHead (pool -> fc), or NormMlpClassifierHead (pool -> norm -> fc + tanh -> fc).
  ValueId logits;
  {
    Builder::ScopedPath scope(b, "head.global_pool");
    logits = b.mean(x, {2, 3}, c.head_hidden_size.has_value());
  }
  if (c.head_hidden_size) {
    logits = transformer_norm(b, "head.norm", logits, c.transformer);
    {
      Builder::ScopedPath scope(b, "head.flatten");
      logits = b.flatten(logits, 1);
    }
    logits = b.linear("head.pre_logits.fc", logits, *c.head_hidden_size);
    Builder::ScopedPath scope(b, "head.pre_logits.act");
    logits = activation(b, Act::kTanh, logits);
  }
  if (c.num_classes > 0) logits = b.linear("head.fc", logits, c.num_classes);
  b.output("logits", logits);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  int64_t in_chans = 3, height = 224, width = 224;
  if (const auto it = kwargs.find("in_chans"); it != kwargs.end() && it->is_number_integer()) {
    in_chans = it->get<int64_t>();
  }
  if (const auto it = kwargs.find("img_size"); it != kwargs.end() && !it->is_null()) {
    const json size{{"img_size", *it}};   // KwargsReader keeps a reference: not a temporary
    KwargsReader r(size, "coatnet");
    r.read_size("img_size", height, width);
  }
  return {in_chans, height, width};
}

// ---- variants (timm maxxvit.py model_cfgs) --------------------------------------

json stages(std::vector<int64_t> embed_dim, std::vector<int64_t> depths, json stem_width) {
  return {{"embed_dim", std::move(embed_dim)}, {"depths", std::move(depths)}, {"stem_width", std::move(stem_width)}};
}

json merged(json a, const json& b) {
  for (const auto& [key, value] : b.items()) a[key] = value;
  return a;
}

// timm _rw_coat_cfg: the cfg of timm's own CoAtNet trainings (before the official code).
json rw_coat_cfg(json overrides = json::object()) {
  return merged({{"conv_stride_mode", "pool"},
                 {"conv_pool_type", "avg2"},
                 {"conv_pre_norm_act", true},
                 {"conv_expand_output", false},
                 {"conv_output_bias", false},
                 {"conv_attn_early", false},
                 {"conv_attn_act_layer", "relu"},
                 {"conv_act_layer", "silu"},
                 {"transformer_expand_first", false},
                 {"transformer_shortcut_bias", true},
                 {"transformer_pool_type", "avg2"},
                 {"transformer_init_values", nullptr},
                 {"transformer_norm_layer", "layernorm2d"},
                 {"transformer_rel_pos_type", "bias"}},
                overrides);
}

// timm _rw_max_cfg (used by the pico/nano CoAtNets).
json rw_max_cfg(json overrides = json::object()) {
  return merged({{"conv_stride_mode", "dw"},
                 {"conv_pool_type", "avg2"},
                 {"conv_expand_output", false},
                 {"conv_output_bias", false},
                 {"conv_attn_ratio", 1.0 / 16},
                 {"conv_act_layer", "silu"},
                 {"transformer_expand_first", false},
                 {"transformer_pool_type", "avg2"},
                 {"transformer_dim_head", 32},
                 {"transformer_init_values", nullptr},
                 {"transformer_norm_layer", "layernorm2d"},
                 {"transformer_rel_pos_type", "bias"}},
                overrides);
}

json paper_cfg(std::vector<int64_t> embed_dim, std::vector<int64_t> depths, int64_t stem_width, int64_t head_hidden) {
  return merged(stages(std::move(embed_dim), std::move(depths), stem_width), {{"head_hidden_size", head_hidden}});
}

// coatnet_rmlp_2_rw at 224 or 384 (timm fixes img_size from the pretrained cfg's input size).
json rmlp_2_rw(int64_t img_size) {
  return merged(merged(stages({128, 256, 512, 1024}, {2, 6, 14, 2}, {64, 128}),
                       rw_coat_cfg({{"conv_stride_mode", "dw"}, {"conv_attn_act_layer", "silu"},
                                    {"transformer_init_values", 1e-6}, {"transformer_rel_pos_type", "mlp"}})),
                {{"img_size", img_size}});
}

const std::vector<int64_t> kDims0 = {96, 192, 384, 768};
const std::vector<int64_t> kDims2 = {128, 256, 512, 1024};
const std::vector<int64_t> kDims3 = {192, 384, 768, 1536};
const std::vector<int64_t> kDimsNano = {64, 128, 256, 512};

}  // namespace

const Family& coatnet_family() {
  static const Family family{
      .name = "coatnet",
      .description = "CoAtNet (arXiv:2106.04803), timm MaxxVit with MbConvBlock and TransformerBlock2d",
      .variants = {
          {"coatnet_pico_rw_224",
           merged(stages(kDimsNano, {2, 3, 5, 2}, {32, 64}),
                  rw_max_cfg({{"conv_output_bias", true}, {"conv_attn_ratio", 0.25}}))},
          {"coatnet_nano_rw_224",
           merged(stages(kDimsNano, {3, 4, 6, 3}, {32, 64}),
                  rw_max_cfg({{"conv_stride_mode", "pool"}, {"conv_output_bias", true}, {"conv_attn_ratio", 0.25}}))},
          {"coatnet_0_rw_224",
           merged(stages(kDims0, {2, 3, 7, 2}, {32, 64}),
                  rw_coat_cfg({{"conv_attn_early", true}, {"transformer_shortcut_bias", false}}))},
          {"coatnet_1_rw_224",
           merged(stages(kDims0, {2, 6, 14, 2}, {32, 64}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"conv_attn_early", true},
                               {"transformer_shortcut_bias", false}}))},
          {"coatnet_2_rw_224",
           merged(stages(kDims2, {2, 6, 14, 2}, {64, 128}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"conv_attn_act_layer", "silu"}}))},
          // timm's default pretrained tag for coatnet_3_rw_224 is sw_in12k: 11821 classes.
          {"coatnet_3_rw_224",
           merged(merged(stages(kDims3, {2, 6, 14, 2}, {96, 192}), {{"num_classes", 11821}}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"conv_attn_act_layer", "silu"},
                               {"transformer_init_values", 1e-6}}))},
          {"coatnet_bn_0_rw_224",
           merged(stages(kDims0, {2, 3, 7, 2}, {32, 64}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"conv_attn_early", true},
                               {"transformer_shortcut_bias", false}, {"transformer_norm_layer", "batchnorm2d"}}))},
          {"coatnet_rmlp_nano_rw_224",
           merged(stages(kDimsNano, {3, 4, 6, 3}, {32, 64}),
                  rw_max_cfg({{"conv_output_bias", true}, {"conv_attn_ratio", 0.25},
                              {"transformer_rel_pos_type", "mlp"}, {"transformer_rel_pos_dim", 384}}))},
          {"coatnet_rmlp_0_rw_224",
           merged(stages(kDims0, {2, 3, 7, 2}, {32, 64}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"transformer_rel_pos_type", "mlp"}}))},
          {"coatnet_rmlp_1_rw_224",
           merged(stages(kDims0, {2, 6, 14, 2}, {32, 64}),
                  rw_coat_cfg({{"conv_pool_type", "max"}, {"transformer_pool_type", "max"},
                               {"conv_attn_early", true}, {"transformer_shortcut_bias", false},
                               {"transformer_rel_pos_type", "mlp"}, {"transformer_rel_pos_dim", 384}}))},
          {"coatnet_rmlp_1_rw2_224",
           merged(stages(kDims0, {2, 6, 14, 2}, {32, 64}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"transformer_rel_pos_type", "mlp"},
                               {"transformer_rel_pos_dim", 512}}))},
          {"coatnet_rmlp_2_rw_224", rmlp_2_rw(224)},
          {"coatnet_rmlp_2_rw_384", rmlp_2_rw(384)},
          {"coatnet_rmlp_3_rw_224",
           merged(stages(kDims3, {2, 6, 14, 2}, {96, 192}),
                  rw_coat_cfg({{"conv_stride_mode", "dw"}, {"conv_attn_act_layer", "silu"},
                               {"transformer_init_values", 1e-6}, {"transformer_rel_pos_type", "mlp"}}))},
          {"coatnet_nano_cc_224",
           merged(merged(stages(kDimsNano, {3, 4, 6, 3}, {32, 64}),
                         {{"block_type", json::array({"C", "C", json::array({"C", "T"}), json::array({"C", "T"})})}}),
                  rw_coat_cfg())},
          {"coatnet_0_224", paper_cfg(kDims0, {2, 3, 5, 2}, 64, 768)},
          {"coatnet_1_224", paper_cfg(kDims0, {2, 6, 14, 2}, 64, 768)},
          {"coatnet_2_224", paper_cfg(kDims2, {2, 6, 14, 2}, 128, 1024)},
          {"coatnet_3_224", paper_cfg(kDims3, {2, 6, 14, 2}, 192, 1536)},
          {"coatnet_4_224", paper_cfg(kDims3, {2, 12, 28, 2}, 192, 1536)},
          {"coatnet_5_224", paper_cfg({256, 512, 1280, 2048}, {2, 12, 28, 2}, 192, 2048)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
