// A compiled graph: one kernel per node, weights bound, ready to run.
// A Plan is immutable once built; run() allocates its own buffers, so one
// plan can be run from several threads at once.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph.h"
#include "litevit/tensor.h"
#include "runtime/bind_weights.h"
#include "runtime/kernels/kernel.h"

namespace litevit::runtime {

struct CompileOptions {
  bool reference_kernels = false;   // run every op on its reference kernel
  int threads = 1;                  // threads a run uses (fixed per plan: oneDNN bakes it in)
};

class Plan {
 public:
  // Every parameter and constant of `graph` must carry its data (bind_weights).
  Plan(graph::Graph graph, const CompileOptions& options);

  const graph::Graph& graph() const { return graph_; }
  int threads() const { return threads_; }
  // Kernel chosen for each node, in node order.
  std::vector<std::string> kernel_names() const;

  // Inputs in graph-input order; each must match its input's shape.
  // Returns the named outputs in graph order.
  std::vector<std::pair<std::string, Tensor>> run(const std::vector<const Tensor*>& inputs) const;

 private:
  graph::Graph graph_;
  int threads_ = 1;
  std::vector<std::unique_ptr<Kernel>> kernels_;    // per node
};

}  // namespace litevit::runtime
