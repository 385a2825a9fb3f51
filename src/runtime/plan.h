// A compiled graph: one kernel per node, weights bound, intermediate values
// placed in one arena (passes/plan_memory.h), ready to run. A Plan is
// immutable once built; each run() takes an arena from a pool (allocated on
// first need, reused afterwards), so one plan can run from several threads.
// Weights that every reading kernel packed into its own layout (oneDNN conv
// and linear) are released once the kernels exist: graph().value(w).data is
// then null. The model keeps its checkpoint file, not a second fp32 copy.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <mutex>

#include "graph/graph.h"
#include "litevit/tensor.h"
#include "passes/plan_memory.h"
#include "runtime/bind_weights.h"
#include "runtime/kernels/kernel.h"

namespace litevit::runtime {

struct CompileOptions {
  bool reference_kernels = false;   // run every op on its reference kernel
  int threads = 1;                  // threads a run uses (fixed per plan: oneDNN bakes it in)
  // Fast kernels not to use, by name (fast_kernel_names()): their nodes go to
  // the next kernel that supports them (oneDNN's, or the reference kernel).
  std::set<std::string> disabled_kernels;
};

class Plan {
 public:
  // Every parameter and constant of `graph` must carry its data (bind_weights).
  Plan(graph::Graph graph, const CompileOptions& options);

  const graph::Graph& graph() const { return graph_; }
  int threads() const { return threads_; }
  const passes::MemoryPlan& memory_plan() const { return memory_; }
  // Kernel chosen for each node, in node order.
  std::vector<std::string> kernel_names() const;

  // Inputs in graph-input order; each must match its input's shape.
  // Returns the named outputs in graph order.
  // With `node_seconds` (sized to the node count), adds each node's wall time to it.
  std::vector<std::pair<std::string, Tensor>> run(const std::vector<const Tensor*>& inputs,
                                                  std::vector<double>* node_seconds = nullptr) const;

 private:
  struct Arena {
    std::unique_ptr<float[]> storage;
    float* base;   // storage aligned to MemoryPlan::kAlignment
  };
  std::unique_ptr<Arena> acquire_arena() const;
  void release_arena(std::unique_ptr<Arena> arena) const;

  graph::Graph graph_;
  int threads_ = 1;
  passes::MemoryPlan memory_;
  std::vector<const float*> fixed_data_;   // per value: weight/constant data, else null
  std::vector<int64_t> arena_floats_;      // per value: offset in the arena in floats, or -1
  std::vector<std::unique_ptr<Kernel>> kernels_;    // per node (null for aliasing reshapes)
  mutable std::mutex arena_mutex_;
  mutable std::vector<std::unique_ptr<Arena>> free_arenas_;
};

}  // namespace litevit::runtime
