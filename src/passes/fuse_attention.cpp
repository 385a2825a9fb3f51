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
  std::vector<int32_t> nodes;   // the matmul and any scale / add / reshape after it
  float alpha = 1.0f;
  ValueId bias = graph::kNoValue;
  graph::Shape bias_space;      // the add's output shape, which the bias broadcasts to
  int32_t matmul = -1;
};

// A reshape that only regroups the leading dims ([64,3,N,M] <-> [1,64,3,N,M]):
// the flattened batch index of every [N, M] matrix stays the same.
bool regroups_leading_dims(const graph::Shape& in, const graph::Shape& out) {
  return in.size() >= 2 && out.size() >= 2 && in.end()[-1] == out.end()[-1] && in.end()[-2] == out.end()[-2] &&
         graph::shape_numel(in) == graph::shape_numel(out);
}

// Follows `v` up through reshapes of the leading dims, at most one add of a
// bias and scales, to a transpose_b matmul. False when the chain is anything else.
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
    } else if (node.op == OpKind::kReshape &&
               regroups_leading_dims(graph.value(node.inputs[0]).shape, graph.value(node.output).shape)) {
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
      scores.bias_space = out;
      v = node.inputs[side];
    } else {
      return false;
    }
  }
}

// The bias as the attention op takes it: broadcast against the q k^T matmul's
// output rather than the (possibly regrouped) shape it was added in. Swin adds
// bias and window mask in [1, windows, heads, N, N] (or [windows, 1, heads, N, N])
// to scores [windows, heads, N, N]: the same leading dims once the size-1 ones
// are dropped, from the add's shape and from the bias alike. A bias whose
// shape changes so must be a constant (it becomes a constant of the new
// shape, same data). kNoValue when the two spaces differ (e.g. a batch of 2
// regrouped into [2, windows, ...], where the mask repeats per image).
ValueId bias_for_scores(graph::Graph& graph, const Scores& scores, const graph::Shape& matmul_out) {
  const graph::Shape& space = scores.bias_space;
  const graph::Value& bias = graph.value(scores.bias);
  const size_t lead = space.size() - 2, skip = space.size() - bias.shape.size();
  graph::Shape kept_space, shape;
  for (size_t i = 0; i < lead; ++i) {
    if (space[i] == 1) continue;
    kept_space.push_back(space[i]);
    shape.push_back(i >= skip ? bias.shape[i - skip] : 1);
  }
  graph::Shape matmul_lead;
  for (size_t i = 0; i + 2 < matmul_out.size(); ++i) {
    if (matmul_out[i] != 1) matmul_lead.push_back(matmul_out[i]);
  }
  if (kept_space != matmul_lead) return graph::kNoValue;
  while (!shape.empty() && shape.front() == 1) shape.erase(shape.begin());
  shape.push_back(space.end()[-2]);
  shape.push_back(space.end()[-1]);
  if (!graph::bias_fits_scores(shape, matmul_out)) return graph::kNoValue;
  graph::Shape given = bias.shape;   // the bias as it is, if it only has extra leading ones
  while (given.size() > 2 && given.front() == 1) given.erase(given.begin());
  if (given == shape && graph::bias_fits_scores(bias.shape, matmul_out)) return scores.bias;
  if (!has_data(graph, scores.bias)) return graph::kNoValue;
  return graph.add_value({.kind = graph::ValueKind::kConstant, .name = bias.name + " as " + graph::shape_str(shape),
                          .shape = shape, .data = bias.data});
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
    const ValueId bias =
        scores.bias == graph::kNoValue ? graph::kNoValue : bias_for_scores(graph, scores, graph.value(qk.output).shape);
    if (scores.bias != graph::kNoValue && bias == graph::kNoValue) continue;
    pv.op = OpKind::kAttention;
    pv.inputs = {qk.inputs[0], qk.inputs[1], pv.inputs[1]};
    if (bias != graph::kNoValue) pv.inputs.push_back(bias);
    pv.attrs = graph::AttentionAttrs{.alpha = scores.alpha};
    removed[static_cast<size_t>(s)] = changed = true;
    for (int32_t p : scores.nodes) removed[static_cast<size_t>(p)] = true;
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

}  // namespace litevit::passes
