#include "runtime/fold_constants.h"

#include "runtime/kernels/registry.h"

namespace litevit::runtime {

int fold_constants(graph::Graph& graph) {
  std::vector<graph::Node> kept;
  int folded = 0;
  for (const graph::Node& node : graph.nodes()) {
    bool known = true;
    for (graph::ValueId in : node.inputs) known = known && graph.value(in).data != nullptr;
    bool is_output = false;
    for (const auto& [name, id] : graph.outputs()) is_output = is_output || id == node.output;
    if (!known || is_output) {
      kept.push_back(node);
      continue;
    }
    std::vector<InputView> views;
    for (graph::ValueId in : node.inputs) views.push_back({graph.value(in).data->data(), &graph.value(in).shape});
    graph::Value& out = graph.value(node.output);
    auto data = std::make_shared<std::vector<float>>(static_cast<size_t>(graph::shape_numel(out.shape)));
    reference_kernel_fn(node.op)({node, views, data->data(), out.shape, 1});
    out.kind = graph::ValueKind::kConstant;
    out.producer = -1;
    out.data = std::move(data);
    ++folded;
  }
  if (folded > 0) graph.replace_nodes(std::move(kept));
  return folded;
}

}  // namespace litevit::runtime
