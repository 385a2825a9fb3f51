#include "graph/graph.h"

#include <fmt/format.h>

#include <unordered_set>

#include "litevit/error.h"
#include "util/check.h"

namespace litevit::graph {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) strides[d - 1] = strides[d] * shape[d];
  return strides;
}

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

const char* activation_name(Activation act) {
  switch (act) {
    case Activation::kNone: return "none";
    case Activation::kRelu: return "relu";
    case Activation::kGelu: return "gelu";
    case Activation::kSilu: return "silu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kHardSwish: return "hard_swish";
    case Activation::kRelu6: return "relu6";
  }
  return "?";
}

const Epilogue* epilogue_of(const Node& node) {
  if (const auto* a = std::get_if<Conv2dAttrs>(&node.attrs)) return &a->epilogue;
  if (const auto* a = std::get_if<LinearAttrs>(&node.attrs)) return &a->epilogue;
  if (const auto* a = std::get_if<MatMulAttrs>(&node.attrs)) return &a->epilogue;
  if (const auto* a = std::get_if<InvertedResidualAttrs>(&node.attrs)) return &a->epilogue;
  return nullptr;
}

Epilogue* epilogue_of(Node& node) { return const_cast<Epilogue*>(epilogue_of(static_cast<const Node&>(node))); }

bool has_bias(const Node& node) {
  const Epilogue* e = epilogue_of(node);
  const size_t residual = e != nullptr && e->residual ? 1 : 0;
  return (node.op == OpKind::kConv2d || node.op == OpKind::kLinear) && node.inputs.size() == 3 + residual;
}

ValueId Graph::add_value(Value value) {
  const auto id = static_cast<ValueId>(values_.size());
  if (value.kind == ValueKind::kInput) inputs_.push_back(id);
  values_.push_back(std::move(value));
  return id;
}

int32_t Graph::add_node(Node node) {
  const auto index = static_cast<int32_t>(nodes_.size());
  LITEVIT_ASSERT(node.output != kNoValue, "node without output value");
  value(node.output).producer = index;
  nodes_.push_back(std::move(node));
  return index;
}

void Graph::add_output(std::string name, ValueId id) { outputs_.emplace_back(std::move(name), id); }

std::vector<ValueId> Graph::parameters() const {
  std::vector<ValueId> params;
  std::unordered_set<ValueId> seen;
  for (const Node& node : nodes_) {
    for (ValueId in : node.inputs) {
      if (value(in).kind == ValueKind::kParameter && seen.insert(in).second) params.push_back(in);
    }
  }
  return params;
}

void Graph::replace_nodes(std::vector<Node> nodes) {
  for (Value& v : values_) {
    if (v.kind == ValueKind::kNodeOutput) v.producer = -1;
  }
  nodes_ = std::move(nodes);
  for (size_t i = 0; i < nodes_.size(); ++i) value(nodes_[i].output).producer = static_cast<int32_t>(i);
}

void verify(const Graph& graph) {
  std::vector<bool> defined(graph.values().size(), false);
  for (size_t v = 0; v < graph.values().size(); ++v) {
    defined[v] = graph.values()[v].kind != ValueKind::kNodeOutput;
  }
  for (const Node& node : graph.nodes()) {
    for (ValueId in : node.inputs) {
      if (in < 0 || static_cast<size_t>(in) >= defined.size() || !defined[static_cast<size_t>(in)]) {
        throw Error(fmt::format("verifying graph: {} at '{}' reads value {} before it is defined",
                                op_name(node.op), node.module_path, in));
      }
    }
    const Shape expected = infer_shape(graph, node);
    if (expected != graph.value(node.output).shape) {
      throw Error(fmt::format("verifying graph: {} at '{}' has output shape {}, inference says {}",
                              op_name(node.op), node.module_path,
                              shape_str(graph.value(node.output).shape), shape_str(expected)));
    }
    defined[static_cast<size_t>(node.output)] = true;
  }
  for (const auto& [name, id] : graph.outputs()) {
    if (!defined.at(static_cast<size_t>(id))) {
      throw Error(fmt::format("verifying graph: output '{}' is never computed", name));
    }
  }
}

int64_t node_macs(const Graph& graph, const Node& node) {
  const Shape& out = graph.value(node.output).shape;
  switch (node.op) {
    case OpKind::kConv2d: {
      const Shape& w = graph.value(node.inputs[1]).shape;   // [O, C/g, kh, kw]
      return shape_numel(out) * w[1] * w[2] * w[3];
    }
    case OpKind::kLinear:
      return shape_numel(out) * graph.value(node.inputs[1]).shape[1];
    case OpKind::kMatMul:
      return shape_numel(out) * graph.value(node.inputs[0]).shape.back();
    case OpKind::kInvertedResidual: {   // the three convs it replaces
      const Shape& x = graph.value(node.inputs[0]).shape;       // [N,H,W,Cin]
      const Shape& dw = graph.value(node.inputs[3]).shape;      // [Cm,1,k,k]
      const int64_t mid = dw[0], pixels_out = shape_numel(out) / out.back();
      return shape_numel(x) * mid + pixels_out * mid * (dw[2] * dw[3] + out.back());
    }
    case OpKind::kAttention: {   // the two matmuls it replaces: q k^T and p v
      const Shape q = attention_operand_shape(graph, node, 0);
      const int64_t keys = attention_operand_shape(graph, node, 1).end()[-2];
      return shape_numel(q) / q.back() * keys * (q.back() + attention_operand_shape(graph, node, 3).back());
    }
    default:
      return 0;
  }
}

int64_t total_macs(const Graph& graph) {
  int64_t macs = 0;
  for (const Node& node : graph.nodes()) macs += node_macs(graph, node);
  return macs;
}

int64_t total_params(const Graph& graph) {
  int64_t params = 0;
  for (ValueId id : graph.parameters()) {
    if (!graph.value(id).is_buffer) params += shape_numel(graph.value(id).shape);
  }
  return params;
}

namespace {

std::string epilogue_str(const Epilogue& e) {
  std::string text;
  if (e.act != Activation::kNone) text += fmt::format(" +{}", activation_name(e.act));
  if (e.residual) text += " +residual";
  return text;
}

std::string attrs_str(const Attrs& attrs) {
  struct Printer {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(const Conv2dAttrs& a) const {
      return fmt::format(" stride={}x{} pad={}x{} dilation={}x{} groups={}{}{}", a.stride[0],
                         a.stride[1], a.padding[0], a.padding[1], a.dilation[0], a.dilation[1],
                         a.groups, a.channels_last ? " NHWC" : "", epilogue_str(a.epilogue));
    }
    std::string operator()(const InvertedResidualAttrs& a) const {
      return fmt::format(" expand_act={} dw_act={} stride={} pad={}{}", activation_name(a.expand_act),
                         activation_name(a.depthwise_act), a.stride, a.padding, epilogue_str(a.epilogue));
    }
    std::string operator()(const LinearAttrs& a) const { return epilogue_str(a.epilogue); }
    std::string operator()(const MatMulAttrs& a) const {
      return fmt::format("{}{}{}", a.transpose_b ? " transpose_b" : "",
                         a.alpha != 1.0f ? fmt::format(" alpha={:g}", a.alpha) : "", epilogue_str(a.epilogue));
    }
    std::string operator()(const NormAttrs& a) const { return fmt::format(" eps={:g} axis={}", a.eps, a.axis); }
    std::string operator()(const AxisAttrs& a) const { return fmt::format(" axis={}", a.axis); }
    std::string operator()(const ScaleAttrs& a) const { return fmt::format(" alpha={:g}", a.alpha); }
    std::string operator()(const ShapeAttrs& a) const { return " shape=" + shape_str(a.shape); }
    std::string operator()(const PermuteAttrs& a) const { return " perm=" + shape_str(a.perm); }
    std::string operator()(const SliceAttrs& a) const {
      return fmt::format(" axis={} start={} end={} step={}", a.axis, a.start, a.end, a.step);
    }
    std::string operator()(const ReduceAttrs& a) const {
      return fmt::format(" axes={} keepdim={}", shape_str(a.axes), a.keepdim);
    }
    std::string operator()(const InterpolateAttrs& a) const {
      return fmt::format(" {} size={}x{} align_corners={}{}",
                         a.mode == InterpolationMode::kBilinear ? "bilinear" : "bicubic_antialias", a.size[0],
                         a.size[1], a.align_corners, a.channels_last ? " NHWC" : "");
    }
    std::string operator()(const GroupNormAttrs& a) const {
      return fmt::format(" groups={} eps={:g}{}", a.num_groups, a.eps, a.channels_last ? " NHWC" : "");
    }
    std::string operator()(const Pool2dAttrs& a) const {
      return fmt::format(" {} kernel={}x{} stride={}x{} pad={}x{}{}{}{}", a.mode == PoolMode::kMax ? "max" : "avg",
                         a.kernel[0], a.kernel[1], a.stride[0], a.stride[1], a.padding[0], a.padding[1],
                         a.ceil_mode ? " ceil_mode" : "",
                         a.mode == PoolMode::kAverage && !a.count_include_pad ? " exclude_pad" : "",
                         a.channels_last ? " NHWC" : "");
    }
    std::string operator()(const AttentionAttrs& a) const {
      std::string text = fmt::format(" alpha={:g}", a.alpha);
      const char* names[] = {"q", "k", "v"};
      for (size_t i = 0; i < 3; ++i) {
        if (a.input_views[i]) text += fmt::format(" {}={}", names[i], view_str(*a.input_views[i]));
      }
      if (a.output_view) text += " out=" + view_str(*a.output_view);
      return text;
    }
    static std::string view_str(const StridedView& v) {
      return fmt::format("{}@{}+{}", shape_str(v.shape), shape_str(v.strides), v.offset);
    }
    std::string operator()(const PadAttrs& a) const {
      std::string pads;
      for (const auto& p : a.pads) pads += fmt::format("{}({},{})", pads.empty() ? "" : ",", p[0], p[1]);
      return fmt::format(" pads={} value={:g}", pads, a.value);
    }
  };
  return std::visit(Printer{}, attrs);
}

}  // namespace

std::string dump(const Graph& graph, const std::vector<std::string>* node_notes) {
  std::string out;
  for (ValueId id : graph.inputs()) {
    out += fmt::format("input  %{} '{}' {}\n", id, graph.value(id).name, shape_str(graph.value(id).shape));
  }
  for (ValueId id : graph.parameters()) {
    const Value& v = graph.value(id);
    out += fmt::format("{} %{} '{}' {}\n", v.is_buffer ? "buffer" : "param ", id, v.name, shape_str(v.shape));
  }
  for (size_t v = 0; v < graph.values().size(); ++v) {
    const Value& value = graph.values()[v];
    if (value.kind == ValueKind::kConstant) {
      out += fmt::format("const  %{} '{}' {}\n", v, value.name, shape_str(value.shape));
    }
  }
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const Node& node = graph.nodes()[n];
    std::string ins;
    for (ValueId in : node.inputs) ins += fmt::format("{}%{}", ins.empty() ? "" : ", ", in);
    const std::string note = node_notes != nullptr && n < node_notes->size() ? "  [" + (*node_notes)[n] + "]" : "";
    out += fmt::format("%{} = {}({}){} -> {}   # {}{}\n", node.output, op_name(node.op), ins,
                       attrs_str(node.attrs), shape_str(graph.value(node.output).shape),
                       node.module_path, note);
  }
  for (const auto& [name, id] : graph.outputs()) out += fmt::format("output '{}' = %{}\n", name, id);
  return out;
}

}  // namespace litevit::graph
