// EfficientViT (MIT Han lab, the "B" series).
//   Cai, Li, Hu, Gan & Han, "EfficientViT: Multi-Scale Linear Attention for
//   High-Resolution Dense Prediction", arXiv:2205.14756
// Reference: timm (huggingface/pytorch-image-models) efficientvit_mit.py (EfficientVit,
// Stem, EfficientVitStage, EfficientVitBlock, LiteMLA, MBConv, DSConv, ClassifierHead);
// parameter keys are timm's. The "L" series (EfficientVitLarge) is a different class
// and is not part of this family.
//
// LiteMLA is ReLU linear attention: q, k, v come from one 1x1 conv plus multi-scale
// aggregated copies of it (depthwise 5x5, then a 1x1 conv grouped per head), channels
// grouped per head as [heads, (q, k, v), dim]; v is padded with a ones channel so that
// q (k^T v) carries the normaliser q (sum_t k_t) in its last column.
#include <fmt/format.h>

#include <cmath>

#include "litevit/error.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

constexpr float kBatchNormEps = 1e-5f;   // nn.BatchNorm2d default
constexpr float kLayerNormEps = 1e-5f;   // ClassifierHead norm_eps
constexpr float kLiteMlaEps = 1e-5f;     // LiteMLA eps (EfficientVitBlock keeps the default)
constexpr int64_t kAggregationScale = 5;   // LiteMLA scales=(5,)

// Fields named like timm's EfficientVit constructor arguments.
struct EfficientViTConfig {
  int64_t in_chans = 3;
  std::vector<int64_t> widths;        // stem width, then one per stage
  std::vector<int64_t> depths;        // stem residual blocks, then blocks per stage
  int64_t head_dim = 32;
  double expand_ratio = 4.0;
  std::string global_pool = "avg";
  std::vector<int64_t> head_widths;   // [in_conv width, hidden width]
  int64_t num_classes = 1000;
};

EfficientViTConfig parse_config(const json& kwargs, const std::string& what) {
  EfficientViTConfig c;
  KwargsReader r(kwargs, what);
  r.read("in_chans", c.in_chans);
  r.read("widths", c.widths);
  r.read("depths", c.depths);
  r.read("head_dim", c.head_dim);
  r.read("expand_ratio", c.expand_ratio);
  // timm takes layer classes here; only its defaults can be expressed in a JSON config.
  if (const json* v = r.raw("norm_layer"); v != nullptr && !v->is_null()) {
    std::string norm;
    r.read("norm_layer", norm);
    if (norm != "batchnorm" && norm != "batchnorm2d") {
      r.fail("norm_layer", fmt::format("'{}' is not supported (EfficientViT uses BatchNorm2d)", norm));
    }
  }
  if (const json* v = r.raw("act_layer"); v != nullptr && !v->is_null()) {
    std::string act;
    r.read("act_layer", act);
    if (act != "hardswish" && act != "hard_swish") {
      r.fail("act_layer", fmt::format("'{}' is not supported (EfficientViT uses Hardswish)", act));
    }
  }
  r.read("global_pool", c.global_pool);
  r.read("head_widths", c.head_widths);
  r.read("num_classes", c.num_classes);
  r.ignore({"drop_rate"});
  r.finish();

  if (c.widths.empty()) r.fail("widths", "must list the stem width and one width per stage");
  if (c.depths.size() != c.widths.size()) {
    r.fail("depths", fmt::format("has {} entries, widths has {}: both list the stem and then each stage",
                                 c.depths.size(), c.widths.size()));
  }
  for (int64_t w : c.widths) {
    if (w <= 0) r.fail("widths", fmt::format("must be positive, got {}", w));
  }
  for (int64_t d : c.depths) {
    if (d < 0) r.fail("depths", fmt::format("must not be negative, got {}", d));
  }
  if (c.head_dim <= 0) r.fail("head_dim", fmt::format("must be positive, got {}", c.head_dim));
  if (!(c.expand_ratio > 0.0)) r.fail("expand_ratio", fmt::format("must be positive, got {}", c.expand_ratio));
  if (c.global_pool != "avg") {
    r.fail("global_pool", fmt::format("'{}' is not supported (use 'avg'; timm cannot disable pooling here)",
                                      c.global_pool));
  }
  if (c.head_widths.size() != 2) {
    r.fail("head_widths", fmt::format("must be [in_conv width, hidden width], got {} entries", c.head_widths.size()));
  }
  for (int64_t w : c.head_widths) {
    if (w <= 0) r.fail("head_widths", fmt::format("must be positive, got {}", w));
  }
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  if (c.in_chans <= 0) r.fail("in_chans", fmt::format("must be positive, got {}", c.in_chans));
  return c;
}

// ---- layers ---------------------------------------------------------------------

// efficientvit_mit ConvNormAct: conv (same padding for odd kernels) -> [BatchNorm] -> [Hardswish].
struct ConvNormActOptions {
  int64_t stride = 1;
  int64_t groups = 1;
  bool bias = false;
  bool norm = true;
  bool act = false;
};

ValueId conv_norm_act(Builder& b, const std::string& path, ValueId x, int64_t out_channels, int64_t kernel,
                      ConvNormActOptions o) {
  x = b.conv2d(path + ".conv", x, out_channels, kernel,
               {.stride = o.stride, .padding = kernel / 2, .groups = o.groups, .bias = o.bias});
  if (o.norm) x = b.batch_norm(path + ".norm", x, kBatchNormEps);
  if (o.act) {
    Builder::ScopedPath scope(b, path + ".act");
    x = b.hard_swish(x);
  }
  return x;
}

// Python's round() on a float: halves go to the even neighbour.
int64_t round_half_even(double v) { return static_cast<int64_t>(std::nearbyint(v)); }

// DSConv: depthwise kxk (act) -> pointwise 1x1 (no act). `fewer_norm`: the depthwise
// conv has a bias and no norm.
ValueId ds_conv(Builder& b, const std::string& path, ValueId x, int64_t out_channels, int64_t stride,
                bool fewer_norm) {
  const int64_t in_channels = b.dim(x, 1);
  x = conv_norm_act(b, path + ".depth_conv", x, in_channels, 3,
                    {.stride = stride, .groups = in_channels, .bias = fewer_norm, .norm = !fewer_norm, .act = true});
  return conv_norm_act(b, path + ".point_conv", x, out_channels, 1, {});
}

// MBConv: inverted 1x1 (act) -> depthwise kxk (act) -> pointwise 1x1 (no act).
// `fewer_norm`: the first two convs have biases and no norms.
ValueId mb_conv(Builder& b, const std::string& path, ValueId x, int64_t out_channels, int64_t stride,
                double expand_ratio, bool fewer_norm) {
  const int64_t mid = round_half_even(static_cast<double>(b.dim(x, 1)) * expand_ratio);
  const ConvNormActOptions first{.bias = fewer_norm, .norm = !fewer_norm, .act = true};
  x = conv_norm_act(b, path + ".inverted_conv", x, mid, 1, first);
  ConvNormActOptions depthwise = first;
  depthwise.stride = stride;
  depthwise.groups = mid;
  x = conv_norm_act(b, path + ".depth_conv", x, mid, 3, depthwise);
  return conv_norm_act(b, path + ".point_conv", x, out_channels, 1, {});
}

// build_local_block with block_type 'default'.
ValueId local_block(Builder& b, const std::string& path, ValueId x, int64_t out_channels, int64_t stride,
                    double expand_ratio, bool fewer_norm) {
  if (expand_ratio == 1.0) return ds_conv(b, path, x, out_channels, stride, fewer_norm);
  return mb_conv(b, path, x, out_channels, stride, expand_ratio, fewer_norm);
}

ValueId residual(Builder& b, const std::string& path, ValueId main, ValueId shortcut) {
  Builder::ScopedPath scope(b, path);
  return b.add(main, shortcut);
}

// LiteMLA with out_channels = in_channels, heads = in_channels // dim.
ValueId lite_mla(Builder& b, const std::string& path, ValueId x, int64_t head_dim, const std::string& context) {
  const int64_t batch = b.dim(x, 0), channels = b.dim(x, 1), height = b.dim(x, 2), width = b.dim(x, 3);
  const int64_t heads = channels / head_dim;
  if (heads == 0) {
    throw Error(fmt::format("configuring {}: head_dim {} is wider than the {} channels of {} (timm builds no heads)",
                            context, head_dim, channels, path));
  }
  const int64_t total_dim = heads * head_dim;
  const ValueId qkv = b.conv2d(path + ".qkv.conv", x, 3 * total_dim, 1, {.bias = false});
  const ValueId aggregated =
      b.conv2d(path + ".aggreg.0.1",
               b.conv2d(path + ".aggreg.0.0", qkv, 3 * total_dim, kAggregationScale,
                        {.padding = kAggregationScale / 2, .groups = 3 * total_dim, .bias = false}),
               3 * total_dim, 1, {.groups = 3 * heads, .bias = false});
  ValueId out;
  {
    Builder::ScopedPath scope(b, path);
    const int64_t groups = 2 * heads;   // the plain and the aggregated heads
    ValueId all = b.concat({qkv, aggregated}, 1);
    all = b.transpose(b.reshape(all, {batch, groups, 3 * head_dim, height * width}), -1, -2);   // [B,G,HW,3d]
    const ValueId q = b.relu(b.slice(all, -1, 0, head_dim));
    const ValueId k = b.relu(b.slice(all, -1, head_dim, 2 * head_dim));
    const ValueId v = b.pad(b.slice(all, -1, 2 * head_dim, 3 * head_dim), {{0, 0}, {0, 0}, {0, 0}, {0, 1}}, 1.0f);
    const ValueId kv = b.matmul(b.transpose(k, -1, -2), v);   // [B,G,d,d+1]
    out = b.matmul(q, kv);                                    // [B,G,HW,d+1]
    const ValueId eps = b.constant(path + ".eps", {1}, {kLiteMlaEps});
    const ValueId normaliser = b.add(b.slice(out, -1, head_dim, head_dim + 1), eps);
    out = b.div(b.slice(out, -1, 0, head_dim), normaliser);
    out = b.reshape(b.transpose(out, -1, -2), {batch, groups * head_dim, height, width});
  }
  return conv_norm_act(b, path + ".proj", out, channels, 1, {});
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const EfficientViTConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  ValueId x = b.input("input", input_shape);

  x = conv_norm_act(b, "stem.in_conv", x, c.widths[0], 3, {.stride = 2, .act = true});
  for (int64_t i = 0; i < c.depths[0]; ++i) {
    const std::string path = fmt::format("stem.res{}", i);
    x = residual(b, path, ds_conv(b, path + ".main", x, c.widths[0], 1, false), x);
  }

  for (size_t stage = 1; stage < c.widths.size(); ++stage) {
    const bool vit_stage = stage >= 3;   // timm: stage index (after the stem) >= 2
    const int64_t width = c.widths[stage];
    const std::string prefix = fmt::format("stages.{}.blocks", stage - 1);
    x = local_block(b, prefix + ".0.main", x, width, 2, c.expand_ratio, vit_stage);
    if (vit_stage) {
      for (int64_t i = 1; i <= c.depths[stage]; ++i) {
        const std::string path = fmt::format("{}.{}", prefix, i);
        x = residual(b, path + ".context_module",
                     lite_mla(b, path + ".context_module.main", x, c.head_dim, what), x);
        x = residual(b, path + ".local_module",
                     mb_conv(b, path + ".local_module.main", x, width, 1, c.expand_ratio, true), x);
      }
    } else {
      for (int64_t i = 1; i < c.depths[stage]; ++i) {
        const std::string path = fmt::format("{}.{}", prefix, i);
        x = residual(b, path, local_block(b, path + ".main", x, width, 1, c.expand_ratio, false), x);
      }
    }
  }
  b.output("features", x);

  // ClassifierHead (always BatchNorm2d and Hardswish): 1x1 conv -> avg pool -> Linear (no
  // bias) -> LayerNorm -> Hardswish -> Linear.
  x = conv_norm_act(b, "head.in_conv", x, c.head_widths[0], 1, {.act = true});
  {
    Builder::ScopedPath scope(b, "head.global_pool");
    x = b.mean(x, {2, 3}, false);
  }
  x = b.linear("head.classifier.0", x, c.head_widths[1], false);
  x = b.layer_norm("head.classifier.1", x, kLayerNormEps);
  {
    Builder::ScopedPath scope(b, "head.classifier.2");
    x = b.hard_swish(x);
  }
  if (c.num_classes > 0) x = b.linear("head.classifier.4", x, c.num_classes);
  b.output("logits", x);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  int64_t in_chans = 3;
  if (const auto it = kwargs.find("in_chans"); it != kwargs.end() && it->is_number_integer()) {
    in_chans = it->get<int64_t>();
  }
  return {in_chans, 224, 224};   // timm's default cfg of every B variant (the r224 weights)
}

json efficientvit_args(std::vector<int64_t> widths, std::vector<int64_t> depths, int64_t head_dim,
                       std::vector<int64_t> head_widths) {
  return {{"widths", std::move(widths)},
          {"depths", std::move(depths)},
          {"head_dim", head_dim},
          {"head_widths", std::move(head_widths)}};
}

}  // namespace

const Family& efficientvit_family() {
  static const Family family{
      .name = "efficientvit",
      .description = "EfficientViT-B (arXiv:2205.14756), timm efficientvit_mit.py EfficientVit with LiteMLA",
      .variants = {
          {"efficientvit_b0", efficientvit_args({8, 16, 32, 64, 128}, {1, 2, 2, 2, 2}, 16, {1024, 1280})},
          {"efficientvit_b1", efficientvit_args({16, 32, 64, 128, 256}, {1, 2, 3, 3, 4}, 16, {1536, 1600})},
          {"efficientvit_b2", efficientvit_args({24, 48, 96, 192, 384}, {1, 3, 4, 4, 6}, 32, {2304, 2560})},
          {"efficientvit_b3", efficientvit_args({32, 64, 128, 256, 512}, {1, 4, 6, 6, 9}, 32, {2304, 2560})},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
