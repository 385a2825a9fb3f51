// The graph pass pipeline: one ordered list of named passes, each a
// graph-to-graph function in its own file. Any pass can be switched off by
// name (`--disable-pass NAME`).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace litevit::passes {

struct PassOptions {
  std::set<std::string> disabled;   // pass names to skip
  bool verbose = false;             // log each pass and whether it changed the graph (stderr)
};

// Names of all passes, in pipeline order.
std::vector<std::string> pass_names();

// Runs the pipeline in place. Throws litevit::Error for an unknown name in
// options.disabled, listing the known ones.
void run_passes(graph::Graph& graph, const PassOptions& options);

}  // namespace litevit::passes
