// plan_memory: where every intermediate value lives in one arena.
//
// Views cost nothing: a reshape of an intermediate is an alias of the same
// bytes, and so is a slice that takes one contiguous block (step 1, every
// axis before the sliced one of size 1), at an offset. Each remaining value
// gets a buffer that lives from the node producing it to the last node
// reading it or any view of it (graph outputs to the end).
// Buffers are placed greedily, largest first, at the lowest offset where no
// buffer with an overlapping lifetime sits. The plan does not change the graph.
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"

namespace litevit::passes {

struct MemoryPlan {
  static constexpr int64_t kNotInArena = -1;
  static constexpr int64_t kAlignment = 64;   // bytes
  std::vector<int64_t> offset;       // per value: byte offset in the arena, or kNotInArena
  std::vector<graph::ValueId> owner; // per value: the value whose buffer holds its bytes
  std::vector<bool> is_alias;        // per node: a view (reshape, block slice) of its input; runs no kernel
  int64_t arena_bytes = 0;
  int64_t sum_of_value_bytes = 0;    // what one buffer per value would take
};

MemoryPlan plan_memory(const graph::Graph& graph);

// Values whose buffers overlap in bytes while both are live (must be empty).
std::vector<std::pair<graph::ValueId, graph::ValueId>> memory_conflicts(const graph::Graph& graph,
                                                                         const MemoryPlan& plan);

}  // namespace litevit::passes
