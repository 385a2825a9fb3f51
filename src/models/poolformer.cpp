// PoolFormer (MetaFormer with a pooling token mixer).
//   Yu et al., "MetaFormer is Actually What You Need for Vision", arXiv:2111.11418
// Reference: timm (huggingface/pytorch-image-models) metaformer.py (MetaFormer,
// MetaFormerStage, MetaFormerBlock, Pooling, Stem, Downsampling, Scale, MlpHead and the
// poolformer_* entrypoints); parameter keys are timm's.
//
// The config is MetaFormer's constructor arguments. Arguments that take a module class in
// timm (token_mixers, mlp_act, norm_layers, downsample_norm, output_norm) take the class
// name as a string ("Pooling", "GELU", "GroupNorm1", "LayerNorm2d", ...). Only what
// PoolFormer (v1) needs and a few cheap neighbours are implemented; the norms without a
// bias of PoolFormerV2/ConvFormer/CAFormer and their SepConv/Attention mixers are errors
// naming the kwarg.
#include <fmt/format.h>

#include <optional>

#include "litevit/error.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

// ---- config -------------------------------------------------------------------

// Fields named like timm's MetaFormer constructor arguments (its defaults; the
// poolformer_* variants spell out what differs).
struct PoolFormerConfig {
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "avg";
  std::vector<int64_t> depths = {2, 2, 6, 2};
  std::vector<int64_t> dims = {64, 128, 320, 512};
  std::vector<std::string> token_mixers;                  // per stage
  std::string mlp_act = "StarReLU";
  bool mlp_bias = false;
  std::vector<std::optional<double>> layer_scale_init_values;   // per stage; None: no layer scale
  std::vector<std::optional<double>> res_scale_init_values;     // per stage; None: no residual scale
  std::optional<std::string> downsample_norm = "LayerNorm2dNoBias";
  std::vector<std::string> norm_layers;                   // per stage
  std::string output_norm = "LayerNorm2d";
  bool use_mlp_head = true;
  int64_t pool_size = 3;                                  // Pooling, through MetaFormer's **kwargs
};

// A kwarg that is one value for every stage or a list with one per stage (timm repeats a
// non-list value num_stages times). `read_one` converts one JSON entry.
template <typename T, typename ReadOne>
void read_per_stage(KwargsReader& r, const char* key, std::vector<T>& out, size_t num_stages, ReadOne read_one,
                    T fallback) {
  const json* v = r.raw(key);
  out.clear();
  if (v == nullptr) {
    out.assign(num_stages, fallback);
  } else if (v->is_array()) {
    if (v->size() < num_stages) {
      r.fail(key, fmt::format("has {} entries for {} stages", v->size(), num_stages));
    }
    for (size_t i = 0; i < num_stages; ++i) out.push_back(read_one((*v)[i]));
  } else {
    out.assign(num_stages, read_one(*v));
  }
}

PoolFormerConfig parse_config(const json& kwargs, const std::string& what) {
  PoolFormerConfig c;
  KwargsReader r(kwargs, what);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  // depths/dims: a list, or one number for a single stage (as timm accepts).
  for (auto [key, field] : {std::pair{"depths", &c.depths}, {"dims", &c.dims}}) {
    if (const json* v = r.raw(key); v != nullptr && v->is_number_integer()) {
      *field = {v->get<int64_t>()};
    } else {
      r.read(key, *field);
    }
  }
  const size_t num_stages = c.depths.size();
  if (num_stages == 0) r.fail("depths", "must not be empty");
  if (c.dims.size() < num_stages) {
    r.fail("dims", fmt::format("has {} entries for {} stages (depths)", c.dims.size(), num_stages));
  }
  auto class_name = [&](const char* key) {
    return [&r, key](const json& j) {
      if (!j.is_string()) r.fail(key, fmt::format("must be a class name (string), got {}", j.dump()));
      return j.get<std::string>();
    };
  };
  auto optional_number = [&](const char* key) {
    return [&r, key](const json& j) -> std::optional<double> {
      if (j.is_null()) return std::nullopt;
      if (!j.is_number()) r.fail(key, fmt::format("must be a number or null, got {}", j.dump()));
      return j.get<double>();
    };
  };
  read_per_stage(r, "token_mixers", c.token_mixers, num_stages, class_name("token_mixers"), std::string("Pooling"));
  r.read("mlp_act", c.mlp_act);
  r.read("mlp_bias", c.mlp_bias);
  read_per_stage(r, "layer_scale_init_values", c.layer_scale_init_values, num_stages,
                 optional_number("layer_scale_init_values"), std::optional<double>());
  {
    // timm's default is (None, None, 1.0, 1.0): a list, so it needs four stages.
    const std::vector<std::optional<double>> fallback = {std::nullopt, std::nullopt, 1.0, 1.0};
    if (r.raw("res_scale_init_values") == nullptr) {
      if (num_stages > fallback.size()) {
        r.fail("res_scale_init_values", fmt::format("timm's default has 4 entries, the model has {} stages", num_stages));
      }
      c.res_scale_init_values.assign(fallback.begin(), fallback.begin() + static_cast<std::ptrdiff_t>(num_stages));
    } else {
      read_per_stage(r, "res_scale_init_values", c.res_scale_init_values, num_stages,
                     optional_number("res_scale_init_values"), std::optional<double>());
    }
  }
  if (const json* v = r.raw("downsample_norm")) {
    if (v->is_null()) c.downsample_norm.reset();
    else c.downsample_norm = class_name("downsample_norm")(*v);
  }
  read_per_stage(r, "norm_layers", c.norm_layers, num_stages, class_name("norm_layers"),
                 std::string("LayerNorm2dNoBias"));
  r.read("output_norm", c.output_norm);
  r.read("use_mlp_head", c.use_mlp_head);
  r.read("pool_size", c.pool_size);
  r.ignore({"drop_path_rate", "proj_drop_rate", "drop_rate"});
  r.finish();

  if (c.in_chans <= 0) r.fail("in_chans", fmt::format("must be positive, got {}", c.in_chans));
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  for (size_t i = 0; i < num_stages; ++i) {
    if (c.depths[i] < 0) r.fail("depths", fmt::format("must not be negative, got {}", c.depths[i]));
    if (c.dims[i] <= 0) r.fail("dims", fmt::format("must be positive, got {}", c.dims[i]));
    if (c.token_mixers[i] != "Pooling") {
      r.fail("token_mixers", fmt::format("'{}' is not supported (only 'Pooling', the PoolFormer mixer)",
                                         c.token_mixers[i]));
    }
    if (c.norm_layers[i] != "GroupNorm1" && c.norm_layers[i] != "LayerNorm2d") {
      r.fail("norm_layers", fmt::format("'{}' is not supported (use 'GroupNorm1' or 'LayerNorm2d')", c.norm_layers[i]));
    }
  }
  if (c.mlp_act != "GELU" && c.mlp_act != "ReLU" && c.mlp_act != "StarReLU" && c.mlp_act != "SquaredReLU") {
    r.fail("mlp_act", fmt::format("'{}' is not supported (use 'GELU', 'ReLU', 'StarReLU' or 'SquaredReLU')", c.mlp_act));
  }
  if (c.downsample_norm && *c.downsample_norm != "GroupNorm1" && *c.downsample_norm != "LayerNorm2d") {
    r.fail("downsample_norm",
           fmt::format("'{}' is not supported (use null, 'GroupNorm1' or 'LayerNorm2d')", *c.downsample_norm));
  }
  if (c.output_norm != "GroupNorm1" && c.output_norm != "LayerNorm2d") {
    r.fail("output_norm", fmt::format("'{}' is not supported (use 'LayerNorm2d' or 'GroupNorm1')", c.output_norm));
  }
  if (c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported (use 'avg', or '' with num_classes = 0)", c.global_pool));
  }
  if (c.global_pool.empty() && c.num_classes != 0) {
    r.fail("global_pool", "'' (no pooling) needs num_classes = 0: timm would apply the classifier to the map's last axis");
  }
  if (c.pool_size <= 0 || c.pool_size % 2 == 0) {
    r.fail("pool_size", fmt::format("must be a positive odd number (pooling keeps the map size), got {}", c.pool_size));
  }
  return c;
}

// ---- pieces ---------------------------------------------------------------------

// A timm norm class applied to an NCHW map: GroupNorm1 (one group over C, H, W; eps 1e-5)
// or LayerNorm2d (over C at each position; eps 1e-6).
ValueId norm2d(Builder& b, const std::string& kind, const std::string& path, ValueId x) {
  if (kind == "GroupNorm1") return b.group_norm(path, x, 1, 1e-5f);
  ValueId y;
  {
    Builder::ScopedPath scope(b, path);
    y = b.permute(x, {0, 2, 3, 1});
  }
  y = b.layer_norm(path, y, 1e-6f);
  Builder::ScopedPath scope(b, path);
  return b.permute(y, {0, 3, 1, 2});
}

// timm Scale on NCHW: x * scale[C, 1, 1].
ValueId channel_scale(Builder& b, const std::string& path, ValueId x) {
  Builder::ScopedPath scope(b, path);
  const int64_t channels = b.dim(x, 1);
  return b.mul(x, b.reshape(b.parameter(path + ".scale", {channels}), {channels, 1, 1}));
}

ValueId mlp_activation(Builder& b, const std::string& kind, const std::string& path, ValueId x) {
  Builder::ScopedPath scope(b, path);
  if (kind == "GELU") return b.gelu(x);
  if (kind == "ReLU") return b.relu(x);
  const ValueId r = b.relu(x);
  const ValueId squared = b.mul(r, r);
  if (kind == "SquaredReLU") return squared;
  // StarReLU: scale * relu(x)^2 + bias, both learnable scalars.
  return b.add(b.mul(squared, b.parameter(path + ".scale", {1})), b.parameter(path + ".bias", {1}));
}

// MetaFormerBlock with the Pooling mixer, NCHW:
//   x = res_scale1(x) + layer_scale1(pool(norm1(x)) - norm1(x))
//   x = res_scale2(x) + layer_scale2(mlp(norm2(x)))
ValueId metaformer_block(Builder& b, const std::string& path, ValueId x, const PoolFormerConfig& c, size_t stage) {
  const int64_t dim = b.dim(x, 1);
  const std::string& norm = c.norm_layers[stage];
  const bool layer_scale = c.layer_scale_init_values[stage].has_value();
  const bool res_scale = c.res_scale_init_values[stage].has_value();

  ValueId y = norm2d(b, norm, path + ".norm1", x);
  {
    Builder::ScopedPath scope(b, path + ".token_mixer");
    const ValueId pooled = b.avg_pool2d(y, c.pool_size,
                                        {.stride = 1, .padding = c.pool_size / 2, .count_include_pad = false});
    y = b.sub(pooled, y);
  }
  if (layer_scale) y = channel_scale(b, path + ".layer_scale1", y);
  ValueId shortcut = res_scale ? channel_scale(b, path + ".res_scale1", x) : x;
  {
    Builder::ScopedPath scope(b, path);
    x = b.add(shortcut, y);
  }

  // Mlp with 1x1 convs: fc1 -> act -> fc2.
  y = norm2d(b, norm, path + ".norm2", x);
  y = b.conv2d(path + ".mlp.fc1", y, 4 * dim, 1, {.bias = c.mlp_bias});
  y = mlp_activation(b, c.mlp_act, path + ".mlp.act", y);
  y = b.conv2d(path + ".mlp.fc2", y, dim, 1, {.bias = c.mlp_bias});
  if (layer_scale) y = channel_scale(b, path + ".layer_scale2", y);
  shortcut = res_scale ? channel_scale(b, path + ".res_scale2", x) : x;
  Builder::ScopedPath scope(b, path);
  return b.add(shortcut, y);
}

// ---- the network ------------------------------------------------------------------

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const PoolFormerConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  if (input_shape[2] < 3 || input_shape[3] < 3) {
    throw Error(fmt::format("building {}: input {} is too small: the stem (7x7 conv, stride 4, padding 2) needs "
                            "at least 3x3 pixels", what, graph::shape_str(input_shape)));
  }
  ValueId x = b.input("input", input_shape);

  // Stem: 7x7 conv, stride 4, padding 2, then downsample_norm (none for PoolFormer).
  x = b.conv2d("stem.conv", x, c.dims[0], 7, {.stride = 4, .padding = 2});
  if (c.downsample_norm) x = norm2d(b, *c.downsample_norm, "stem.norm", x);

  int64_t prev_dim = c.dims[0];
  for (size_t i = 0; i < c.depths.size(); ++i) {
    const std::string stage = fmt::format("stages.{}", i);
    // Downsampling (norm, then 3x3 conv with stride 2) only where the width changes.
    if (c.dims[i] != prev_dim) {
      if (c.downsample_norm) x = norm2d(b, *c.downsample_norm, stage + ".downsample.norm", x);
      x = b.conv2d(stage + ".downsample.conv", x, c.dims[i], 3, {.stride = 2, .padding = 1});
    }
    for (int64_t j = 0; j < c.depths[i]; ++j) x = metaformer_block(b, fmt::format("{}.blocks.{}", stage, j), x, c, i);
    prev_dim = c.dims[i];
  }
  b.output("features", x);

  // forward_head: global_pool (keeps [N, C, 1, 1]) -> norm -> flatten -> fc.
  const int64_t num_features = b.dim(x, 1);
  ValueId y = x;
  if (c.global_pool == "avg") {
    Builder::ScopedPath scope(b, "head.global_pool");
    y = b.mean(x, {2, 3}, true);
  }
  y = norm2d(b, c.output_norm, "head.norm", y);
  if (c.global_pool == "avg") {
    Builder::ScopedPath scope(b, "head.flatten");
    y = b.flatten(y, 1);
  }
  if (c.num_classes > 0) {
    if (c.use_mlp_head) {
      // MlpHead: fc1 -> SquaredReLU -> LayerNorm (eps 1e-6) -> fc2.
      y = b.linear("head.fc.fc1", y, 4 * num_features);
      y = mlp_activation(b, "SquaredReLU", "head.fc.act", y);
      y = b.layer_norm("head.fc.norm", y, 1e-6f);
      y = b.linear("head.fc.fc2", y, c.num_classes);
    } else {
      y = b.linear("head.fc", y, c.num_classes);
    }
  }
  b.output("logits", y);
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  int64_t in_chans = 3;   // timm's pretrained cfg: 3x224x224 (any size runs)
  if (const auto it = kwargs.find("in_chans"); it != kwargs.end() && it->is_number_integer()) {
    in_chans = it->get<int64_t>();
  }
  return {in_chans, 224, 224};
}

// ---- variants (timm metaformer.py poolformer_*) ------------------------------------

json poolformer_args(std::vector<int64_t> depths, std::vector<int64_t> dims, double layer_scale) {
  return {{"depths", std::move(depths)},
          {"dims", std::move(dims)},
          {"downsample_norm", nullptr},
          {"mlp_act", "GELU"},
          {"mlp_bias", true},
          {"norm_layers", "GroupNorm1"},
          {"layer_scale_init_values", layer_scale},
          {"res_scale_init_values", nullptr},
          {"use_mlp_head", false}};
}

}  // namespace

const Family& poolformer_family() {
  static const Family family{
      .name = "poolformer",
      .description = "PoolFormer (arXiv:2111.11418), timm MetaFormer with the Pooling token mixer",
      .variants = {
          {"poolformer_s12", poolformer_args({2, 2, 6, 2}, {64, 128, 320, 512}, 1e-5)},
          {"poolformer_s24", poolformer_args({4, 4, 12, 4}, {64, 128, 320, 512}, 1e-5)},
          {"poolformer_s36", poolformer_args({6, 6, 18, 6}, {64, 128, 320, 512}, 1e-6)},
          {"poolformer_m36", poolformer_args({6, 6, 18, 6}, {96, 192, 384, 768}, 1e-6)},
          {"poolformer_m48", poolformer_args({8, 8, 24, 8}, {96, 192, 384, 768}, 1e-6)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
