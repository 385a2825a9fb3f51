#include "passes/fold_batchnorm.h"

#include <cmath>

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Graph;
using graph::Node;
using graph::OpKind;

// The conv2d node a batch_norm can fold into, or -1.
int32_t foldable_conv(const Graph& graph, const Node& bn, const std::vector<int>& uses) {
  const graph::ValueId x = bn.inputs[0];
  const Node* conv = producer_of(graph, x);
  if (conv == nullptr || conv->op != OpKind::kConv2d) return -1;
  if (uses[static_cast<size_t>(x)] != 1 || is_graph_output(graph, x)) return -1;
  const auto& attrs = std::get<graph::Conv2dAttrs>(conv->attrs);
  if (attrs.epilogue.act != graph::Activation::kNone || attrs.epilogue.residual) return -1;
  const int64_t channel_axis = attrs.channels_last ? 3 : 1;
  if (std::get<graph::NormAttrs>(bn.attrs).axis != channel_axis) return -1;
  for (size_t i = 1; i < 5; ++i) {
    if (!has_data(graph, bn.inputs[i])) return -1;
  }
  if (!has_data(graph, conv->inputs[1]) || (graph::has_bias(*conv) && !has_data(graph, conv->inputs[2]))) return -1;
  return graph.value(x).producer;
}

void fold(Graph& graph, Node& conv, const Node& bn) {
  const float eps = std::get<graph::NormAttrs>(bn.attrs).eps;
  const auto& gamma = *graph.value(bn.inputs[1]).data;
  const auto& beta = *graph.value(bn.inputs[2]).data;
  const auto& mean = *graph.value(bn.inputs[3]).data;
  const auto& var = *graph.value(bn.inputs[4]).data;
  const graph::Value weight = graph.value(conv.inputs[1]);   // a copy: add_value below may move values
  const auto out_channels = static_cast<size_t>(weight.shape[0]);
  const size_t per_channel = weight.data->size() / out_channels;

  std::vector<float> w(weight.data->size()), b(out_channels);
  for (size_t o = 0; o < out_channels; ++o) {
    const double scale = gamma[o] / std::sqrt(static_cast<double>(var[o]) + eps);
    for (size_t k = 0; k < per_channel; ++k) {
      w[o * per_channel + k] = static_cast<float>((*weight.data)[o * per_channel + k] * scale);
    }
    const double bias = graph::has_bias(conv) ? (*graph.value(conv.inputs[2]).data)[o] : 0.0;
    b[o] = static_cast<float>((bias - mean[o]) * scale + beta[o]);
  }
  const std::string base = weight.name.substr(0, weight.name.rfind('.'));
  const graph::ValueId new_w = graph.add_value({.kind = graph::ValueKind::kConstant,
                                                .name = base + ".weight(bn folded)",
                                                .shape = weight.shape,
                                                .data = std::make_shared<const std::vector<float>>(std::move(w))});
  const graph::ValueId new_b = graph.add_value({.kind = graph::ValueKind::kConstant,
                                                .name = base + ".bias(bn folded)",
                                                .shape = {static_cast<int64_t>(out_channels)},
                                                .data = std::make_shared<const std::vector<float>>(std::move(b))});
  conv.inputs = {conv.inputs[0], new_w, new_b};
  conv.output = bn.output;
}

}  // namespace

bool fold_batchnorm(Graph& graph) {
  const std::vector<int> uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (nodes[n].op != OpKind::kBatchNorm) continue;
    const int32_t conv = foldable_conv(graph, nodes[n], uses);
    if (conv < 0) continue;
    fold(graph, nodes[static_cast<size_t>(conv)], nodes[n]);
    removed[n] = true;
    changed = true;
  }
  if (!changed) return false;
  std::vector<Node> kept;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!removed[n]) kept.push_back(std::move(nodes[n]));
  }
  graph.replace_nodes(std::move(kept));
  return true;
}

}  // namespace litevit::passes
