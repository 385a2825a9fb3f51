#include "passes/assign_layout.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "passes/graph_queries.h"
#include "util/check.h"

namespace litevit::passes {
namespace {

using graph::Graph;
using graph::Node;
using graph::OpKind;
using graph::ValueId;
using Perm = std::vector<int64_t>;

const Perm kToNchw = {0, 3, 1, 2};   // NHWC source viewed as NCHW
const Perm kToNhwc = {0, 2, 3, 1};

bool is_identity(const Perm& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

Perm inverse(const Perm& p) {
  Perm inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[static_cast<size_t>(p[i])] = static_cast<int64_t>(i);
  return inv;
}

// value == permute(source, perm): out[i] = source axis perm[i].
struct Virtual {
  ValueId source;
  Perm perm;
};

class Rewriter {
 public:
  explicit Rewriter(Graph& graph) : graph_(graph) {}

  bool run() {
    const std::vector<Node> nodes = graph_.nodes();
    for (const Node& node : nodes) rewrite(node);
    for (size_t i = 0; i < graph_.outputs().size(); ++i) {
      graph_.set_output(i, real(graph_.outputs()[i].second));
    }
    const bool changed = changed_;
    graph_.replace_nodes(std::move(out_));
    return changed;
  }

 private:
  const Virtual* virtual_of(ValueId v) const {
    auto it = virtual_.find(v);
    return it == virtual_.end() ? nullptr : &it->second;
  }

  // An id that holds `v` as a computed tensor: its permute is emitted on first need.
  ValueId real(ValueId v) {
    const Virtual* vv = virtual_of(v);
    if (vv == nullptr) return v;
    if (is_identity(vv->perm)) return vv->source;
    if (materialized_.insert(v).second) {
      out_.push_back({.op = OpKind::kPermute, .inputs = {vv->source}, .output = v,
                      .attrs = graph::PermuteAttrs{vv->perm}, .module_path = path_of(v)});
    }
    return v;
  }

  std::string path_of(ValueId v) const {
    const graph::Value& value = graph_.value(v);
    return value.producer >= 0 ? graph_.node(value.producer).module_path : value.name;
  }

  // Emits a node writing a new value (shape inferred) and returns the value.
  ValueId emit(OpKind op, std::vector<ValueId> inputs, graph::Attrs attrs, const std::string& path) {
    Node node{.op = op, .inputs = std::move(inputs), .output = graph::kNoValue, .attrs = std::move(attrs), .module_path = path};
    graph::Shape shape = graph::infer_shape(graph_, node);
    node.output = graph_.add_value({.kind = graph::ValueKind::kNodeOutput, .name = path + ":" + std::string(graph::op_name(op)),
                                    .shape = std::move(shape)});
    out_.push_back(std::move(node));
    return out_.back().output;
  }

  // `original` (an output of the input graph) now equals permute(source, perm).
  void make_virtual(ValueId original, ValueId source, Perm perm) {
    virtual_[original] = {source, std::move(perm)};
    changed_ = true;
  }

  void keep(Node node) {
    for (ValueId& in : node.inputs) in = real(in);
    out_.push_back(std::move(node));
  }

  // The NHWC tensor whose NCHW view is `x`.
  ValueId as_nhwc(ValueId x, const std::string& path) {
    const Virtual* vx = virtual_of(x);
    if (vx != nullptr && vx->perm == kToNchw) return vx->source;
    return emit(OpKind::kPermute, {real(x)}, graph::PermuteAttrs{kToNhwc}, path);
  }

  void rewrite(const Node& node) {
    switch (node.op) {
      case OpKind::kConv2d: {
        auto attrs = std::get<graph::Conv2dAttrs>(node.attrs);
        if (attrs.channels_last || attrs.epilogue.residual) break;
        attrs.channels_last = true;
        std::vector<ValueId> inputs = node.inputs;
        inputs[0] = as_nhwc(node.inputs[0], node.module_path);
        make_virtual(node.output, emit(OpKind::kConv2d, inputs, attrs, node.module_path), kToNchw);
        return;
      }
      case OpKind::kInterpolate: {
        auto attrs = std::get<graph::InterpolateAttrs>(node.attrs);
        if (attrs.channels_last) break;
        attrs.channels_last = true;
        const ValueId x = as_nhwc(node.inputs[0], node.module_path);
        make_virtual(node.output, emit(OpKind::kInterpolate, {x}, attrs, node.module_path), kToNchw);
        return;
      }
      case OpKind::kPool2d: {
        auto attrs = std::get<graph::Pool2dAttrs>(node.attrs);
        if (attrs.channels_last) break;
        attrs.channels_last = true;
        const ValueId x = as_nhwc(node.inputs[0], node.module_path);
        make_virtual(node.output, emit(OpKind::kPool2d, {x}, attrs, node.module_path), kToNchw);
        return;
      }
      case OpKind::kGroupNorm: {
        // Only an NHWC source keeps the channel as its last axis.
        const Virtual* v = virtual_of(node.inputs[0]);
        auto attrs = std::get<graph::GroupNormAttrs>(node.attrs);
        if (v == nullptr || v->perm != kToNchw || attrs.channels_last) break;
        attrs.channels_last = true;
        std::vector<ValueId> inputs = node.inputs;
        inputs[0] = v->source;
        make_virtual(node.output, emit(OpKind::kGroupNorm, inputs, attrs, node.module_path), kToNchw);
        return;
      }
      case OpKind::kGelu:
      case OpKind::kSilu:
      case OpKind::kRelu:
      case OpKind::kSigmoid:
      case OpKind::kHardSigmoid:
      case OpKind::kHardSwish:
      case OpKind::kRelu6:
      case OpKind::kScale:
        if (const Virtual* v = virtual_of(node.inputs[0])) {
          const Virtual in = *v;
          make_virtual(node.output, emit(node.op, {in.source}, node.attrs, node.module_path), in.perm);
          return;
        }
        break;
      case OpKind::kAdd:
      case OpKind::kMul:
      case OpKind::kSub:
      case OpKind::kDiv:
        if (rewrite_binary(node)) return;
        break;
      case OpKind::kBatchNorm:
        if (const Virtual* v = virtual_of(node.inputs[0])) {
          const Virtual in = *v;
          auto attrs = std::get<graph::NormAttrs>(node.attrs);
          attrs.axis = in.perm[static_cast<size_t>(attrs.axis)];
          std::vector<ValueId> inputs = node.inputs;
          inputs[0] = in.source;
          make_virtual(node.output, emit(OpKind::kBatchNorm, inputs, attrs, node.module_path), in.perm);
          return;
        }
        break;
      case OpKind::kConcat:
        if (rewrite_concat(node)) return;
        break;
      case OpKind::kReduceMean:
        if (rewrite_mean(node)) return;
        break;
      case OpKind::kPermute: {
        const Perm& p2 = std::get<graph::PermuteAttrs>(node.attrs).perm;
        if (const Virtual* v = virtual_of(node.inputs[0])) {
          Perm composed(p2.size());
          for (size_t i = 0; i < p2.size(); ++i) composed[i] = v->perm[static_cast<size_t>(p2[i])];
          const ValueId source = v->source;
          make_virtual(node.output, source, std::move(composed));
        } else {
          virtual_[node.output] = {node.inputs[0], p2};   // computed only if some consumer needs it
        }
        return;
      }
      default:
        break;
    }
    keep(node);
  }

  bool rewrite_binary(const Node& node) {
    const Virtual* va = virtual_of(node.inputs[0]);
    const Virtual* vb = virtual_of(node.inputs[1]);
    const size_t rank = graph_.value(node.output).shape.size();
    if (va != nullptr && vb != nullptr && va->perm == vb->perm) {
      const Virtual a = *va, b = *vb;
      make_virtual(node.output, emit(node.op, {a.source, b.source}, node.attrs, node.module_path), a.perm);
      return true;
    }
    // One permuted operand and a constant: permute the constant instead. A
    // constant of lower rank (a [C,1,1] layer scale) is first given the
    // output's rank with leading 1s, as broadcasting reads it.
    for (int side = 0; side < 2; ++side) {
      const Virtual* v = side == 0 ? va : vb;
      const ValueId other = node.inputs[side == 0 ? 1 : 0];
      if (v == nullptr || v->perm.size() != rank || virtual_of(other) != nullptr || !has_data(graph_, other) ||
          graph_.value(other).shape.size() > rank) {
        continue;
      }
      const Virtual in = *v;
      ValueId full_rank = other;
      if (graph_.value(other).shape.size() < rank) {
        graph::Shape shape = graph_.value(other).shape;
        shape.insert(shape.begin(), rank - shape.size(), 1);
        full_rank = emit(OpKind::kReshape, {other}, graph::ShapeAttrs{shape}, node.module_path);
      }
      const ValueId moved = emit(OpKind::kPermute, {full_rank}, graph::PermuteAttrs{inverse(in.perm)}, node.module_path);
      std::vector<ValueId> inputs = side == 0 ? std::vector<ValueId>{in.source, moved} : std::vector<ValueId>{moved, in.source};
      make_virtual(node.output, emit(node.op, inputs, node.attrs, node.module_path), in.perm);
      return true;
    }
    return false;
  }

  bool rewrite_concat(const Node& node) {
    const Virtual* first = virtual_of(node.inputs[0]);
    if (first == nullptr) return false;
    std::vector<ValueId> sources;
    for (ValueId in : node.inputs) {
      const Virtual* v = virtual_of(in);
      if (v == nullptr || v->perm != first->perm) return false;
      sources.push_back(v->source);
    }
    const Perm perm = first->perm;
    const int64_t axis = perm[static_cast<size_t>(std::get<graph::AxisAttrs>(node.attrs).axis)];
    make_virtual(node.output, emit(OpKind::kConcat, sources, graph::AxisAttrs{axis}, node.module_path), perm);
    return true;
  }

  bool rewrite_mean(const Node& node) {
    const Virtual* v = virtual_of(node.inputs[0]);
    if (v == nullptr) return false;
    const Virtual in = *v;
    const auto& attrs = std::get<graph::ReduceAttrs>(node.attrs);
    std::vector<int64_t> axes;
    for (int64_t a : attrs.axes) axes.push_back(in.perm[static_cast<size_t>(a)]);
    std::sort(axes.begin(), axes.end());
    const ValueId reduced = emit(OpKind::kReduceMean, {in.source}, graph::ReduceAttrs{axes, attrs.keepdim}, node.module_path);
    if (attrs.keepdim) {
      make_virtual(node.output, reduced, in.perm);
      return true;
    }
    // Output axis i is input axis kept[i]; in the source that is in.perm[kept[i]],
    // which sits at its rank among the source's kept axes.
    std::vector<int64_t> kept_source;
    for (size_t a = 0; a < in.perm.size(); ++a) {
      if (std::find(attrs.axes.begin(), attrs.axes.end(), static_cast<int64_t>(a)) == attrs.axes.end()) {
        kept_source.push_back(in.perm[a]);
      }
    }
    std::vector<int64_t> sorted = kept_source;
    std::sort(sorted.begin(), sorted.end());
    Perm perm;
    for (int64_t s : kept_source) {
      perm.push_back(std::find(sorted.begin(), sorted.end(), s) - sorted.begin());
    }
    make_virtual(node.output, reduced, perm);
    return true;
  }

  Graph& graph_;
  std::vector<Node> out_;
  std::map<ValueId, Virtual> virtual_;
  std::set<ValueId> materialized_;
  bool changed_ = false;
};

}  // namespace

bool assign_layout(Graph& graph) { return Rewriter(graph).run(); }

}  // namespace litevit::passes
