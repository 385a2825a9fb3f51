// plan_memory: where every intermediate value lives in one arena.
//
// A reshape whose input is an intermediate is an alias: same bytes, no copy.
// Each remaining value gets a buffer that lives from the node producing it
// to the last node reading it or any alias of it (graph outputs to the end).
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
  std::vector<bool> is_alias;        // per node: a reshape that reuses its input's bytes
  int64_t arena_bytes = 0;
  int64_t sum_of_value_bytes = 0;    // what one buffer per value would take
};

MemoryPlan plan_memory(const graph::Graph& graph);

// Values whose buffers overlap in bytes while both are live (must be empty).
std::vector<std::pair<graph::ValueId, graph::ValueId>> memory_conflicts(const graph::Graph& graph,
                                                                         const MemoryPlan& plan);

}  // namespace litevit::passes
