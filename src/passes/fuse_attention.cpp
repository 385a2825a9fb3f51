#include "passes/fuse_attention.h"

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Node;
using graph::OpKind;
using graph::ValueId;

bool plain_matmul(const Node& node, bool transpose_b) {
  if (node.op != OpKind::kMatMul) return false;
  const auto& a = std::get<graph::MatMulAttrs>(node.attrs);
  return a.transpose_b == transpose_b && a.epilogue.act == graph::Activation::kNone && !a.epilogue.residual;
}

// What feeds the softmax, traced back to the q k^T matmul: the nodes on the
// way (each with one reader), the scale they apply and the bias they add.
struct Scores {
  std::vector<int32_t> nodes;   // the matmul and any scale / add after it
  float alpha = 1.0f;
  ValueId bias = graph::kNoValue;
  int32_t matmul = -1;
};

// Follows `v` up through at most one add of a bias and scales, to a
// transpose_b matmul. False when the chain is anything else.
bool trace_scores(const graph::Graph& graph, const std::vector<Node>& nodes, const std::vector<int>& uses, ValueId v,
                  Scores& scores) {
  while (true) {
    const int32_t p = sole_producer(graph, uses, v);
    if (p < 0) return false;
    const Node& node = nodes[static_cast<size_t>(p)];
    scores.nodes.push_back(p);
    if (plain_matmul(node, true)) {
      scores.alpha *= std::get<graph::MatMulAttrs>(node.attrs).alpha;
      scores.matmul = p;
      return true;
    }
    if (node.op == OpKind::kScale) {   // below an add it scales the scores, not the bias
      scores.alpha *= std::get<graph::ScaleAttrs>(node.attrs).alpha;
      v = node.inputs[0];
    } else if (node.op == OpKind::kAdd && scores.bias == graph::kNoValue && scores.alpha == 1.0f) {
      // One add, with no scale after it (that would scale the bias too). The
      // scores side has the add's shape; the bias fits it (broadcast or not).
      const graph::Shape& out = graph.value(node.output).shape;
      auto is_scores_side = [&](size_t side) {
        return graph.value(node.inputs[side]).shape == out &&
               graph::bias_fits_scores(graph.value(node.inputs[1 - side]).shape, out);
      };
      const size_t side = is_scores_side(0) ? 0 : 1;
      if (!is_scores_side(side)) return false;
      scores.bias = node.inputs[1 - side];
      v = node.inputs[side];
    } else {
      return false;
    }
  }
}

}  // namespace

bool fuse_attention(graph::Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (size_t n = 0; n < nodes.size(); ++n) {
    Node& pv = nodes[n];
    if (!plain_matmul(pv, false) || std::get<graph::MatMulAttrs>(pv.attrs).alpha != 1.0f) continue;
    const int32_t s = sole_producer(graph, uses, pv.inputs[0]);
    if (s < 0 || nodes[static_cast<size_t>(s)].op != OpKind::kSoftmax) continue;
    const Node& softmax = nodes[static_cast<size_t>(s)];
    const auto rank = static_cast<int64_t>(graph.value(softmax.output).shape.size());
    if (std::get<graph::AxisAttrs>(softmax.attrs).axis != rank - 1) continue;
    Scores scores;
    if (!trace_scores(graph, nodes, uses, softmax.inputs[0], scores)) continue;
    // The bias is read where the attention runs (pv's place): it must exist by then.
    if (scores.bias != graph::kNoValue && graph.value(scores.bias).producer >= static_cast<int32_t>(n)) continue;
    const Node& qk = nodes[static_cast<size_t>(scores.matmul)];
    pv.op = OpKind::kAttention;
    pv.inputs = {qk.inputs[0], qk.inputs[1], pv.inputs[1]};
    if (scores.bias != graph::kNoValue) pv.inputs.push_back(scores.bias);
    pv.attrs = graph::ScaleAttrs{scores.alpha};
    removed[static_cast<size_t>(s)] = changed = true;
    for (int32_t p : scores.nodes) removed[static_cast<size_t>(p)] = true;
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

}  // namespace litevit::passes
