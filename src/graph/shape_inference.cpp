// Output shapes of every op, from input shapes and attributes. The builder
// calls this for each node it adds, so a config that does not fit its
// architecture fails here, naming the op and the module path.
#include <fmt/format.h>

#include <algorithm>

#include "graph/graph.h"
#include "litevit/error.h"

namespace litevit::graph {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& reason) {
  throw Error(fmt::format("building graph: {} at '{}': {}", op_name(node.op), node.module_path, reason));
}

void expect_rank(const Node& node, const Shape& shape, size_t rank, const char* what) {
  if (shape.size() != rank) {
    fail(node, fmt::format("{} must have rank {}, got shape {}", what, rank, shape_str(shape)));
  }
}

void expect_inputs(const Node& node, size_t min_count, size_t max_count) {
  if (node.inputs.size() < min_count || node.inputs.size() > max_count) {
    fail(node, fmt::format("takes {}..{} inputs, got {}", min_count, max_count, node.inputs.size()));
  }
}

Shape broadcast(const Node& node, const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      fail(node, fmt::format("shapes {} and {} do not broadcast", shape_str(a), shape_str(b)));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t conv_out(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  return (in + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
}

}  // namespace

Shape attention_operand_shape(const AttentionAttrs& attrs, size_t operand, const Shape& value_shape) {
  const auto& view = operand < 3 ? attrs.input_views[operand] : attrs.output_view;
  return view ? view->shape : value_shape;
}

Shape attention_operand_shape(const Graph& graph, const Node& node, size_t operand) {
  const ValueId value = operand < 3 ? node.inputs[operand] : node.output;
  return attention_operand_shape(std::get<AttentionAttrs>(node.attrs), operand, graph.value(value).shape);
}

bool view_fits(const StridedView& view, int64_t numel) {
  if (view.shape.empty() || view.strides.size() != view.shape.size() || view.offset < 0) return false;
  if (view.shape.back() > 1 && view.strides.back() != 1) return false;
  int64_t last = view.offset;
  for (size_t k = 0; k < view.shape.size(); ++k) {
    if (view.shape[k] < 0 || view.strides[k] < 0) return false;
    if (view.shape[k] == 0) return true;   // no element is read
    last += (view.shape[k] - 1) * view.strides[k];
  }
  return last < numel;
}

InvertedResidualConvs inverted_residual_convs(const InvertedResidualAttrs& attrs, const Shape& x, int64_t mid,
                                              const Shape& out) {
  return {.attrs = {Conv2dAttrs{.channels_last = true, .epilogue = {.act = attrs.expand_act}},
                    Conv2dAttrs{.stride = {attrs.stride, attrs.stride},
                                .padding = {attrs.padding, attrs.padding},
                                .groups = mid,
                                .channels_last = true,
                                .epilogue = {.act = attrs.depthwise_act}},
                    Conv2dAttrs{.channels_last = true, .epilogue = attrs.epilogue}},
          .expanded = {x[0], x[1], x[2], mid},
          .depthwise = {x[0], out[1], out[2], mid}};
}

std::optional<BatchedRows> batched_rows(const StridedView& view) {
  const size_t rank = view.shape.size();
  if (rank < 2 || view.strides.size() != rank) return std::nullopt;
  if (view.shape.back() > 1 && view.strides.back() != 1) return std::nullopt;
  struct Level {
    int64_t size, stride;
  };
  std::vector<Level> levels;
  for (size_t k = 0; k + 2 < rank; ++k) {
    if (view.shape[k] == 1) continue;
    if (!levels.empty() && levels.back().stride == view.strides[k] * view.shape[k]) {
      levels.back() = {levels.back().size * view.shape[k], view.strides[k]};
    } else {
      levels.push_back({view.shape[k], view.strides[k]});
    }
  }
  if (levels.size() > 2) return std::nullopt;
  BatchedRows rows{.offset = view.offset, .row_stride = view.strides[rank - 2]};
  if (!levels.empty()) {
    rows.inner_count = levels.back().size;
    rows.inner_stride = levels.back().stride;
  }
  if (levels.size() == 2) rows.outer_stride = levels.front().stride;
  return rows;
}

bool bias_fits_scores(const Shape& bias, const Shape& scores) {
  if (bias.size() < 2 || bias.size() > scores.size()) return false;
  const size_t skip = scores.size() - bias.size();
  for (size_t i = 0; i < bias.size(); ++i) {
    const bool trailing = i + 2 >= bias.size();
    if (bias[i] != scores[skip + i] && (trailing || bias[i] != 1)) return false;
  }
  return true;
}

int64_t pool_out(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode) {
  const int64_t span = in + 2 * pad - kernel;
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // torch: with ceil_mode the last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

namespace {

// The residual of a fused epilogue must have the output's shape.
void check_residual(const Graph& graph, const Node& node, const Shape& out) {
  const Epilogue* e = epilogue_of(node);
  if (e == nullptr || !e->residual) return;
  const Shape& r = graph.value(node.inputs.back()).shape;
  if (r != out) fail(node, fmt::format("residual has shape {}, expected {}", shape_str(r), shape_str(out)));
}

Shape infer(const Graph& graph, const Node& node) {
  const Epilogue* epilogue = epilogue_of(node);
  const size_t residual = epilogue != nullptr && epilogue->residual ? 1 : 0;
  auto in = [&](size_t i) -> const Shape& { return graph.value(node.inputs.at(i)).shape; };
  switch (node.op) {
    case OpKind::kConv2d: {
      expect_inputs(node, 2 + residual, 3 + residual);
      const auto& a = std::get<Conv2dAttrs>(node.attrs);
      const Shape& x = in(0);
      const Shape& w = in(1);
      expect_rank(node, x, 4, "input");
      expect_rank(node, w, 4, "weight");
      const size_t c_axis = a.channels_last ? 3 : 1, h_axis = a.channels_last ? 1 : 2;
      const int64_t channels = x[c_axis], height = x[h_axis], width = x[h_axis + 1];
      if (a.groups <= 0 || channels % a.groups != 0 || w[0] % a.groups != 0 || channels / a.groups != w[1]) {
        fail(node, fmt::format("input {} does not fit weight {} with groups={}", shape_str(x),
                               shape_str(w), a.groups));
      }
      if (has_bias(node) && in(2) != Shape{w[0]}) {
        fail(node, fmt::format("bias has shape {}, expected [{}]", shape_str(in(2)), w[0]));
      }
      const int64_t ho = conv_out(height, w[2], a.stride[0], a.padding[0], a.dilation[0]);
      const int64_t wo = conv_out(width, w[3], a.stride[1], a.padding[1], a.dilation[1]);
      if (ho <= 0 || wo <= 0) {
        fail(node, fmt::format("input {} is too small for kernel {}x{}", shape_str(x), w[2], w[3]));
      }
      return a.channels_last ? Shape{x[0], ho, wo, w[0]} : Shape{x[0], w[0], ho, wo};
    }
    case OpKind::kBatchNorm: {
      expect_inputs(node, 5, 5);
      const Shape& x = in(0);
      const int64_t axis = std::get<NormAttrs>(node.attrs).axis;
      if (axis < 0 || axis >= static_cast<int64_t>(x.size())) fail(node, "channel axis out of range");
      const int64_t channels = x[static_cast<size_t>(axis)];
      for (size_t i = 1; i < 5; ++i) {
        if (in(i) != Shape{channels}) {
          fail(node, fmt::format("parameter {} has shape {}, expected [{}]", i, shape_str(in(i)), channels));
        }
      }
      return x;
    }
    case OpKind::kLinear: {
      expect_inputs(node, 2 + residual, 3 + residual);
      const Shape& x = in(0);
      const Shape& w = in(1);
      expect_rank(node, w, 2, "weight");
      if (x.empty() || x.back() != w[1]) {
        fail(node, fmt::format("input {} has {} features, weight {} expects {}", shape_str(x),
                               x.empty() ? 0 : x.back(), shape_str(w), w[1]));
      }
      if (has_bias(node) && in(2) != Shape{w[0]}) {
        fail(node, fmt::format("bias has shape {}, expected [{}]", shape_str(in(2)), w[0]));
      }
      Shape out = x;
      out.back() = w[0];
      return out;
    }
    case OpKind::kLayerNorm: {
      expect_inputs(node, 3, 3);
      const Shape& x = in(0);
      if (x.empty() || in(1) != Shape{x.back()} || in(2) != Shape{x.back()}) {
        fail(node, fmt::format("input {} does not fit weight {} / bias {}", shape_str(x),
                               shape_str(in(1)), shape_str(in(2))));
      }
      return x;
    }
    case OpKind::kMatMul: {
      expect_inputs(node, 2 + residual, 2 + residual);
      const bool transpose_b = std::get<MatMulAttrs>(node.attrs).transpose_b;
      const Shape& a = in(0);
      const Shape& b = in(1);
      const size_t k_axis = transpose_b ? b.size() - 1 : b.size() - 2;
      if (a.size() < 2 || a.size() != b.size() || a[a.size() - 1] != b[k_axis] ||
          !std::equal(a.begin(), a.end() - 2, b.begin())) {
        fail(node, fmt::format("cannot multiply {} by {}{}", shape_str(a), shape_str(b),
                               transpose_b ? " transposed" : ""));
      }
      Shape out = a;
      out.back() = transpose_b ? b[b.size() - 2] : b.back();
      return out;
    }
    case OpKind::kInvertedResidual: {
      expect_inputs(node, 7 + residual, 7 + residual);
      const auto& a = std::get<InvertedResidualAttrs>(node.attrs);
      const Shape& x = in(0);
      expect_rank(node, x, 4, "input");
      const char* weights[] = {"expand weight", "depthwise weight", "project weight"};
      const char* biases[] = {"expand bias", "depthwise bias", "project bias"};
      for (size_t i = 0; i < 3; ++i) expect_rank(node, in(1 + 2 * i), 4, weights[i]);
      const Shape& we = in(1);
      const Shape& wd = in(3);
      const Shape& wp = in(5);
      const int64_t mid = we[0], k = wd[2];
      if (we[1] != x[3] || we[2] != 1 || we[3] != 1 || wd != Shape{mid, 1, k, k} || k < 1 || wp[1] != mid ||
          wp[2] != 1 || wp[3] != 1) {
        fail(node, fmt::format("needs weights [Cm,{},1,1], [Cm,1,k,k], [Cout,Cm,1,1] for input {}; got {}, {}, {}",
                               x[3], shape_str(x), shape_str(we), shape_str(wd), shape_str(wp)));
      }
      for (size_t i = 0; i < 3; ++i) {
        const int64_t channels = in(1 + 2 * i)[0];
        if (in(2 + 2 * i) != Shape{channels}) {
          fail(node, fmt::format("{} has shape {}, expected [{}]", biases[i], shape_str(in(2 + 2 * i)), channels));
        }
      }
      if (a.stride < 1 || a.padding < 0) fail(node, fmt::format("stride {} / padding {}", a.stride, a.padding));
      const int64_t ho = conv_out(x[1], k, a.stride, a.padding, 1), wo = conv_out(x[2], k, a.stride, a.padding, 1);
      if (ho <= 0 || wo <= 0) fail(node, fmt::format("input {} is too small for kernel {}x{}", shape_str(x), k, k));
      return {x[0], ho, wo, wp[0]};
    }
    case OpKind::kAttention: {
      expect_inputs(node, 3, 4);
      const auto& attrs = std::get<AttentionAttrs>(node.attrs);
      for (size_t i = 0; i < 3; ++i) {
        const auto& view = attrs.input_views[i];
        if (view && !view_fits(*view, shape_numel(in(i)))) {
          fail(node, fmt::format("attention operand {} view {} @ strides {} + {} does not fit its value {}", i,
                                 shape_str(view->shape), shape_str(view->strides), view->offset, shape_str(in(i))));
        }
      }
      const Shape q = attention_operand_shape(graph, node, 0);
      const Shape k = attention_operand_shape(graph, node, 1);
      const Shape v = attention_operand_shape(graph, node, 2);
      const size_t rank = q.size();
      if (rank < 2 || k.size() != rank || v.size() != rank || q.back() != k.back() ||
          k[rank - 2] != v[rank - 2] || !std::equal(q.begin(), q.end() - 2, k.begin()) ||
          !std::equal(q.begin(), q.end() - 2, v.begin())) {
        fail(node, fmt::format("attention needs q [...,N,D], k [...,M,D], v [...,M,Dv]; got {}, {}, {}",
                               shape_str(q), shape_str(k), shape_str(v)));
      }
      if (node.inputs.size() == 4) {
        Shape scores = q;
        scores.back() = k[rank - 2];
        if (!bias_fits_scores(in(3), scores)) {
          fail(node, fmt::format("bias {} does not broadcast to the scores {}", shape_str(in(3)), shape_str(scores)));
        }
      }
      Shape out = q;
      out.back() = v.back();
      if (attrs.output_view) {
        if (attrs.output_view->shape != out || !view_fits(*attrs.output_view, shape_numel(attrs.output_shape))) {
          fail(node, fmt::format("attention output view {} @ strides {} + {} does not fit the output {} {}",
                                 shape_str(attrs.output_view->shape), shape_str(attrs.output_view->strides),
                                 attrs.output_view->offset, shape_str(out), shape_str(attrs.output_shape)));
        }
        return attrs.output_shape;
      }
      return out;
    }
    case OpKind::kSoftmax: {
      expect_inputs(node, 1, 1);
      const auto axis = std::get<AxisAttrs>(node.attrs).axis;
      if (axis < 0 || axis >= static_cast<int64_t>(in(0).size())) fail(node, "axis out of range");
      return in(0);
    }
    case OpKind::kGelu:
    case OpKind::kSilu:
    case OpKind::kRelu:
    case OpKind::kSigmoid:
    case OpKind::kHardSigmoid:
    case OpKind::kHardSwish:
    case OpKind::kRelu6:
    case OpKind::kScale:
      expect_inputs(node, 1, 1);
      return in(0);
    case OpKind::kAdd:
    case OpKind::kMul:
    case OpKind::kSub:
    case OpKind::kDiv:
      expect_inputs(node, 2, 2);
      return broadcast(node, in(0), in(1));
    case OpKind::kReshape: {
      expect_inputs(node, 1, 1);
      const Shape& shape = std::get<ShapeAttrs>(node.attrs).shape;
      if (shape_numel(shape) != shape_numel(in(0)) ||
          std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d < 0; })) {
        fail(node, fmt::format("cannot reshape {} to {}", shape_str(in(0)), shape_str(shape)));
      }
      return shape;
    }
    case OpKind::kPermute: {
      expect_inputs(node, 1, 1);
      const auto& perm = std::get<PermuteAttrs>(node.attrs).perm;
      const Shape& x = in(0);
      Shape sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < sorted.size(); ++i) {
        if (sorted[i] != static_cast<int64_t>(i) || sorted.size() != x.size()) {
          fail(node, fmt::format("{} is not a permutation of the axes of {}", shape_str(perm), shape_str(x)));
        }
      }
      Shape out(x.size());
      for (size_t i = 0; i < perm.size(); ++i) out[i] = x[static_cast<size_t>(perm[i])];
      return out;
    }
    case OpKind::kConcat: {
      if (node.inputs.empty()) fail(node, "needs at least one input");
      const auto axis = std::get<AxisAttrs>(node.attrs).axis;
      Shape out = in(0);
      if (axis < 0 || axis >= static_cast<int64_t>(out.size())) fail(node, "axis out of range");
      for (size_t i = 1; i < node.inputs.size(); ++i) {
        const Shape& s = in(i);
        bool fits = s.size() == out.size();
        for (size_t d = 0; fits && d < s.size(); ++d) {
          fits = static_cast<int64_t>(d) == axis || s[d] == out[d];
        }
        if (!fits) {
          fail(node, fmt::format("input {} has shape {}, which does not fit {} along axis {}", i,
                                 shape_str(s), shape_str(in(0)), axis));
        }
        out[static_cast<size_t>(axis)] += s[static_cast<size_t>(axis)];
      }
      return out;
    }
    case OpKind::kSlice: {
      expect_inputs(node, 1, 1);
      const auto& a = std::get<SliceAttrs>(node.attrs);
      Shape out = in(0);
      if (a.axis < 0 || a.axis >= static_cast<int64_t>(out.size()) || a.step <= 0 || a.start < 0 ||
          a.end > out[static_cast<size_t>(a.axis)] || a.start >= a.end) {
        fail(node, fmt::format("slice [{}:{}:{}] on axis {} does not fit {}", a.start, a.end,
                               a.step, a.axis, shape_str(out)));
      }
      out[static_cast<size_t>(a.axis)] = (a.end - a.start + a.step - 1) / a.step;
      return out;
    }
    case OpKind::kExpand: {
      expect_inputs(node, 1, 1);
      const Shape& target = std::get<ShapeAttrs>(node.attrs).shape;
      const Shape& x = in(0);
      bool fits = x.size() == target.size();
      for (size_t d = 0; fits && d < x.size(); ++d) fits = x[d] == target[d] || x[d] == 1;
      if (!fits) fail(node, fmt::format("cannot expand {} to {}", shape_str(x), shape_str(target)));
      return target;
    }
    case OpKind::kReduceMean: {
      expect_inputs(node, 1, 1);
      const auto& a = std::get<ReduceAttrs>(node.attrs);
      const Shape& x = in(0);
      Shape out;
      for (size_t d = 0; d < x.size(); ++d) {
        const bool reduced = std::find(a.axes.begin(), a.axes.end(), static_cast<int64_t>(d)) != a.axes.end();
        if (!reduced) out.push_back(x[d]);
        else if (a.keepdim) out.push_back(1);
      }
      for (int64_t axis : a.axes) {
        if (axis < 0 || axis >= static_cast<int64_t>(x.size())) fail(node, "axis out of range");
      }
      return out;
    }
    case OpKind::kInterpolate: {
      expect_inputs(node, 1, 1);
      const auto& a = std::get<InterpolateAttrs>(node.attrs);
      expect_rank(node, in(0), 4, "input");
      if (a.size[0] <= 0 || a.size[1] <= 0) fail(node, "output size must be positive");
      if (a.channels_last) return {in(0)[0], a.size[0], a.size[1], in(0)[3]};
      return {in(0)[0], in(0)[1], a.size[0], a.size[1]};
    }
    case OpKind::kGroupNorm: {
      expect_inputs(node, 3, 3);
      const auto& a = std::get<GroupNormAttrs>(node.attrs);
      const Shape& x = in(0);
      if (x.size() < 2) fail(node, fmt::format("input {} has no channel axis", shape_str(x)));
      const int64_t channels = a.channels_last ? x.back() : x[1];
      if (a.num_groups <= 0 || channels % a.num_groups != 0) {
        fail(node, fmt::format("{} channels do not split into {} groups", channels, a.num_groups));
      }
      if (in(1) != Shape{channels} || in(2) != Shape{channels}) {
        fail(node, fmt::format("input {} does not fit weight {} / bias {}", shape_str(x), shape_str(in(1)),
                               shape_str(in(2))));
      }
      return x;
    }
    case OpKind::kPool2d: {
      expect_inputs(node, 1, 1);
      const auto& a = std::get<Pool2dAttrs>(node.attrs);
      const Shape& x = in(0);
      expect_rank(node, x, 4, "input");
      const size_t h_axis = a.channels_last ? 1 : 2;
      Shape out = x;
      for (size_t d = 0; d < 2; ++d) {
        if (a.kernel[d] <= 0 || a.stride[d] <= 0 || a.padding[d] < 0 || 2 * a.padding[d] > a.kernel[d]) {
          fail(node, fmt::format("kernel {}x{} stride {}x{} padding {}x{} is invalid (padding must be at most "
                                 "half the kernel)", a.kernel[0], a.kernel[1], a.stride[0], a.stride[1],
                                 a.padding[0], a.padding[1]));
        }
        const int64_t size = pool_out(x[h_axis + d], a.kernel[d], a.stride[d], a.padding[d], a.ceil_mode);
        if (size <= 0) fail(node, fmt::format("input {} is too small for kernel {}x{}", shape_str(x), a.kernel[0], a.kernel[1]));
        out[h_axis + d] = size;
      }
      return out;
    }
    case OpKind::kPad: {
      expect_inputs(node, 1, 1);
      const auto& a = std::get<PadAttrs>(node.attrs);
      Shape out = in(0);
      if (a.pads.size() != out.size()) {
        fail(node, fmt::format("{} (before, after) pairs for input {}", a.pads.size(), shape_str(out)));
      }
      for (size_t d = 0; d < out.size(); ++d) {
        if (a.pads[d][0] < 0 || a.pads[d][1] < 0) fail(node, "negative padding (cropping) is not supported");
        out[d] += a.pads[d][0] + a.pads[d][1];
      }
      return out;
    }
    case OpKind::kIndexSelect: {
      expect_inputs(node, 2, 2);
      const auto axis = std::get<AxisAttrs>(node.attrs).axis;
      Shape out = in(0);
      if (axis < 0 || axis >= static_cast<int64_t>(out.size())) fail(node, "axis out of range");
      expect_rank(node, in(1), 1, "indices");
      out[static_cast<size_t>(axis)] = in(1)[0];
      return out;
    }
    case OpKind::kCount:
      break;
  }
  fail(node, "unknown op");
}

}  // namespace

Shape infer_shape(const Graph& graph, const Node& node) {
  Shape out = infer(graph, node);
  check_residual(graph, node, out);
  return out;
}

}  // namespace litevit::graph
