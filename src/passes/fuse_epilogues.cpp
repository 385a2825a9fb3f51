#include "passes/fuse_epilogues.h"

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Graph;
using graph::Node;
using graph::OpKind;
using graph::ValueId;

bool has_epilogue(OpKind op) { return op == OpKind::kConv2d || op == OpKind::kLinear || op == OpKind::kMatMul; }

graph::Activation activation_of(OpKind op) {
  switch (op) {
    case OpKind::kGelu: return graph::Activation::kGelu;
    case OpKind::kSilu: return graph::Activation::kSilu;
    case OpKind::kRelu: return graph::Activation::kRelu;
    case OpKind::kSigmoid: return graph::Activation::kSigmoid;
    case OpKind::kHardSwish: return graph::Activation::kHardSwish;
    case OpKind::kRelu6: return graph::Activation::kRelu6;
    // hard_sigmoid stays a node: oneDNN 2.6 has no hardsigmoid eltwise post-op.
    default: return graph::Activation::kNone;
  }
}

}  // namespace

bool fuse_activation(Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (size_t n = 0; n < nodes.size(); ++n) {
    const graph::Activation act = activation_of(nodes[n].op);
    if (act == graph::Activation::kNone) continue;
    const int32_t p = sole_producer(graph, uses, nodes[n].inputs[0]);
    if (p < 0 || !has_epilogue(nodes[static_cast<size_t>(p)].op)) continue;
    Node& producer = nodes[static_cast<size_t>(p)];
    graph::Epilogue* epilogue = graph::epilogue_of(producer);
    if (epilogue->act != graph::Activation::kNone || epilogue->residual) continue;
    epilogue->act = act;
    producer.output = nodes[n].output;
    removed[n] = changed = true;
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

bool fuse_residual_add(Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (nodes[n].op != OpKind::kAdd) continue;
    const graph::Shape& out = graph.value(nodes[n].output).shape;
    for (int side = 0; side < 2; ++side) {
      const ValueId fused = nodes[n].inputs[static_cast<size_t>(side)];
      const ValueId residual = nodes[n].inputs[static_cast<size_t>(1 - side)];
      const int32_t p = sole_producer(graph, uses, fused);
      if (p < 0 || !has_epilogue(nodes[static_cast<size_t>(p)].op)) continue;
      if (graph.value(fused).shape != out || graph.value(residual).shape != out) continue;
      // The residual must exist when the producer runs.
      if (graph.value(residual).producer >= p) continue;
      Node& producer = nodes[static_cast<size_t>(p)];
      graph::Epilogue* epilogue = graph::epilogue_of(producer);
      if (epilogue->residual) continue;
      epilogue->residual = true;
      producer.inputs.push_back(residual);
      producer.output = nodes[n].output;
      removed[n] = changed = true;
      break;
    }
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

bool fold_transpose_into_matmul(Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (Node& node : nodes) {
    if (node.op != OpKind::kMatMul) continue;
    auto& attrs = std::get<graph::MatMulAttrs>(node.attrs);
    if (attrs.transpose_b || attrs.epilogue.act != graph::Activation::kNone || attrs.epilogue.residual) continue;
    const int32_t p = sole_producer(graph, uses, node.inputs[1]);
    if (p < 0 || nodes[static_cast<size_t>(p)].op != OpKind::kPermute || removed[static_cast<size_t>(p)]) continue;
    const auto& perm = std::get<graph::PermuteAttrs>(nodes[static_cast<size_t>(p)].attrs).perm;
    const size_t rank = perm.size();
    bool swaps_last_two = rank >= 2 && perm[rank - 1] == static_cast<int64_t>(rank - 2) &&
                          perm[rank - 2] == static_cast<int64_t>(rank - 1);
    for (size_t i = 0; swaps_last_two && i + 2 < rank; ++i) swaps_last_two = perm[i] == static_cast<int64_t>(i);
    if (!swaps_last_two) continue;
    attrs.transpose_b = true;
    node.inputs[1] = nodes[static_cast<size_t>(p)].inputs[0];
    removed[static_cast<size_t>(p)] = changed = true;
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

bool fold_scale_into_matmul(Graph& graph) {
  const auto uses = use_counts(graph);
  std::vector<Node> nodes = graph.nodes();
  std::vector<bool> removed(nodes.size(), false);
  bool changed = false;
  for (Node& node : nodes) {
    if (node.op != OpKind::kMatMul) continue;
    auto& attrs = std::get<graph::MatMulAttrs>(node.attrs);
    if (attrs.epilogue.act != graph::Activation::kNone || attrs.epilogue.residual) continue;
    for (size_t side = 0; side < 2; ++side) {
      const int32_t p = sole_producer(graph, uses, node.inputs[side]);
      if (p < 0 || nodes[static_cast<size_t>(p)].op != OpKind::kScale || removed[static_cast<size_t>(p)]) continue;
      attrs.alpha *= std::get<graph::ScaleAttrs>(nodes[static_cast<size_t>(p)].attrs).alpha;
      node.inputs[side] = nodes[static_cast<size_t>(p)].inputs[0];
      removed[static_cast<size_t>(p)] = changed = true;
    }
  }
  if (changed) drop_nodes(graph, std::move(nodes), removed);
  return changed;
}

}  // namespace litevit::passes
