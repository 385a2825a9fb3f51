#include "passes/fold_attention_views.h"

#include <optional>

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Node;
using graph::OpKind;
using graph::Shape;
using graph::StridedView;
using graph::ValueId;
using graph::contiguous_strides;

// A view over a value of shape `within`, moved to another value whose flat
// index is linear in `within`'s multi-index i: sum_m i[m] * coeff[m] + constant.
// The view's offset and strides are split into digits of `within`'s mixed
// radix; the move is exact when no element of the view carries a digit past
// its dim (checked), and then every element lands where the op puts it.
std::optional<StridedView> move_view(const StridedView& view, const Shape& within, const std::vector<int64_t>& coeff,
                                     int64_t constant) {
  const size_t rank = within.size();
  if (graph::shape_numel(within) <= 0 || graph::shape_numel(view.shape) <= 0) return std::nullopt;
  auto digits = [&](int64_t x) {
    std::vector<int64_t> d(rank, 0);
    for (size_t m = rank; m-- > 0;) {
      d[m] = x % within[m];
      x /= within[m];
    }
    return x == 0 ? std::optional(d) : std::nullopt;
  };
  const auto offset = digits(view.offset);
  if (!offset) return std::nullopt;
  std::vector<int64_t> reach = *offset;   // the largest digit any element of the view reaches, per dim
  StridedView moved{.shape = view.shape, .strides = std::vector<int64_t>(view.shape.size(), 0), .offset = constant};
  for (size_t m = 0; m < rank; ++m) moved.offset += (*offset)[m] * coeff[m];
  for (size_t k = 0; k < view.shape.size(); ++k) {
    if (view.shape[k] == 1) continue;   // its stride is never used
    const auto stride = digits(view.strides[k]);
    if (!stride) return std::nullopt;
    for (size_t m = 0; m < rank; ++m) {
      reach[m] += (view.shape[k] - 1) * (*stride)[m];
      moved.strides[k] += (*stride)[m] * coeff[m];
    }
  }
  for (size_t m = 0; m < rank; ++m) {
    if (reach[m] >= within[m]) return std::nullopt;
  }
  return moved;
}

// The view over `node`'s input of what `view` reads in its output (reshape,
// permute, slice), or nullopt.
std::optional<StridedView> view_of_input(const graph::Graph& graph, const Node& node, const StridedView& view) {
  const Shape& in = graph.value(node.inputs[0]).shape;
  const Shape& out = graph.value(node.output).shape;
  const auto in_strides = contiguous_strides(in);
  switch (node.op) {
    case OpKind::kReshape:   // the same flat buffer
      return view;
    case OpKind::kPermute: {   // out axis k is in axis perm[k]
      const auto& perm = std::get<graph::PermuteAttrs>(node.attrs).perm;
      std::vector<int64_t> coeff(out.size());
      for (size_t k = 0; k < out.size(); ++k) coeff[k] = in_strides[static_cast<size_t>(perm[k])];
      return move_view(view, out, coeff, 0);
    }
    case OpKind::kSlice: {   // out index j on the axis is in index start + j * step
      const auto& a = std::get<graph::SliceAttrs>(node.attrs);
      const auto axis = static_cast<size_t>(a.axis);
      std::vector<int64_t> coeff = in_strides;
      coeff[axis] *= a.step;
      return move_view(view, out, coeff, a.start * in_strides[axis]);
    }
    default:
      return std::nullopt;
  }
}

// The view over `node`'s output of where `view` of its input lands (reshape, permute), or nullopt.
std::optional<StridedView> view_of_output(const graph::Graph& graph, const Node& node, const StridedView& view) {
  const Shape& in = graph.value(node.inputs[0]).shape;
  switch (node.op) {
    case OpKind::kReshape:
      return view;
    case OpKind::kPermute: {   // in axis perm[k] is out axis k
      const auto& perm = std::get<graph::PermuteAttrs>(node.attrs).perm;
      const auto out_strides = contiguous_strides(graph.value(node.output).shape);
      std::vector<int64_t> coeff(in.size());
      for (size_t k = 0; k < perm.size(); ++k) coeff[static_cast<size_t>(perm[k])] = out_strides[k];
      return move_view(view, in, coeff, 0);
    }
    default:
      return std::nullopt;
  }
}

StridedView whole(const Shape& shape) { return {.shape = shape, .strides = contiguous_strides(shape), .offset = 0}; }

bool kernel_readable(const StridedView& view) { return graph::batched_rows(view).has_value(); }

// Operand `v` as a view of the furthest value above it, if that crosses a permute.
struct Source {
  ValueId value;
  StridedView view;
};
std::optional<Source> trace_up(const graph::Graph& graph, ValueId v) {
  Source at{v, whole(graph.value(v).shape)};
  std::optional<Source> best;
  bool crossed_permute = false;
  while (const Node* node = producer_of(graph, at.value)) {
    const auto view = view_of_input(graph, *node, at.view);
    if (!view) break;
    crossed_permute |= node->op == OpKind::kPermute;
    at = {node->inputs[0], *view};
    if (crossed_permute && kernel_readable(at.view)) best = at;
  }
  return best;
}

// Where the output lands when its only readers are reshapes and permutes: the
// last value of that chain, the view in it, and the chain's nodes.
struct Destination {
  ValueId value;
  StridedView view;
  std::vector<int32_t> chain;
};
std::optional<Destination> trace_down(const graph::Graph& graph, const std::vector<int>& uses,
                                      const std::vector<std::vector<int32_t>>& readers, ValueId v) {
  Destination at{v, whole(graph.value(v).shape), {}};
  std::optional<Destination> best;
  bool crossed_permute = false;
  while (uses[static_cast<size_t>(at.value)] == 1 && readers[static_cast<size_t>(at.value)].size() == 1) {
    const int32_t r = readers[static_cast<size_t>(at.value)].front();
    const Node& node = graph.node(r);
    const auto view = view_of_output(graph, node, at.view);
    if (!view) break;
    crossed_permute |= node.op == OpKind::kPermute;
    at.value = node.output;
    at.view = *view;
    at.chain.push_back(r);
    if (crossed_permute && kernel_readable(at.view)) best = at;
  }
  return best;
}

}  // namespace

bool fold_attention_views(graph::Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<std::vector<int32_t>> readers(graph.values().size());
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    for (ValueId in : graph.nodes()[n].inputs) readers[static_cast<size_t>(in)].push_back(static_cast<int32_t>(n));
  }
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (Node& node : nodes) {
    if (node.op != OpKind::kAttention) continue;
    auto& attrs = std::get<graph::AttentionAttrs>(node.attrs);
    for (size_t i = 0; i < 3; ++i) {
      if (attrs.input_views[i]) continue;
      if (auto source = trace_up(graph, node.inputs[i])) {
        node.inputs[i] = source->value;
        attrs.input_views[i] = source->view;
        changed = true;
      }
    }
    if (!attrs.output_view) {
      if (auto dest = trace_down(graph, uses, readers, node.output)) {
        attrs.output_view = dest->view;
        attrs.output_shape = graph.value(dest->value).shape;
        node.output = dest->value;
        for (int32_t r : dest->chain) removed[static_cast<size_t>(r)] = true;
        changed = true;
      }
    }
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

}  // namespace litevit::passes
