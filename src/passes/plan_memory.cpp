#include "passes/plan_memory.h"

#include <algorithm>
#include <numeric>

namespace litevit::passes {
namespace {

using graph::Graph;
using graph::ValueId;

struct Buffer {
  ValueId root;          // the value that owns the bytes
  int64_t bytes;
  int32_t first, last;   // node indices: written at `first`, last read at `last`
  int64_t offset = 0;
};

int64_t aligned_bytes(const Graph& graph, ValueId v) {
  const int64_t bytes = graph::shape_numel(graph.value(v).shape) * static_cast<int64_t>(sizeof(float));
  return (bytes + MemoryPlan::kAlignment - 1) / MemoryPlan::kAlignment * MemoryPlan::kAlignment;
}

bool overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1) { return a0 < b1 && b0 < a1; }

// Byte offset of a view inside its input, or -1 when the node is not a view.
int64_t view_offset(const Graph& graph, const graph::Node& node) {
  if (graph.value(node.inputs[0]).kind != graph::ValueKind::kNodeOutput) return -1;
  if (node.op == graph::OpKind::kReshape) return 0;
  if (node.op != graph::OpKind::kSlice) return -1;
  const auto& a = std::get<graph::SliceAttrs>(node.attrs);
  const graph::Shape& in = graph.value(node.inputs[0]).shape;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < a.axis; ++d) outer *= in[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(a.axis) + 1; d < in.size(); ++d) inner *= in[d];
  const int64_t length = (a.end - a.start + a.step - 1) / a.step;
  if (outer != 1 || (a.step != 1 && length > 1)) return -1;
  return a.start * inner * static_cast<int64_t>(sizeof(float));
}

// For each value, the value owning its bytes and the byte offset inside them.
std::vector<ValueId> view_owners(const Graph& graph, std::vector<bool>& is_alias, std::vector<int64_t>& delta) {
  std::vector<ValueId> owner(graph.values().size());
  std::iota(owner.begin(), owner.end(), 0);
  is_alias.assign(graph.nodes().size(), false);
  delta.assign(graph.values().size(), 0);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    const int64_t offset = view_offset(graph, node);
    if (offset < 0) continue;
    const auto in = static_cast<size_t>(node.inputs[0]);
    owner[static_cast<size_t>(node.output)] = owner[in];
    delta[static_cast<size_t>(node.output)] = delta[in] + offset;
    is_alias[n] = true;
  }
  return owner;
}

}  // namespace

MemoryPlan plan_memory(const Graph& graph) {
  MemoryPlan plan;
  std::vector<int64_t> delta;
  const std::vector<ValueId> root = view_owners(graph, plan.is_alias, delta);
  plan.owner = root;
  const auto end = static_cast<int32_t>(graph.nodes().size());

  std::vector<int32_t> buffer_of(graph.values().size(), -1);
  std::vector<Buffer> buffers;
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const ValueId out = graph.nodes()[n].output;
    if (root[static_cast<size_t>(out)] != out) continue;
    buffer_of[static_cast<size_t>(out)] = static_cast<int32_t>(buffers.size());
    buffers.push_back({out, aligned_bytes(graph, out), static_cast<int32_t>(n), static_cast<int32_t>(n)});
    plan.sum_of_value_bytes += buffers.back().bytes;
  }
  auto extend = [&](ValueId v, int32_t until) {
    const int32_t b = buffer_of[static_cast<size_t>(root[static_cast<size_t>(v)])];
    if (b >= 0) buffers[static_cast<size_t>(b)].last = std::max(buffers[static_cast<size_t>(b)].last, until);
  };
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    for (ValueId in : graph.nodes()[n].inputs) extend(in, static_cast<int32_t>(n));
  }
  for (const auto& [name, id] : graph.outputs()) extend(id, end);

  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  for (size_t i : order) {
    Buffer& buffer = buffers[i];
    // Candidate offsets: 0 and the end of every placed buffer whose lifetime overlaps.
    std::vector<int64_t> candidates = {0};
    for (size_t j : placed) {
      if (overlaps(buffer.first, buffer.last + 1, buffers[j].first, buffers[j].last + 1)) {
        candidates.push_back(buffers[j].offset + buffers[j].bytes);
      }
    }
    std::sort(candidates.begin(), candidates.end());
    for (int64_t offset : candidates) {
      bool fits = true;
      for (size_t j : placed) {
        if (overlaps(buffer.first, buffer.last + 1, buffers[j].first, buffers[j].last + 1) &&
            overlaps(offset, offset + buffer.bytes, buffers[j].offset, buffers[j].offset + buffers[j].bytes)) {
          fits = false;
          break;
        }
      }
      if (fits) {
        buffer.offset = offset;
        break;
      }
    }
    placed.push_back(i);
    plan.arena_bytes = std::max(plan.arena_bytes, buffer.offset + buffer.bytes);
  }

  plan.offset.assign(graph.values().size(), MemoryPlan::kNotInArena);
  for (size_t v = 0; v < graph.values().size(); ++v) {
    const int32_t b = buffer_of[static_cast<size_t>(root[v])];
    if (b >= 0) plan.offset[v] = buffers[static_cast<size_t>(b)].offset + delta[v];
  }
  return plan;
}

std::vector<std::pair<ValueId, ValueId>> memory_conflicts(const Graph& graph, const MemoryPlan& plan) {
  // Lifetime of every value in the arena, by node index.
  const auto count = graph.values().size();
  std::vector<int32_t> first(count, -1), last(count, -1);
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    first[static_cast<size_t>(node.output)] = last[static_cast<size_t>(node.output)] = static_cast<int32_t>(n);
    for (ValueId in : node.inputs) last[static_cast<size_t>(in)] = static_cast<int32_t>(n);
  }
  for (const auto& [name, id] : graph.outputs()) last[static_cast<size_t>(id)] = static_cast<int32_t>(graph.nodes().size());
  std::vector<std::pair<ValueId, ValueId>> conflicts;
  for (size_t a = 0; a < count; ++a) {
    if (plan.offset[a] < 0 || first[a] < 0) continue;
    for (size_t b = a + 1; b < count; ++b) {
      if (plan.offset[b] < 0 || first[b] < 0) continue;
      if (plan.owner[a] == plan.owner[b]) continue;   // views of one buffer share it by design
      const int64_t bytes_a = graph::shape_numel(graph.values()[a].shape) * 4;
      const int64_t bytes_b = graph::shape_numel(graph.values()[b].shape) * 4;
      if (overlaps(first[a], last[a] + 1, first[b], last[b] + 1) &&
          overlaps(plan.offset[a], plan.offset[a] + bytes_a, plan.offset[b], plan.offset[b] + bytes_b)) {
        conflicts.emplace_back(static_cast<ValueId>(a), static_cast<ValueId>(b));
      }
    }
  }
  return conflicts;
}

}  // namespace litevit::passes
