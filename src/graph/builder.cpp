#include "graph/builder.h"

#include <fmt/format.h>

#include <algorithm>

#include "litevit/error.h"

namespace litevit::graph {

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

int64_t Builder::normalize_axis(ValueId x, int64_t axis, int64_t rank_extra) const {
  const auto rank = static_cast<int64_t>(shape(x).size()) + rank_extra;
  const int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) {
    throw Error(fmt::format("building graph at '{}': axis {} out of range for shape {}", scope_,
                            axis, shape_str(shape(x))));
  }
  return normalized;
}

int64_t Builder::dim(ValueId v, int64_t axis) const {
  return shape(v)[static_cast<size_t>(normalize_axis(v, axis))];
}

ValueId Builder::input(const std::string& name, Shape shape) {
  return graph_.add_value({.kind = ValueKind::kInput, .name = name, .shape = std::move(shape)});
}

ValueId Builder::parameter(const std::string& key, Shape shape, bool is_buffer) {
  for (size_t v = 0; v < graph_.values().size(); ++v) {
    const Value& existing = graph_.values()[v];
    if (existing.kind == ValueKind::kParameter && existing.name == key) {
      if (existing.shape != shape) {
        throw Error(fmt::format("building graph: parameter '{}' declared with shapes {} and {}",
                                key, shape_str(existing.shape), shape_str(shape)));
      }
      return static_cast<ValueId>(v);
    }
  }
  return graph_.add_value(
      {.kind = ValueKind::kParameter, .name = key, .shape = std::move(shape), .is_buffer = is_buffer});
}

ValueId Builder::constant(const std::string& name, Shape shape, std::vector<float> data) {
  if (static_cast<int64_t>(data.size()) != shape_numel(shape)) {
    throw Error(fmt::format("building graph: constant '{}' has {} values for shape {}", name,
                            data.size(), shape_str(shape)));
  }
  return graph_.add_value({.kind = ValueKind::kConstant,
                           .name = name,
                           .shape = std::move(shape),
                           .data = std::make_shared<const std::vector<float>>(std::move(data))});
}

ValueId Builder::add_node(OpKind op, std::vector<ValueId> inputs, Attrs attrs, const std::string& path) {
  Node node{.op = op, .inputs = std::move(inputs), .output = kNoValue, .attrs = std::move(attrs), .module_path = path};
  Shape out_shape = infer_shape(graph_, node);
  node.output = graph_.add_value({.kind = ValueKind::kNodeOutput,
                                  .name = fmt::format("{}:{}", path, op_name(op)),
                                  .shape = std::move(out_shape)});
  graph_.add_node(std::move(node));
  return graph_.nodes().back().output;
}

// ---- modules -------------------------------------------------------------------

ValueId Builder::conv2d(const std::string& path, ValueId x, int64_t out_channels, int64_t kernel,
                        Conv2dOptions options) {
  if (shape(x).size() != 4) {
    throw Error(fmt::format("building graph: conv2d at '{}': input must be [N,C,H,W], got {}",
                            path, shape_str(shape(x))));
  }
  const int64_t in_channels = shape(x)[1];
  if (options.groups <= 0 || in_channels % options.groups != 0) {
    throw Error(fmt::format("building graph: conv2d at '{}': {} input channels are not divisible "
                            "into {} groups", path, in_channels, options.groups));
  }
  std::vector<ValueId> inputs = {
      x, parameter(path + ".weight", {out_channels, in_channels / options.groups, kernel, kernel})};
  if (options.bias) inputs.push_back(parameter(path + ".bias", {out_channels}));
  Conv2dAttrs attrs{.stride = {options.stride, options.stride},
                    .padding = {options.padding, options.padding},
                    .dilation = {options.dilation, options.dilation},
                    .groups = options.groups};
  return add_node(OpKind::kConv2d, std::move(inputs), attrs, path);
}

ValueId Builder::batch_norm(const std::string& path, ValueId x, float eps) {
  if (shape(x).size() < 2) {
    throw Error(fmt::format("building graph: batch_norm at '{}': input {} has no channel axis",
                            path, shape_str(shape(x))));
  }
  const int64_t channels = shape(x)[1];
  ignore_key(path + ".num_batches_tracked");
  return add_node(OpKind::kBatchNorm,
                  {x, parameter(path + ".weight", {channels}), parameter(path + ".bias", {channels}),
                   parameter(path + ".running_mean", {channels}, true),
                   parameter(path + ".running_var", {channels}, true)},
                  NormAttrs{.eps = eps, .axis = 1}, path);
}

ValueId Builder::linear(const std::string& path, ValueId x, int64_t out_features, bool bias) {
  const int64_t in_features = shape(x).empty() ? 0 : shape(x).back();
  std::vector<ValueId> inputs = {x, parameter(path + ".weight", {out_features, in_features})};
  if (bias) inputs.push_back(parameter(path + ".bias", {out_features}));
  return add_node(OpKind::kLinear, std::move(inputs), LinearAttrs{}, path);
}

ValueId Builder::layer_norm(const std::string& path, ValueId x, float eps) {
  const int64_t channels = shape(x).empty() ? 0 : shape(x).back();
  return add_node(OpKind::kLayerNorm,
                  {x, parameter(path + ".weight", {channels}), parameter(path + ".bias", {channels})},
                  NormAttrs{.eps = eps, .axis = -1}, path);
}

ValueId Builder::group_norm(const std::string& path, ValueId x, int64_t num_groups, float eps) {
  if (shape(x).size() < 2) {
    throw Error(fmt::format("building graph: group_norm at '{}': input {} has no channel axis",
                            path, shape_str(shape(x))));
  }
  const int64_t channels = shape(x)[1];
  return add_node(OpKind::kGroupNorm, {x, parameter(path + ".weight", {channels}), parameter(path + ".bias", {channels})},
                  GroupNormAttrs{.num_groups = num_groups, .eps = eps}, path);
}

// ---- functional -----------------------------------------------------------------

ValueId Builder::matmul(ValueId a, ValueId b) { return add_node(OpKind::kMatMul, {a, b}, MatMulAttrs{}, scope_); }
ValueId Builder::softmax(ValueId x, int64_t axis) {
  return add_node(OpKind::kSoftmax, {x}, AxisAttrs{normalize_axis(x, axis)}, scope_);
}
ValueId Builder::attention(ValueId q, ValueId k, ValueId v, float scale, ValueId bias) {
  if (bias != kNoValue) return add_node(OpKind::kAttention, {q, k, v, bias}, AttentionAttrs{.alpha = scale}, scope_);
  return add_node(OpKind::kAttention, {q, k, v}, AttentionAttrs{.alpha = scale}, scope_);
}
ValueId Builder::inverted_residual(ValueId x, const std::array<ValueId, 6>& weights,
                                   const InvertedResidualAttrs& attrs, ValueId residual) {
  std::vector<ValueId> inputs = {x};
  inputs.insert(inputs.end(), weights.begin(), weights.end());
  InvertedResidualAttrs a = attrs;
  a.epilogue.residual = residual != kNoValue;
  if (a.epilogue.residual) inputs.push_back(residual);
  return add_node(OpKind::kInvertedResidual, std::move(inputs), a, scope_);
}
ValueId Builder::gelu(ValueId x) { return add_node(OpKind::kGelu, {x}, std::monostate{}, scope_); }
ValueId Builder::silu(ValueId x) { return add_node(OpKind::kSilu, {x}, std::monostate{}, scope_); }
ValueId Builder::relu(ValueId x) { return add_node(OpKind::kRelu, {x}, std::monostate{}, scope_); }
ValueId Builder::sigmoid(ValueId x) { return add_node(OpKind::kSigmoid, {x}, std::monostate{}, scope_); }
ValueId Builder::hard_sigmoid(ValueId x) { return add_node(OpKind::kHardSigmoid, {x}, std::monostate{}, scope_); }
ValueId Builder::hard_swish(ValueId x) { return add_node(OpKind::kHardSwish, {x}, std::monostate{}, scope_); }
ValueId Builder::relu6(ValueId x) { return add_node(OpKind::kRelu6, {x}, std::monostate{}, scope_); }
ValueId Builder::sub(ValueId a, ValueId b) { return add_node(OpKind::kSub, {a, b}, std::monostate{}, scope_); }
ValueId Builder::div(ValueId a, ValueId b) { return add_node(OpKind::kDiv, {a, b}, std::monostate{}, scope_); }
ValueId Builder::add(ValueId a, ValueId b) { return add_node(OpKind::kAdd, {a, b}, std::monostate{}, scope_); }
ValueId Builder::mul(ValueId a, ValueId b) { return add_node(OpKind::kMul, {a, b}, std::monostate{}, scope_); }
ValueId Builder::scale(ValueId x, float alpha) { return add_node(OpKind::kScale, {x}, ScaleAttrs{alpha}, scope_); }

ValueId Builder::reshape(ValueId x, Shape new_shape) {
  int64_t known = 1;
  int inferred = -1;
  for (size_t i = 0; i < new_shape.size(); ++i) {
    if (new_shape[i] == -1 && inferred < 0) inferred = static_cast<int>(i);
    else known *= new_shape[i];
  }
  if (inferred >= 0 && known > 0 && shape_numel(shape(x)) % known == 0) {
    new_shape[static_cast<size_t>(inferred)] = shape_numel(shape(x)) / known;
  }
  return add_node(OpKind::kReshape, {x}, ShapeAttrs{std::move(new_shape)}, scope_);
}

ValueId Builder::permute(ValueId x, std::vector<int64_t> perm) {
  for (int64_t& axis : perm) axis = normalize_axis(x, axis);
  return add_node(OpKind::kPermute, {x}, PermuteAttrs{std::move(perm)}, scope_);
}

ValueId Builder::transpose(ValueId x, int64_t axis0, int64_t axis1) {
  std::vector<int64_t> perm(shape(x).size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
  std::swap(perm[static_cast<size_t>(normalize_axis(x, axis0))],
            perm[static_cast<size_t>(normalize_axis(x, axis1))]);
  return permute(x, std::move(perm));
}

ValueId Builder::flatten(ValueId x, int64_t start_axis, int64_t end_axis) {
  const auto start = static_cast<size_t>(normalize_axis(x, start_axis));
  const auto end = static_cast<size_t>(normalize_axis(x, end_axis));
  Shape out;
  const Shape& in = shape(x);
  for (size_t i = 0; i < start; ++i) out.push_back(in[i]);
  int64_t merged = 1;
  for (size_t i = start; i <= end; ++i) merged *= in[i];
  out.push_back(merged);
  for (size_t i = end + 1; i < in.size(); ++i) out.push_back(in[i]);
  return reshape(x, std::move(out));
}

ValueId Builder::concat(const std::vector<ValueId>& xs, int64_t axis) {
  if (xs.empty()) throw Error(fmt::format("building graph at '{}': concat of nothing", scope_));
  return add_node(OpKind::kConcat, xs, AxisAttrs{normalize_axis(xs[0], axis)}, scope_);
}

ValueId Builder::slice(ValueId x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  return add_node(OpKind::kSlice, {x}, SliceAttrs{normalize_axis(x, axis), start, end, step}, scope_);
}

ValueId Builder::select(ValueId x, int64_t axis, int64_t index) {
  const int64_t a = normalize_axis(x, axis);
  ValueId sliced = slice(x, a, index, index + 1);
  Shape out = shape(sliced);
  out.erase(out.begin() + a);
  return reshape(sliced, std::move(out));
}

ValueId Builder::expand(ValueId x, Shape new_shape) {
  return add_node(OpKind::kExpand, {x}, ShapeAttrs{std::move(new_shape)}, scope_);
}

ValueId Builder::mean(ValueId x, std::vector<int64_t> axes, bool keepdim) {
  for (int64_t& axis : axes) axis = normalize_axis(x, axis);
  return add_node(OpKind::kReduceMean, {x}, ReduceAttrs{std::move(axes), keepdim}, scope_);
}

ValueId Builder::sum(ValueId x, std::vector<int64_t> axes, bool keepdim) {
  int64_t count = 1;
  for (int64_t& axis : axes) {
    axis = normalize_axis(x, axis);
    count *= shape(x)[static_cast<size_t>(axis)];
  }
  return scale(mean(x, std::move(axes), keepdim), static_cast<float>(count));
}

namespace {

Pool2dAttrs pool_attrs(PoolMode mode, int64_t kernel, const Pool2dOptions& o) {
  const int64_t stride = o.stride == 0 ? kernel : o.stride;
  return Pool2dAttrs{.mode = mode,
                     .kernel = {kernel, kernel},
                     .stride = {stride, stride},
                     .padding = {o.padding, o.padding},
                     .ceil_mode = o.ceil_mode,
                     .count_include_pad = o.count_include_pad};
}

}  // namespace

ValueId Builder::avg_pool2d(ValueId x, int64_t kernel, Pool2dOptions options) {
  return add_node(OpKind::kPool2d, {x}, pool_attrs(PoolMode::kAverage, kernel, options), scope_);
}

ValueId Builder::max_pool2d(ValueId x, int64_t kernel, Pool2dOptions options) {
  return add_node(OpKind::kPool2d, {x}, pool_attrs(PoolMode::kMax, kernel, options), scope_);
}

ValueId Builder::pad(ValueId x, std::vector<std::array<int64_t, 2>> pads, float value) {
  pads.resize(std::max(pads.size(), shape(x).size()), {0, 0});
  return add_node(OpKind::kPad, {x}, PadAttrs{std::move(pads), value}, scope_);
}

ValueId Builder::index_select(ValueId x, int64_t axis, const std::vector<int64_t>& indices) {
  const int64_t a = normalize_axis(x, axis);
  const int64_t size = shape(x)[static_cast<size_t>(a)];
  std::vector<float> data;
  data.reserve(indices.size());
  for (int64_t index : indices) {
    if (index < 0 || index >= size) {
      throw Error(fmt::format("building graph at '{}': index_select index {} is out of range for axis {} of {}",
                              scope_, index, a, shape_str(shape(x))));
    }
    data.push_back(static_cast<float>(index));
  }
  const ValueId table = constant(join_path(scope_, "index_select.indices"), {static_cast<int64_t>(indices.size())},
                                 std::move(data));
  return add_node(OpKind::kIndexSelect, {x, table}, AxisAttrs{a}, scope_);
}

ValueId Builder::roll(ValueId x, int64_t shift, int64_t axis) {
  const int64_t a = normalize_axis(x, axis);
  const int64_t size = shape(x)[static_cast<size_t>(a)];
  const int64_t s = ((shift % size) + size) % size;
  if (s == 0) return x;
  // roll by s: out[i] = x[(i - s) mod size], i.e. the last s elements come first.
  return concat({slice(x, a, size - s, size), slice(x, a, 0, size - s)}, a);
}

ValueId Builder::interpolate_bilinear(ValueId x, int64_t height, int64_t width, bool align_corners) {
  return add_node(OpKind::kInterpolate, {x},
                  InterpolateAttrs{.mode = InterpolationMode::kBilinear,
                                   .align_corners = align_corners,
                                   .size = {height, width}},
                  scope_);
}

ValueId Builder::interpolate_bicubic_antialias(ValueId x, int64_t height, int64_t width) {
  return add_node(OpKind::kInterpolate, {x},
                  InterpolateAttrs{.mode = InterpolationMode::kBicubicAntialias, .align_corners = false,
                                   .size = {height, width}},
                  scope_);
}

}  // namespace litevit::graph
