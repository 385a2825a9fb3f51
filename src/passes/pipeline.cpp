#include "passes/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "litevit/error.h"
#include "passes/eliminate_dead_nodes.h"

namespace litevit::passes {
namespace {

struct Pass {
  const char* name;
  bool (*run)(graph::Graph&);
};

// The pipeline, in order.
constexpr Pass kPasses[] = {
    {"eliminate_dead_nodes", eliminate_dead_nodes},
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
