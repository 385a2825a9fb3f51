// litevit info MODEL: config, parameters, MACs, inputs and outputs; --graph dumps the graph.
#include <fmt/format.h>

#include "commands.h"
#include "litevit/litevit.h"
#include "shape_option.h"

namespace litevit::cli {

Command add_info_command(CLI::App& app) {
  struct Args {
    std::string model;
    std::string input_shape;
    int64_t batch = 1;
    bool graph = false;
    bool system = false;
    std::string weights;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("info", "Describe a model: config, params, MACs, inputs and outputs");
  cmd->add_option("model", args->model, "Variant name or JSON config (file or text)");
  cmd->add_option("--input-shape", args->input_shape, "Input shape N,C,H,W (default: the model's, batch 1)");
  cmd->add_option("--batch", args->batch, "Batch size with the default resolution")->check(CLI::PositiveNumber);
  cmd->add_flag("--graph", args->graph,
                "Print the graph as it runs (weights bound, passes applied, each node with its kernel)");
  cmd->add_option("--weights", args->weights, "Weights for --graph (default: random)");
  cmd->add_flag("--system", args->system, "Print what this build runs on (SIMD target, oneDNN ISA, threads)");
  return [args] {
    if (args->system) fmt::print("{}\n", system_info());
    if (args->model.empty()) {
      if (!args->system) throw Error("info: name a model (or pass --system)");
      return;
    }
    Model model = Model::load(args->model);
    if (!args->weights.empty()) model.load_weights(args->weights);
    const auto shape = args->input_shape.empty() ? model.default_input_shape(args->batch)
                                                 : parse_shape_option("--input-shape", args->input_shape);
    const ModelInfo info = model.info(shape, args->graph);
    fmt::print("model:   {} (family {})\n", info.name, info.family);
    fmt::print("config:  {}\n", info.config_json);
    fmt::print("params:  {} ({:.3f} M; trainable parameters, BatchNorm statistics excluded)\n", info.params,
               static_cast<double>(info.params) / 1e6);
    fmt::print("MACs:    {} ({:.3f} G at this input; conv, linear and matmul multiply-adds, attention "
               "matmuls included; norms, activations, softmax and pooling not counted)\n",
               info.macs, static_cast<double>(info.macs) / 1e9);
    fmt::print("nodes:   {}\n", info.nodes);
    for (const TensorSpec& t : info.inputs) fmt::print("input:   {} [{}]\n", t.name, fmt::join(t.shape, ","));
    for (const TensorSpec& t : info.outputs) fmt::print("output:  {} [{}]\n", t.name, fmt::join(t.shape, ","));
    if (args->graph) {
      fmt::print("arena:   {:.2f} MB for the intermediate values of one run ({} threads)\n",
                 static_cast<double>(info.arena_bytes) / 1e6, info.threads);
      fmt::print("\n{}", info.graph_dump);
    }
  };
}

}  // namespace litevit::cli
