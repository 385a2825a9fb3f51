// litevit profile MODEL: where the time goes, per op kind and kernel and per
// node (median over runs), with GFLOP/s for the ops that have MACs.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>

#include "commands.h"
#include "litevit/litevit.h"
#include "shape_option.h"

namespace litevit::cli {

Command add_profile_command(CLI::App& app) {
  struct Args {
    std::string model, weights, input_shape;
    int64_t batch = 1;
    int threads = 0, runs = 20, warmup = 3, top = 15;
    double min_time = 1.0;
    bool reference = false;
    std::vector<std::string> disabled_passes, disabled_kernels;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("profile", "Time every node of a model: per op kind, kernel and node");
  cmd->add_option("model", args->model, "Variant name or JSON config (file or text)")->required();
  cmd->add_option("--weights", args->weights, "Weights (default: random)");
  cmd->add_option("--batch", args->batch, "Batch size at the default resolution")->check(CLI::PositiveNumber);
  cmd->add_option("--input-shape", args->input_shape, "Input shape N,C,H,W");
  cmd->add_option("--threads", args->threads, "Threads (default: physical cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--runs", args->runs, "Timed runs at least (median per node)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--min-time", args->min_time, "Seconds of timed runs at least")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Untimed runs before timing")
      ->check(CLI::Range(0, 100000000))
      ->capture_default_str();
  cmd->add_option("--top", args->top, "Slowest nodes to list")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_flag("--reference", args->reference, "Profile the reference kernels");
  cmd->add_option("--disable-pass", args->disabled_passes, "Skip a graph pass (repeatable)");
  cmd->add_option("--disable-kernel", args->disabled_kernels, "Use the next kernel instead of this fast kernel (repeatable; names: litevit info --system)");
  return [args] {
    Model model = Model::load(args->model, {.threads = args->threads,
                                            .reference_kernels = args->reference,
                                            .disabled_passes = args->disabled_passes,
                                            .disabled_kernels = args->disabled_kernels});
    if (args->weights.empty()) model.use_random_weights();
    else model.load_weights(args->weights);
    const auto shape = args->input_shape.empty() ? model.default_input_shape(args->batch)
                                                 : parse_shape_option("--input-shape", args->input_shape);
    Tensor input{shape, {}};
    input.data.resize(static_cast<size_t>(input.numel()));
    std::mt19937 rng(0);
    std::normal_distribution<float> normal;
    for (float& v : input.data) v = normal(rng);
    const Model::Profile profile =
        model.profile(input, {.warmup = args->warmup, .min_runs = args->runs, .min_seconds = args->min_time});
    const auto& nodes = profile.nodes;

    double total = 0.0;
    struct Group {
      int calls = 0;
      double ms = 0.0;
      int64_t macs = 0;
    };
    std::map<std::string, Group> groups;
    for (const auto& n : nodes) {
      total += n.ms;
      Group& g = groups[n.kernel];
      ++g.calls;
      g.ms += n.ms;
      g.macs += n.macs;
    }
    std::vector<std::pair<std::string, Group>> sorted(groups.begin(), groups.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    fmt::print("{}: input [{}], sum of node medians {:.3f} ms over {} runs (after {} warmup)\n\n", model.name(),
               fmt::join(shape, ","), total, profile.runs, args->warmup);
    fmt::print("{:<24} {:>6} {:>10} {:>7} {:>10}\n", "kernel", "calls", "ms", "%", "GFLOP/s");
    for (const auto& [kernel, g] : sorted) {
      const std::string rate = g.macs > 0 && g.ms > 0 ? fmt::format("{:.1f}", 2.0 * static_cast<double>(g.macs) / (g.ms * 1e6)) : "";
      fmt::print("{:<24} {:>6} {:>10.3f} {:>6.1f}% {:>10}\n", kernel, g.calls, g.ms, 100.0 * g.ms / total, rate);
    }
    if (args->top <= 0) return;
    std::vector<const Model::NodeProfile*> slowest;
    for (const auto& n : nodes) slowest.push_back(&n);
    std::sort(slowest.begin(), slowest.end(), [](const auto* a, const auto* b) { return a->ms > b->ms; });
    fmt::print("\n{:<10} {:<40} {:<22} {:<20} {:>9}\n", "ms", "module", "kernel", "output", "GFLOP/s");
    for (int i = 0; i < args->top && i < static_cast<int>(slowest.size()); ++i) {
      const auto& n = *slowest[static_cast<size_t>(i)];
      const std::string rate = n.macs > 0 && n.ms > 0 ? fmt::format("{:.1f}", 2.0 * static_cast<double>(n.macs) / (n.ms * 1e6)) : "";
      fmt::print("{:<10.4f} {:<40} {:<22} {:<20} {:>9}\n", n.ms, n.module_path.substr(0, 40), n.kernel,
                 fmt::format("[{}]", fmt::join(n.output_shape, ",")), rate);
    }
  };
}

}  // namespace litevit::cli
