#include "passes/fuse_inverted_residual.h"

#include <string>

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Conv2dAttrs;
using graph::Node;
using graph::OpKind;

// A channels_last conv2d with a bias, dilation 1 and no residual (unless allowed).
const Conv2dAttrs* plain_nhwc_conv(const Node& node, bool residual_allowed) {
  if (node.op != OpKind::kConv2d || !graph::has_bias(node)) return nullptr;
  const auto& a = std::get<Conv2dAttrs>(node.attrs);
  if (!a.channels_last || a.dilation != std::array<int64_t, 2>{1, 1}) return nullptr;
  return residual_allowed || !a.epilogue.residual ? &a : nullptr;
}

bool is_pointwise(const graph::Graph& graph, const Node& node, bool residual_allowed) {
  const Conv2dAttrs* a = plain_nhwc_conv(node, residual_allowed);
  if (a == nullptr || a->groups != 1 || a->stride != std::array<int64_t, 2>{1, 1} ||
      a->padding != std::array<int64_t, 2>{0, 0}) {
    return false;
  }
  const graph::Shape& w = graph.value(node.inputs[1]).shape;
  return w[2] == 1 && w[3] == 1;
}

bool is_depthwise(const graph::Graph& graph, const Node& node) {
  const Conv2dAttrs* a = plain_nhwc_conv(node, false);
  if (a == nullptr || a->stride[0] != a->stride[1] || a->padding[0] != a->padding[1]) return false;
  const graph::Shape& w = graph.value(node.inputs[1]).shape;   // [O, C/g, k, k]
  const int64_t channels = graph.value(node.inputs[0]).shape[3];
  return a->groups == channels && w[0] == channels && w[1] == 1 && w[2] == w[3];
}

// The module path of the block: the dotted components the expand's and the
// project's paths share ("stages.0.0.conv1_1x1", "stages.0.0.conv3_1x1" ->
// "stages.0.0"), or the expand's path when they share none.
std::string common_module(const std::string& a, const std::string& b) {
  size_t shared = 0;   // length of the common prefix that ends at a component boundary
  for (size_t i = 0; i <= a.size() && i <= b.size(); ++i) {
    const bool a_ends = i == a.size() || a[i] == '.', b_ends = i == b.size() || b[i] == '.';
    if (a_ends && b_ends) shared = i;
    if (i == a.size() || i == b.size() || a[i] != b[i]) break;
  }
  return shared == 0 ? a : a.substr(0, shared);
}

}  // namespace

bool fuse_inverted_residual(graph::Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (Node& project : nodes) {
    if (!is_pointwise(graph, project, true)) continue;
    const int32_t d = sole_producer(graph, uses, project.inputs[0]);
    if (d < 0 || !is_depthwise(graph, nodes[static_cast<size_t>(d)])) continue;
    const Node& dw = nodes[static_cast<size_t>(d)];
    const int32_t e = sole_producer(graph, uses, dw.inputs[0]);
    if (e < 0 || !is_pointwise(graph, nodes[static_cast<size_t>(e)], false)) continue;
    const Node& expand = nodes[static_cast<size_t>(e)];
    const auto& dw_attrs = std::get<Conv2dAttrs>(dw.attrs);
    graph::InvertedResidualAttrs attrs{.expand_act = std::get<Conv2dAttrs>(expand.attrs).epilogue.act,
                                       .depthwise_act = dw_attrs.epilogue.act,
                                       .stride = dw_attrs.stride[0],
                                       .padding = dw_attrs.padding[0],
                                       .epilogue = std::get<Conv2dAttrs>(project.attrs).epilogue};
    std::vector<graph::ValueId> inputs = {expand.inputs[0], expand.inputs[1], expand.inputs[2], dw.inputs[1],
                                          dw.inputs[2],     project.inputs[1], project.inputs[2]};
    if (attrs.epilogue.residual) inputs.push_back(project.inputs.back());
    project.op = OpKind::kInvertedResidual;
    project.inputs = std::move(inputs);
    project.attrs = attrs;
    project.module_path = common_module(expand.module_path, project.module_path);
    removed[static_cast<size_t>(d)] = removed[static_cast<size_t>(e)] = changed = true;
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

}  // namespace litevit::passes
