#include "passes/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "litevit/error.h"
#include "passes/assign_layout.h"
#include "passes/eliminate_dead_nodes.h"
#include "passes/fold_attention_views.h"
#include "passes/fold_batchnorm.h"
#include "passes/fuse_attention.h"
#include "passes/fuse_data_movement.h"
#include "passes/fuse_epilogues.h"
#include "passes/fuse_inverted_residual.h"

namespace litevit::passes {
namespace {

struct Pass {
  const char* name;
  bool (*run)(graph::Graph&);
};

// The pipeline, in order. Names are what --disable-pass takes.
constexpr Pass kPasses[] = {
    {"eliminate_dead_nodes", eliminate_dead_nodes},
    // Folding BN first leaves conv -> act, which the layout and fusion passes expect.
    {"fold_batchnorm", fold_batchnorm},
    {"fold_transpose_into_matmul", fold_transpose_into_matmul},
    {"fold_scale_into_matmul", fold_scale_into_matmul},
    {"assign_layout", assign_layout},
    // After the layout: the permutes it left next to reshapes merge with the model's own.
    {"fuse_data_movement", fuse_data_movement},
    // After the layout and before the epilogue fusions, which would give its matmuls epilogues.
    {"fuse_attention", fuse_attention},
    // After fuse_attention: the head split/merge permutes around its ops become strided views.
    {"fold_attention_views", fold_attention_views},
    // After the layout: activations that followed a permuted conv now follow the conv itself.
    {"fuse_activation", fuse_activation},
    // After fuse_activation: the epilogue applies the activation before the residual.
    {"fuse_residual_add", fuse_residual_add},
    // After the epilogue fusions: the block's convs then carry their activations and residual.
    {"fuse_inverted_residual", fuse_inverted_residual},
    {"eliminate_dead_nodes_final", eliminate_dead_nodes},
};

}  // namespace

std::vector<std::string> pass_names() {
  std::vector<std::string> names;
  for (const Pass& pass : kPasses) names.emplace_back(pass.name);
  return names;
}

void run_passes(graph::Graph& graph, const PassOptions& options) {
  const auto names = pass_names();
  for (const std::string& name : options.disabled) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw Error(fmt::format("disabling pass '{}': no such pass (passes: {})", name, fmt::join(names, ", ")));
    }
  }
  for (const Pass& pass : kPasses) {
    if (options.disabled.contains(pass.name)) {
      if (options.verbose) std::fprintf(stderr, "pass %s: disabled\n", pass.name);
      continue;
    }
    const bool changed = pass.run(graph);
    if (options.verbose) std::fprintf(stderr, "pass %s: %s\n", pass.name, changed ? "changed" : "no change");
  }
  graph::verify(graph);
}

}  // namespace litevit::passes
