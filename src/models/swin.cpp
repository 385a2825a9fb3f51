// Swin Transformer.
//   Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted
//   Windows", arXiv:2103.14030
// Reference: timm (huggingface/pytorch-image-models) swin_transformer.py
// (SwinTransformer, SwinTransformerStage, SwinTransformerBlock, WindowAttention,
// PatchMerging); parameter keys are timm's.
//
// Tokens stay NHWC [B, H, W, C] between blocks, as in timm; `features` is that map
// after the final norm. Window size and shift of a block follow timm: they are fixed
// from the resolution img_size gives the stage, and a stage whose map is not larger
// than the window uses the whole map as one window, without shift. The relative
// position index and the shifted-window mask are non-persistent buffers in timm and
// are computed here (the bias gather over the parameter table folds at compile time).
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "litevit/error.h"
#include "models/blocks/transformer.h"
#include "models/families.h"
#include "models/kwargs.h"

namespace litevit::models {
namespace {

using graph::Builder;
using graph::ValueId;
using nlohmann::json;

using Size2 = std::array<int64_t, 2>;   // (height, width)

// Fields named like timm's SwinTransformer constructor arguments; per-stage lists
// are expanded to one entry per stage.
struct SwinConfig {
  int64_t img_height = 224, img_width = 224;   // img_size
  int64_t patch_size = 4;
  int64_t in_chans = 3;
  int64_t num_classes = 1000;
  std::string global_pool = "avg";             // "avg" or "" (no pooling)
  std::vector<int64_t> embed_dim;              // per stage (timm: int doubled per stage, or a list)
  std::vector<int64_t> depths = {2, 2, 6, 2};
  std::vector<int64_t> num_heads = {3, 6, 12, 24};
  std::vector<std::optional<int64_t>> head_dim;   // per stage; None: dim / heads
  std::vector<Size2> window_size;              // per stage
  bool always_partition = false;
  bool strict_img_size = true;
  std::vector<double> mlp_ratio;               // per stage
  bool qkv_bias = true;
};

// timm's to_ntuple: a scalar repeats, a list is taken as it is (and must have one
// entry per stage).
template <typename T, typename Convert>
std::vector<T> per_stage(KwargsReader& r, const char* key, const json* v, size_t stages, T fallback,
                         Convert convert) {
  if (v == nullptr) return std::vector<T>(stages, fallback);
  if (!v->is_array()) return std::vector<T>(stages, convert(*v));
  if (v->size() != stages) {
    r.fail(key, fmt::format("has {} entries, expected one per stage ({})", v->size(), stages));
  }
  std::vector<T> out;
  for (const json& item : *v) out.push_back(convert(item));
  return out;
}

SwinConfig parse_config(const json& kwargs, const std::string& what) {
  SwinConfig c;
  KwargsReader r(kwargs, what);
  r.read_size("img_size", c.img_height, c.img_width);
  r.read("patch_size", c.patch_size);
  r.read("in_chans", c.in_chans);
  r.read("num_classes", c.num_classes);
  r.read("global_pool", c.global_pool);
  r.read("depths", c.depths);
  r.read("num_heads", c.num_heads);
  r.read("always_partition", c.always_partition);
  r.read("strict_img_size", c.strict_img_size);
  r.read("qkv_bias", c.qkv_bias);
  for (auto [key, values] : {std::pair{"depths", &c.depths}, {"num_heads", &c.num_heads}}) {
    if (values->empty()) r.fail(key, "must be a non-empty list");
    for (int64_t v : *values) {
      if (v <= 0) r.fail(key, fmt::format("must hold positive integers, got {}", json(*values).dump()));
    }
  }
  const size_t stages = c.depths.size();
  if (c.num_heads.size() != stages) {
    r.fail("num_heads", fmt::format("has {} entries, depths has {}", c.num_heads.size(), stages));
  }

  auto positive_int = [&](const char* key) {
    return [&r, key](const json& v) -> int64_t {
      if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
        r.fail(key, fmt::format("must be a positive integer or a list of them, got {}", v.dump()));
      }
      return v.get<int64_t>();
    };
  };
  if (const json* v = r.raw("embed_dim"); v != nullptr && v->is_array()) {
    c.embed_dim = per_stage<int64_t>(r, "embed_dim", v, stages, 0, positive_int("embed_dim"));
  } else {
    const int64_t base = v == nullptr ? 96 : positive_int("embed_dim")(*v);
    for (size_t i = 0; i < stages; ++i) c.embed_dim.push_back(base << i);
  }
  {
    const json* v = r.raw("head_dim");
    auto convert = [&](const json& item) -> std::optional<int64_t> {
      if (item.is_null()) return std::nullopt;
      return positive_int("head_dim")(item);
    };
    c.head_dim = per_stage<std::optional<int64_t>>(r, "head_dim", v != nullptr && v->is_null() ? nullptr : v, stages,
                                                   std::nullopt, convert);
  }
  {
    // timm: an int is one square window for every stage, a pair [h, w] is one window
    // for every stage, any other list has one entry (int or pair) per stage.
    auto window = [&](const json& item) -> Size2 {
      if (item.is_number_integer() && item.get<int64_t>() > 0) return {item.get<int64_t>(), item.get<int64_t>()};
      if (item.is_array() && item.size() == 2 && item[0].is_number_integer() && item[1].is_number_integer() &&
          item[0].get<int64_t>() > 0 && item[1].get<int64_t>() > 0) {
        return {item[0].get<int64_t>(), item[1].get<int64_t>()};
      }
      r.fail("window_size", fmt::format("must be a positive integer, a pair [h, w], or one of these per stage, got {}",
                                        item.dump()));
    };
    const json* v = r.raw("window_size");
    if (v == nullptr) c.window_size.assign(stages, {7, 7});
    else if (v->is_array() && v->size() == 2 && (*v)[0].is_number_integer()) c.window_size.assign(stages, window(*v));
    else c.window_size = per_stage<Size2>(r, "window_size", v, stages, {7, 7}, window);
  }
  c.mlp_ratio = per_stage<double>(r, "mlp_ratio", r.raw("mlp_ratio"), stages, 4.0, [&](const json& v) {
    if (!v.is_number() || v.get<double>() <= 0) {
      r.fail("mlp_ratio", fmt::format("must be a positive number or one per stage, got {}", v.dump()));
    }
    return v.get<double>();
  });
  for (const char* layer : {"norm_layer", "embed_layer"}) {
    if (const json* v = r.raw(layer); v != nullptr && !v->is_null()) {
      const bool default_norm = std::string(layer) == "norm_layer" && v->is_string() &&
                                (v->get<std::string>() == "layernorm" || v->get<std::string>() == "LayerNorm");
      if (!default_norm) r.fail(layer, fmt::format("{} is not supported (only timm's default)", v->dump()));
    }
  }
  r.ignore({"drop_rate", "proj_drop_rate", "attn_drop_rate", "drop_path_rate", "weight_init"});
  r.finish();

  if (c.global_pool != "avg" && !c.global_pool.empty()) {
    r.fail("global_pool", fmt::format("'{}' is not supported (timm's Swin takes 'avg' or '')", c.global_pool));
  }
  for (auto [key, value] : {std::pair{"patch_size", c.patch_size}, {"in_chans", c.in_chans}}) {
    if (value <= 0) r.fail(key, fmt::format("must be positive, got {}", value));
  }
  if (c.num_classes < 0) r.fail("num_classes", "must not be negative");
  for (size_t i = 0; i < stages; ++i) {
    if (!c.head_dim[i] && c.embed_dim[i] % c.num_heads[i] != 0) {
      r.fail("num_heads", fmt::format("{} does not divide the stage {} width {}", c.num_heads[i], i, c.embed_dim[i]));
    }
  }
  return c;
}

// Python slice [start:stop) over n items, with timm's negative bounds (stop 0 with
// start < 0 selects nothing; a None stop is written as n).
std::array<int64_t, 2> python_range(int64_t start, std::optional<int64_t> stop, int64_t n) {
  auto clamp = [n](int64_t i) { return std::clamp(i < 0 ? i + n : i, int64_t{0}, n); };
  return {clamp(start), stop ? clamp(*stop) : n};
}

// timm SwinTransformerBlock.get_attn_mask on the padded map hp x wp: [num_windows, area, area],
// 0 within a region and -100 across regions of the cyclically shifted map.
std::vector<float> shifted_window_mask(int64_t hp, int64_t wp, Size2 window, Size2 shift) {
  std::vector<int64_t> region(static_cast<size_t>(hp * wp), 0);
  auto bands = [](int64_t w, int64_t s) {
    return std::array<std::pair<int64_t, std::optional<int64_t>>, 3>{
        {{0, -w}, {-w, -s}, {-s, std::nullopt}}};
  };
  int64_t count = 0;
  for (auto [h0, h1] : bands(window[0], shift[0])) {
    for (auto [w0, w1] : bands(window[1], shift[1])) {
      const auto rows = python_range(h0, h1, hp), cols = python_range(w0, w1, wp);
      for (int64_t y = rows[0]; y < rows[1]; ++y) {
        for (int64_t x = cols[0]; x < cols[1]; ++x) region[static_cast<size_t>(y * wp + x)] = count;
      }
      ++count;
    }
  }
  const int64_t area = window[0] * window[1];
  const int64_t windows_h = hp / window[0], windows_w = wp / window[1];
  std::vector<float> mask;
  mask.reserve(static_cast<size_t>(windows_h * windows_w * area * area));
  std::vector<int64_t> ids(static_cast<size_t>(area));
  for (int64_t wy = 0; wy < windows_h; ++wy) {
    for (int64_t wx = 0; wx < windows_w; ++wx) {
      for (int64_t i = 0; i < area; ++i) {
        const int64_t y = wy * window[0] + i / window[1], x = wx * window[1] + i % window[1];
        ids[static_cast<size_t>(i)] = region[static_cast<size_t>(y * wp + x)];
      }
      for (int64_t i = 0; i < area; ++i) {
        for (int64_t j = 0; j < area; ++j) mask.push_back(ids[static_cast<size_t>(i)] == ids[static_cast<size_t>(j)] ? 0.0f : -100.0f);
      }
    }
  }
  return mask;
}

// timm get_relative_position_index, flattened: for query i and key j of a wh x ww
// window, (dy + wh - 1) * (2 ww - 1) + (dx + ww - 1).
std::vector<int64_t> relative_position_index(Size2 window) {
  const int64_t area = window[0] * window[1];
  std::vector<int64_t> index;
  index.reserve(static_cast<size_t>(area * area));
  for (int64_t i = 0; i < area; ++i) {
    for (int64_t j = 0; j < area; ++j) {
      const int64_t dy = i / window[1] - j / window[1], dx = i % window[1] - j % window[1];
      index.push_back((dy + window[0] - 1) * (2 * window[1] - 1) + (dx + window[1] - 1));
    }
  }
  return index;
}

struct BlockGeometry {
  Size2 window;
  Size2 shift;
  Size2 config_resolution;   // what timm fixed the block's window and mask for (from img_size)
};

// timm WindowAttention on windows [B*nW, area, C]; `bias_and_mask` [nW or 1, heads, area, area].
ValueId window_attention(Builder& b, const std::string& path, ValueId x, int64_t num_heads, int64_t head_dim,
                         bool qkv_bias, ValueId bias_and_mask) {
  const int64_t windows = b.dim(x, 0), area = b.dim(x, 1), dim = b.dim(x, 2);
  const int64_t attn_dim = num_heads * head_dim;
  ValueId qkv = b.linear(path + ".qkv", x, 3 * attn_dim, qkv_bias);
  Builder::ScopedPath scope(b, path);
  qkv = b.permute(b.reshape(qkv, {windows, area, 3, num_heads, head_dim}), {2, 0, 3, 1, 4});
  ValueId q = b.scale(b.select(qkv, 0, 0), static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim))));
  ValueId k = b.select(qkv, 0, 1);
  ValueId v = b.select(qkv, 0, 2);
  ValueId attn = b.matmul(q, b.transpose(k, -2, -1));   // [B*nW, heads, area, area]
  const int64_t mask_windows = b.dim(bias_and_mask, 0);
  attn = b.reshape(attn, {windows / mask_windows, mask_windows, num_heads, area, area});
  attn = b.reshape(b.add(attn, bias_and_mask), {windows, num_heads, area, area});
  ValueId out = b.matmul(b.softmax(attn, -1), v);        // [B*nW, heads, area, head_dim]
  out = b.reshape(b.transpose(out, 1, 2), {windows, area, attn_dim});
  return b.linear(path + ".proj", out, dim);
}

ValueId swin_block(Builder& b, const std::string& path, ValueId x, const SwinConfig& c, size_t stage,
                   const BlockGeometry& g) {
  const int64_t batch = b.dim(x, 0), height = b.dim(x, 1), width = b.dim(x, 2), dim = b.dim(x, 3);
  const int64_t num_heads = c.num_heads[stage];
  const int64_t head_dim = c.head_dim[stage].value_or(dim / num_heads);
  const auto [wh, ww] = g.window;
  const bool shifted = g.shift[0] != 0 || g.shift[1] != 0;
  const int64_t hp = (height + wh - 1) / wh * wh, wp = (width + ww - 1) / ww * ww;
  // timm (strict_img_size) fixes the mask for the padded img_size map; another map size would not fit it.
  const int64_t mask_h = (g.config_resolution[0] + wh - 1) / wh * wh;
  const int64_t mask_w = (g.config_resolution[1] + ww - 1) / ww * ww;
  if (c.strict_img_size && shifted && (hp != mask_h || wp != mask_w)) {
    throw Error(fmt::format("building swin: block {} sees a {}x{} map, but its shifted-window mask is fixed for "
                            "{}x{} by img_size (set strict_img_size to false for other sizes)",
                            path, height, width, g.config_resolution[0], g.config_resolution[1]));
  }

  ValueId y = b.layer_norm(path + ".norm1", x, 1e-5f);
  {
    Builder::ScopedPath scope(b, path);
    if (g.shift[0] != 0) y = b.roll(y, -g.shift[0], 1);
    if (g.shift[1] != 0) y = b.roll(y, -g.shift[1], 2);
    if (hp != height || wp != width) y = b.pad(y, {{0, 0}, {0, hp - height}, {0, wp - width}, {0, 0}});
    // window_partition: [B, hp/wh, wh, wp/ww, ww, C] -> [B*nW, wh*ww, C]
    y = b.reshape(y, {batch, hp / wh, wh, wp / ww, ww, dim});
    y = b.reshape(b.permute(y, {0, 1, 3, 2, 4, 5}), {batch * (hp / wh) * (wp / ww), wh * ww, dim});
  }
  ValueId bias_and_mask;
  {
    const std::string attn_path = path + ".attn";
    Builder::ScopedPath scope(b, attn_path);
    const int64_t area = wh * ww;
    ValueId table = b.parameter(attn_path + ".relative_position_bias_table", {(2 * wh - 1) * (2 * ww - 1), num_heads});
    ValueId bias = b.index_select(table, 0, relative_position_index(g.window));   // [area*area, heads]
    bias = b.permute(b.reshape(bias, {area, area, num_heads}), {2, 0, 1});
    bias_and_mask = b.reshape(bias, {1, num_heads, area, area});
    if (shifted) {
      const int64_t windows = (hp / wh) * (wp / ww);
      ValueId mask = b.constant(path + ".attn_mask", {windows, 1, area, area},
                                shifted_window_mask(hp, wp, g.window, g.shift));
      bias_and_mask = b.add(bias_and_mask, mask);   // [nW, heads, area, area], folded at compile time
    }
  }
  y = window_attention(b, path + ".attn", y, num_heads, head_dim, c.qkv_bias, bias_and_mask);
  {
    Builder::ScopedPath scope(b, path);
    // window_reverse: [B*nW, wh*ww, C] -> [B, hp, wp, C]
    y = b.reshape(y, {batch, hp / wh, wp / ww, wh, ww, dim});
    y = b.reshape(b.permute(y, {0, 1, 3, 2, 4, 5}), {batch, hp, wp, dim});
    if (hp != height) y = b.slice(y, 1, 0, height);
    if (wp != width) y = b.slice(y, 2, 0, width);
    if (g.shift[0] != 0) y = b.roll(y, g.shift[0], 1);
    if (g.shift[1] != 0) y = b.roll(y, g.shift[1], 2);
    x = b.add(x, y);
  }
  const auto hidden = static_cast<int64_t>(static_cast<double>(dim) * c.mlp_ratio[stage]);
  y = blocks::mlp(b, path + ".mlp", b.layer_norm(path + ".norm2", x, 1e-5f), hidden, blocks::Activation::kGelu);
  Builder::ScopedPath scope(b, path);
  return b.add(x, y);
}

// timm PatchMerging: pad odd sizes, gather each 2x2 neighbourhood in the order
// (0,0), (1,0), (0,1), (1,1) (row, column) along channels, LayerNorm, Linear without bias.
ValueId patch_merging(Builder& b, const std::string& path, ValueId x, int64_t out_dim) {
  const int64_t batch = b.dim(x, 0), dim = b.dim(x, 3);
  int64_t height = b.dim(x, 1), width = b.dim(x, 2);
  {
    Builder::ScopedPath scope(b, path);
    if (height % 2 != 0 || width % 2 != 0) {
      x = b.pad(x, {{0, 0}, {0, height % 2}, {0, width % 2}, {0, 0}});
      height += height % 2;
      width += width % 2;
    }
    x = b.reshape(x, {batch, height / 2, 2, width / 2, 2, dim});
    x = b.reshape(b.permute(x, {0, 1, 3, 4, 2, 5}), {batch, height / 2, width / 2, 4 * dim});
  }
  x = b.layer_norm(path + ".norm", x, 1e-5f);
  return b.linear(path + ".reduction", x, out_dim, false);
}

void build(Builder& b, const std::string& what, const json& kwargs, const graph::Shape& input_shape) {
  const SwinConfig c = parse_config(kwargs, what);
  if (input_shape[1] != c.in_chans) {
    throw Error(fmt::format("building {}: input {} has {} channels, the model takes in_chans = {}", what,
                            graph::shape_str(input_shape), input_shape[1], c.in_chans));
  }
  if (c.strict_img_size && (input_shape[2] != c.img_height || input_shape[3] != c.img_width)) {
    throw Error(fmt::format("building {}: input {} does not fit the model, which takes [N,{},{},{}] (timm's "
                            "strict_img_size; set kwargs.img_size to build it for another size)",
                            what, graph::shape_str(input_shape), c.in_chans, c.img_height, c.img_width));
  }
  if (!c.strict_img_size && (input_shape[2] % c.patch_size != 0 || input_shape[3] % c.patch_size != 0)) {
    throw Error(fmt::format("building {}: input {} does not fit the model: height and width must be multiples of "
                            "the patch size {}",
                            what, graph::shape_str(input_shape), c.patch_size));
  }
  if (c.img_height < c.patch_size || c.img_width < c.patch_size) {
    throw Error(fmt::format("configuring {}: kwarg 'img_size' {}x{} is smaller than patch_size {}", what,
                            c.img_height, c.img_width, c.patch_size));
  }

  ValueId x = b.input("input", input_shape);
  x = b.conv2d("patch_embed.proj", x, c.embed_dim[0], c.patch_size, {.stride = c.patch_size});
  {
    Builder::ScopedPath scope(b, "patch_embed");
    x = b.permute(x, {0, 2, 3, 1});   // NHWC
  }
  x = b.layer_norm("patch_embed.norm", x, 1e-5f);

  // The resolution timm's stages are built for (from img_size): halved, rounded down, per merge.
  Size2 resolution = {c.img_height / c.patch_size, c.img_width / c.patch_size};
  for (size_t i = 0; i < c.depths.size(); ++i) {
    const std::string stage = fmt::format("layers.{}", i);
    if (i > 0) {
      x = patch_merging(b, stage + ".downsample", x, c.embed_dim[i]);
      resolution = {resolution[0] / 2, resolution[1] / 2};
    }
    for (int64_t j = 0; j < c.depths[i]; ++j) {
      BlockGeometry g{.window = c.window_size[i], .shift = {0, 0}, .config_resolution = resolution};
      if (j % 2 == 1) g.shift = {g.window[0] / 2, g.window[1] / 2};
      if (!c.always_partition) {
        for (int axis = 0; axis < 2; ++axis) {
          if (resolution[axis] <= g.window[axis]) {
            g.window[axis] = resolution[axis];
            g.shift[axis] = 0;
          }
        }
      }
      if (g.window[0] <= 0 || g.window[1] <= 0) {
        throw Error(fmt::format("configuring {}: kwarg 'img_size' {}x{} leaves stage {} without tokens", what,
                                c.img_height, c.img_width, i));
      }
      x = swin_block(b, fmt::format("{}.blocks.{}", stage, j), x, c, i, g);
    }
  }
  x = b.layer_norm("norm", x, 1e-5f);
  b.output("features", x);

  // ClassifierHead on NHWC: average over H and W, then fc (no pooling: fc per position).
  Builder::ScopedPath scope(b, "head");
  ValueId pooled = c.global_pool == "avg" ? b.mean(x, {1, 2}, false) : x;
  b.output("logits", c.num_classes == 0 ? pooled : b.linear("head.fc", pooled, c.num_classes));
}

std::array<int64_t, 3> default_input(const json& kwargs) {
  SwinConfig c;
  KwargsReader r(kwargs, "swin");
  r.read_size("img_size", c.img_height, c.img_width);
  r.read("in_chans", c.in_chans);
  return {c.in_chans, c.img_height, c.img_width};
}

json swin_args(int64_t window, int64_t dim, std::vector<int64_t> depths, std::vector<int64_t> heads,
               int64_t img_size) {
  return {{"patch_size", 4}, {"window_size", window}, {"embed_dim", dim}, {"depths", depths},
          {"num_heads", heads}, {"img_size", img_size}};
}

}  // namespace

const Family& swin_family() {
  static const Family family{
      .name = "swin",
      .description = "Swin Transformer (arXiv:2103.14030), timm SwinTransformer",
      .variants = {
          {"swin_tiny_patch4_window7_224", swin_args(7, 96, {2, 2, 6, 2}, {3, 6, 12, 24}, 224)},
          {"swin_small_patch4_window7_224", swin_args(7, 96, {2, 2, 18, 2}, {3, 6, 12, 24}, 224)},
          {"swin_base_patch4_window7_224", swin_args(7, 128, {2, 2, 18, 2}, {4, 8, 16, 32}, 224)},
          {"swin_base_patch4_window12_384", swin_args(12, 128, {2, 2, 18, 2}, {4, 8, 16, 32}, 384)},
          {"swin_large_patch4_window7_224", swin_args(7, 192, {2, 2, 18, 2}, {6, 12, 24, 48}, 224)},
          {"swin_large_patch4_window12_384", swin_args(12, 192, {2, 2, 18, 2}, {6, 12, 24, 48}, 384)},
      },
      .build = build,
      .default_input = default_input,
  };
  return family;
}

}  // namespace litevit::models
