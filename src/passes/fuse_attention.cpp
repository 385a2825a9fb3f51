#include "passes/fuse_attention.h"

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Node;
using graph::OpKind;

bool plain_matmul(const Node& node, bool transpose_b) {
  if (node.op != OpKind::kMatMul) return false;
  const auto& a = std::get<graph::MatMulAttrs>(node.attrs);
  return a.transpose_b == transpose_b && a.epilogue.act == graph::Activation::kNone && !a.epilogue.residual;
}

}  // namespace

bool fuse_attention(graph::Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (Node& pv : nodes) {
    if (!plain_matmul(pv, false) || std::get<graph::MatMulAttrs>(pv.attrs).alpha != 1.0f) continue;
    const int32_t s = sole_producer(graph, uses, pv.inputs[0]);
    if (s < 0 || nodes[static_cast<size_t>(s)].op != OpKind::kSoftmax) continue;
    const Node& softmax = nodes[static_cast<size_t>(s)];
    const auto rank = static_cast<int64_t>(graph.value(softmax.output).shape.size());
    if (std::get<graph::AxisAttrs>(softmax.attrs).axis != rank - 1) continue;
    const int32_t qk = sole_producer(graph, uses, softmax.inputs[0]);
    if (qk < 0 || !plain_matmul(nodes[static_cast<size_t>(qk)], true)) continue;
    const Node& scores = nodes[static_cast<size_t>(qk)];
    pv.op = OpKind::kAttention;
    pv.inputs = {scores.inputs[0], scores.inputs[1], pv.inputs[1]};
    pv.attrs = graph::ScaleAttrs{std::get<graph::MatMulAttrs>(scores.attrs).alpha};
    removed[static_cast<size_t>(s)] = removed[static_cast<size_t>(qk)] = changed = true;
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

}  // namespace litevit::passes
