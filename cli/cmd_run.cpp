// litevit run MODEL --weights W --input IN [--output OUT] [--check REF]: runs tensor `input`
// ([N,C,H,W] fp32) of IN and writes the model's outputs ("features",
// "logits") to OUT, both safetensors files. --check REF compares each output
// with the tensor of the same name in REF (a reference case's io.safetensors):
// err = max|out - ref| / max|ref| must be <= --tolerance, else exit code 1.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "commands.h"
#include "litevit/litevit.h"

namespace litevit::cli {
namespace {

void check_outputs(const std::vector<std::pair<std::string, Tensor>>& outputs, const std::string& reference,
                   double tolerance) {
  std::vector<std::string> failed;
  for (const auto& [name, out] : outputs) {
    const Tensor ref = load_tensor(reference, name);
    if (ref.shape != out.shape) {
      throw Error(fmt::format("checking '{}' against '{}': shape [{}], reference has [{}]", name, reference,
                              fmt::join(out.shape, ","), fmt::join(ref.shape, ",")));
    }
    const double err = relative_error(out, ref);
    fmt::print("{}: max|out - ref| / max|ref| = {:.3e} ({})\n", name, err, err <= tolerance ? "ok" : "FAILED");
    if (!(err <= tolerance)) failed.push_back(name);
  }
  if (!failed.empty()) {
    throw Error(fmt::format("checking against '{}': {} exceed the tolerance {:g}", reference, fmt::join(failed, ", "),
                            tolerance));
  }
}

}  // namespace

Command add_run_command(CLI::App& app) {
  struct Args {
    std::string model, weights, input, output, input_name = "input", check;
    double tolerance = 1e-4;
    bool reference = false;
    std::vector<std::string> disabled_passes, disabled_kernels;
    bool verbose = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("run", "Run a model on a tensor from a safetensors file");
  cmd->add_option("model", args->model, "Variant name or JSON config (file or text)")->required();
  cmd->add_option("--weights", args->weights, "Weights: a safetensors state_dict with timm's keys")->required();
  cmd->add_option("--input", args->input, "safetensors file holding the input tensor")->required();
  cmd->add_option("--input-name", args->input_name, "Name of the input tensor in --input")->capture_default_str();
  cmd->add_option("--output", args->output, "safetensors file to write the outputs to (needed unless --check)");
  cmd->add_option("--check", args->check, "Compare the outputs with the same-named tensors of this file");
  cmd->add_option("--tolerance", args->tolerance, "Largest relative error --check accepts")->capture_default_str();
  cmd->add_flag("--reference", args->reference, "Run every op on its reference kernel");
  cmd->add_option("--disable-pass", args->disabled_passes, "Skip a graph pass (repeatable)");
  cmd->add_option("--disable-kernel", args->disabled_kernels, "Use the next kernel instead of this fast kernel (repeatable; names: litevit info --system)");
  cmd->add_flag("--verbose", args->verbose, "Log graph passes");
  return [args] {
    if (args->output.empty() && args->check.empty()) {
      throw Error("run: nothing to do with the outputs: give --output FILE to write them, or --check REF to compare them");
    }
    Model model = Model::load(args->model, {.reference_kernels = args->reference,
                                            .disabled_passes = args->disabled_passes,
                                            .disabled_kernels = args->disabled_kernels,
                                            .verbose = args->verbose});
    model.load_weights(args->weights);
    const Tensor input = load_tensor(args->input, args->input_name);
    const auto outputs = model.run(input);
    if (!args->output.empty()) save_tensors(args->output, outputs);
    if (!args->check.empty()) check_outputs(outputs, args->check, args->tolerance);
  };
}

}  // namespace litevit::cli
