#include "passes/fuse_data_movement.h"

#include <algorithm>
#include <optional>

#include "passes/graph_queries.h"

namespace litevit::passes {
namespace {

using graph::Graph;
using graph::Node;
using graph::OpKind;
using graph::Shape;
using graph::ValueId;

bool is_data_movement(OpKind op) { return op == OpKind::kReshape || op == OpKind::kPermute; }

// A view of the chain's input: atoms in memory order, and the current axes as
// lists of atoms (major to minor).
class AtomView {
 public:
  explicit AtomView(const Shape& shape) {
    for (int64_t d : shape) {
      memory_.push_back(new_atom(d));
      axes_.push_back({memory_.back()});
    }
  }

  void permute(const std::vector<int64_t>& perm) {
    std::vector<std::vector<int>> axes;
    for (int64_t p : perm) axes.push_back(axes_[static_cast<size_t>(p)]);
    axes_ = std::move(axes);
  }

  // False when `shape` cuts an atom at a size that does not divide it.
  bool reshape(const Shape& shape) {
    std::vector<int> seq;
    for (const auto& axis : axes_) {
      for (int a : axis) {
        if (size_[static_cast<size_t>(a)] != 1) seq.push_back(a);
      }
    }
    std::vector<std::vector<int>> axes;
    size_t idx = 0;
    for (int64_t d : shape) {
      std::vector<int> group;
      int64_t rest = d;
      while (rest > 1) {
        if (idx >= seq.size()) return false;
        const int a = seq[idx];
        const int64_t s = size_[static_cast<size_t>(a)];
        if (rest % s == 0) {
          group.push_back(a);
          rest /= s;
          ++idx;
        } else if (s % rest == 0) {   // the axis ends inside atom a: split it
          const int hi = new_atom(rest), lo = new_atom(s / rest);
          auto it = std::find(memory_.begin(), memory_.end(), a);
          it = memory_.erase(it);
          memory_.insert(it, {hi, lo});
          seq[idx] = lo;
          group.push_back(hi);
          rest = 1;
        } else {
          return false;
        }
      }
      axes.push_back(std::move(group));
    }
    if (idx != seq.size()) return false;
    axes_ = std::move(axes);
    return true;
  }

  // The input reshaped to merged atoms, and the permutation of them that gives the output order.
  std::pair<Shape, std::vector<int64_t>> as_permute() const {
    std::vector<int> memory, output;
    for (int a : memory_) {
      if (size_[static_cast<size_t>(a)] != 1) memory.push_back(a);
    }
    for (const auto& axis : axes_) {
      for (int a : axis) {
        if (size_[static_cast<size_t>(a)] != 1) output.push_back(a);
      }
    }
    // Merge atoms that are neighbours in memory and in the output: group id per atom.
    auto position_in_output = [&](int a) { return std::find(output.begin(), output.end(), a) - output.begin(); };
    std::vector<std::vector<int>> groups;
    for (size_t i = 0; i < memory.size(); ++i) {
      if (i > 0 && position_in_output(memory[i]) == position_in_output(memory[i - 1]) + 1) {
        groups.back().push_back(memory[i]);
      } else {
        groups.push_back({memory[i]});
      }
    }
    Shape shape;
    for (const auto& g : groups) {
      int64_t n = 1;
      for (int a : g) n *= size_[static_cast<size_t>(a)];
      shape.push_back(n);
    }
    std::vector<int64_t> perm;
    for (size_t i = 0; i < output.size(); ++i) {
      for (size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].front() == output[i]) perm.push_back(static_cast<int64_t>(g));
      }
    }
    if (shape.empty()) shape.push_back(1), perm.push_back(0);
    return {shape, perm};
  }

 private:
  int new_atom(int64_t size) {
    size_.push_back(size);
    return static_cast<int>(size_.size() - 1);
  }

  std::vector<int64_t> size_;            // per atom id
  std::vector<int> memory_;              // atom ids in the input's memory order
  std::vector<std::vector<int>> axes_;   // current axes
};

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return true;
}

// Replacement for a chain from `input` to the value `output` (the last node's output).
std::optional<std::vector<Node>> collapse(Graph& graph, const std::vector<const Node*>& chain) {
  AtomView view(graph.value(chain.front()->inputs[0]).shape);
  for (const Node* node : chain) {
    if (node->op == OpKind::kPermute) {
      view.permute(std::get<graph::PermuteAttrs>(node->attrs).perm);
    } else if (!view.reshape(std::get<graph::ShapeAttrs>(node->attrs).shape)) {
      return std::nullopt;
    }
  }
  const auto [shape, perm] = view.as_permute();
  const ValueId input = chain.front()->inputs[0];
  const ValueId output = chain.back()->output;
  const Shape out_shape = graph.value(output).shape;   // a copy: add_value below may move values
  const std::string& path = chain.back()->module_path;
  if (is_identity(perm)) {
    return std::vector<Node>{{.op = OpKind::kReshape, .inputs = {input}, .output = output,
                              .attrs = graph::ShapeAttrs{out_shape}, .module_path = path}};
  }
  auto add = [&](const Shape& s, const char* what) {
    return graph.add_value({.kind = graph::ValueKind::kNodeOutput, .name = path + ":" + what, .shape = s});
  };
  Shape permuted(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) permuted[i] = shape[static_cast<size_t>(perm[i])];
  const ValueId atoms = add(shape, "reshape");
  const ValueId moved = add(permuted, "permute");
  return std::vector<Node>{
      {.op = OpKind::kReshape, .inputs = {input}, .output = atoms, .attrs = graph::ShapeAttrs{shape}, .module_path = path},
      {.op = OpKind::kPermute, .inputs = {atoms}, .output = moved, .attrs = graph::PermuteAttrs{perm}, .module_path = path},
      {.op = OpKind::kReshape, .inputs = {moved}, .output = output, .attrs = graph::ShapeAttrs{out_shape}, .module_path = path},
  };
}

}  // namespace

bool fuse_data_movement(Graph& graph) {
  const std::vector<int> uses = use_counts(graph);
  const std::vector<Node> nodes = graph.nodes();
  // The single reader of each value, when there is exactly one.
  std::vector<int32_t> reader(graph.values().size(), -1);
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (ValueId in : nodes[n].inputs) reader[static_cast<size_t>(in)] = static_cast<int32_t>(n);
  }
  auto extends = [&](ValueId v) -> int32_t {   // the next chain node after value v, or -1
    if (uses[static_cast<size_t>(v)] != 1 || is_graph_output(graph, v)) return -1;
    const int32_t r = reader[static_cast<size_t>(v)];
    return r >= 0 && is_data_movement(nodes[static_cast<size_t>(r)].op) ? r : -1;
  };

  std::vector<bool> in_chain(nodes.size(), false);
  std::vector<std::vector<Node>> replacement(nodes.size());   // emitted at the chain's last node
  bool changed = false;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!is_data_movement(nodes[n].op) || in_chain[n]) continue;
    std::vector<const Node*> chain = {&nodes[n]};
    std::vector<size_t> members = {n};
    for (int32_t next = extends(nodes[n].output); next >= 0; next = extends(nodes[static_cast<size_t>(next)].output)) {
      chain.push_back(&nodes[static_cast<size_t>(next)]);
      members.push_back(static_cast<size_t>(next));
    }
    const bool has_permute = std::any_of(chain.begin(), chain.end(), [](const Node* c) { return c->op == OpKind::kPermute; });
    if (chain.size() < 2 || !has_permute) continue;
    auto nodes_out = collapse(graph, chain);
    if (!nodes_out) continue;
    for (size_t m : members) in_chain[m] = true;
    replacement[members.back()] = std::move(*nodes_out);
    changed = true;
  }
  if (!changed) return false;
  std::vector<Node> out;
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (!in_chain[n]) out.push_back(nodes[n]);
    for (Node& r : replacement[n]) out.push_back(std::move(r));
  }
  graph.replace_nodes(std::move(out));
  return true;
}

}  // namespace litevit::passes
