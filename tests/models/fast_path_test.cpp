// No registered family runs an op on a reference kernel on the fast path:
// for the first variant of every family (list_variants(), so families added
// later are covered without touching this file), default input, random
// weights, every pass, 1 thread: compile (no run) and check every node's kernel.
// A family whose op has no fast kernel for its attributes or layout fails
// here, naming the model, the node and the op, instead of silently running
// plain loops.
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "litevit/litevit.h"

namespace {

TEST(FastPath, NoFamilyRunsAReferenceKernel) {
  std::set<std::string> families_seen;
  std::vector<std::string> checked;
  for (const litevit::VariantInfo& variant : litevit::list_variants()) {
    if (!families_seen.insert(variant.family).second) continue;   // first variant of each family
    SCOPED_TRACE(variant.name);
    litevit::Model model = litevit::Model::load(variant.name, {.threads = 1});
    model.use_random_weights(1);
    const litevit::ModelInfo info = model.info(model.default_input_shape(1), /*compiled=*/true);
    ASSERT_FALSE(info.node_kernels.empty());
    for (const litevit::NodeKernel& node : info.node_kernels) {
      EXPECT_FALSE(node.kernel.ends_with("_reference"))
          << "model " << variant.name << " (family " << variant.family << "): node '" << node.module_path
          << "' op " << node.op << " runs on " << node.kernel;
    }
    checked.push_back(variant.name);
  }
  EXPECT_FALSE(checked.empty());
  std::string list;
  for (const auto& name : checked) list += " " + name;
  std::cout << "checked" << list << "\n";
}

}  // namespace
