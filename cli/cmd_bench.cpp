// litevit bench MODEL: load, compile and run timings of one model on a fixed
// random input; `--all` (or `--all --family F`) runs every registered variant
// and prints a table. Load time is Model::load + load_weights (or random
// weights), compile time is prepare(shape); then --warmup untimed runs and
// --runs timed runs (by default: runs until --min-time seconds have passed and
// at least 10 runs, 3 with --all). Latency is wall time (steady_clock) per
// run(); images/s = batch / median. Peak RSS is the process's high-water mark
// (getrusage), so with --all it is not per model and not reported.
// --serve (for bench/compare.py) times bursts on request instead: after the
// warmup it prints one JSON line {"ready": ...}, then for each line of stdin
// holding a run count K, K timed runs and one JSON line with their
// latencies; at the end of stdin, the usual report over all those runs. A
// process kept alive that way lets the harness alternate engines every
// fraction of a second, so the host's slow and fast phases (seconds long on
// a shared machine) fall on both engines alike.
// Side-by-side comparisons with ONNX Runtime and PyTorch live in bench/.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>

#include "commands.h"
#include "litevit/litevit.h"
#include "shape_option.h"

namespace litevit::cli {
namespace {

struct BenchArgs {
  std::string model, weights, input_shape, family;
  int64_t batch = 1;
  int threads = 0;
  int runs = 0;          // 0: time-based (min_time and at least min_runs)
  int warmup = -1;       // -1: 3, or 1 with --all
  double min_time = -1;  // seconds; -1: 1.0, or 0.5 with --all
  bool json = false, reference = false, all = false, serve = false;
  std::vector<std::string> disabled_passes, disabled_kernels;
};

struct BenchResult {
  std::string model, family;
  std::vector<int64_t> input_shape;
  int threads = 0;
  int64_t params = 0, macs = 0, nodes = 0;
  double load_ms = 0, compile_ms = 0;
  std::vector<double> latencies_ms;   // timed runs, in run order
};

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;   // Linux reports KiB
}

Tensor random_input(const std::vector<int64_t>& shape) {
  Tensor input{shape, {}};
  input.data.resize(static_cast<size_t>(input.numel()));
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& x : input.data) x = normal(rng);
  return input;
}

// --serve: a ready line, then per line of stdin (a run count K, 1..1e6;
// blank lines are skipped) K timed runs and a line {"latencies_ms": [...]}.
// Returns at the end of stdin. A line that is not a run count is an error
// that names it.
template <typename TimedRun>
void serve_bursts(BenchResult& r, const TimedRun& timed_run) {
  fmt::print("{}\n", nlohmann::json{{"ready", true}, {"load_ms", r.load_ms}, {"compile_ms", r.compile_ms}}.dump());
  std::fflush(stdout);
  std::string line;
  for (int line_number = 1; std::getline(std::cin, line); ++line_number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    size_t used = 0;
    long long count = 0;
    try {
      count = std::stoll(line, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || line.find_first_not_of(" \t\r", used) != std::string::npos || count < 1 || count > 1000000) {
      throw Error(fmt::format("bench --serve: stdin line {} is '{}', not a run count (1 to 1000000)", line_number, line));
    }
    const size_t first = r.latencies_ms.size();
    for (long long i = 0; i < count; ++i) timed_run();
    const std::vector<double> burst(r.latencies_ms.begin() + static_cast<std::ptrdiff_t>(first), r.latencies_ms.end());
    fmt::print("{}\n", nlohmann::json{{"latencies_ms", burst}}.dump());
    std::fflush(stdout);
  }
}

BenchResult bench_one(const std::string& model_spec, const BenchArgs& args, int warmup, double min_time,
                      int min_runs) {
  BenchResult r;
  r.threads = args.threads > 0 ? args.threads : default_threads();
  const Options options{.threads = r.threads, .reference_kernels = args.reference,
                        .disabled_passes = args.disabled_passes, .disabled_kernels = args.disabled_kernels};

  auto start = Clock::now();
  Model model = Model::load(model_spec, options);
  if (args.weights.empty()) model.use_random_weights(0);
  else model.load_weights(args.weights);
  r.load_ms = ms_since(start);

  r.input_shape = args.input_shape.empty() ? model.default_input_shape(args.batch)
                                           : parse_shape_option("--input-shape", args.input_shape);
  start = Clock::now();
  model.prepare(r.input_shape);
  r.compile_ms = ms_since(start);

  const ModelInfo info = model.info(r.input_shape);
  r.model = info.name;
  r.family = info.family;
  r.params = info.params;
  r.macs = info.macs;
  r.nodes = info.nodes;

  const Tensor input = random_input(r.input_shape);
  for (int i = 0; i < warmup; ++i) model.run(input);
  const auto timed_run = [&] {
    const auto run_start = Clock::now();
    model.run(input);
    r.latencies_ms.push_back(ms_since(run_start));
  };
  if (args.serve) {
    serve_bursts(r, timed_run);
    return r;
  }
  const auto timed_start = Clock::now();
  while (args.runs > 0 ? static_cast<int>(r.latencies_ms.size()) < args.runs
                       : static_cast<int>(r.latencies_ms.size()) < min_runs || ms_since(timed_start) < 1e3 * min_time) {
    timed_run();
  }
  return r;
}

// The report; the latency fields (median_ms ... images_per_s) only when
// there were timed runs (--serve with no bursts has none).
nlohmann::json to_json(const BenchResult& r, const BenchArgs& args, int warmup) {
  nlohmann::json j = {
      {"model", r.model},
      {"family", r.family},
      {"input_shape", r.input_shape},
      {"batch", r.input_shape.empty() ? 0 : r.input_shape[0]},
      {"threads", r.threads},
      {"reference_kernels", args.reference},
      {"disabled_passes", args.disabled_passes},
      {"disabled_kernels", args.disabled_kernels},
      {"weights", args.weights.empty() ? "random" : args.weights},
      {"warmup", warmup},
      {"runs", r.latencies_ms.size()},
      {"load_ms", r.load_ms},
      {"compile_ms", r.compile_ms},
      {"params", r.params},
      {"macs", r.macs},
      {"gmacs", static_cast<double>(r.macs) / 1e9},
      {"nodes", r.nodes},
  };
  if (!r.latencies_ms.empty()) {
    const double med = median(r.latencies_ms);
    j["median_ms"] = med;
    j["min_ms"] = *std::min_element(r.latencies_ms.begin(), r.latencies_ms.end());
    j["max_ms"] = *std::max_element(r.latencies_ms.begin(), r.latencies_ms.end());
    j["mean_ms"] = std::accumulate(r.latencies_ms.begin(), r.latencies_ms.end(), 0.0) /
                   static_cast<double>(r.latencies_ms.size());
    j["images_per_s"] = med > 0 ? static_cast<double>(r.input_shape[0]) / (med / 1e3) : 0.0;
  }
  return j;
}

void print_one(const nlohmann::json& j) {
  fmt::print("model:       {} (family {}), input [{}], {} weights\n", j["model"].get<std::string>(),
             j["family"].get<std::string>(), fmt::join(j["input_shape"].get<std::vector<int64_t>>(), ","),
             j["weights"].get<std::string>() == "random" ? "random" : "loaded");
  fmt::print("threads:     {}, {} kernels\n", j["threads"].get<int>(),
             j["reference_kernels"].get<bool>() ? "reference" : "fast");
  fmt::print("params:      {:.3f} M\n", j["params"].get<double>() / 1e6);
  fmt::print("GMACs:       {:.3f}\n", j["gmacs"].get<double>());
  fmt::print("load:        {:.1f} ms\n", j["load_ms"].get<double>());
  fmt::print("compile:     {:.1f} ms\n", j["compile_ms"].get<double>());
  fmt::print("latency:     median {:.3f} ms, min {:.3f}, max {:.3f} ({} runs after {} warmup)\n",
             j["median_ms"].get<double>(), j["min_ms"].get<double>(), j["max_ms"].get<double>(),
             j["runs"].get<int>(), j["warmup"].get<int>());
  fmt::print("throughput:  {:.1f} images/s\n", j["images_per_s"].get<double>());
  fmt::print("peak RSS:    {:.1f} MiB\n", j["peak_rss_mb"].get<double>());
}

void bench_single(const BenchArgs& args) {
  const int warmup = args.warmup >= 0 ? args.warmup : 3;
  const BenchResult r = bench_one(args.model, args, warmup, args.min_time >= 0 ? args.min_time : 1.0, 10);
  nlohmann::json j = to_json(r, args, warmup);
  j["peak_rss_mb"] = peak_rss_mb();
  if (args.json || args.serve) fmt::print("{}\n", j.dump());
  else print_one(j);
}

void bench_all(const BenchArgs& args) {
  std::vector<VariantInfo> variants;
  std::set<std::string> families;
  for (const VariantInfo& v : list_variants()) {
    families.insert(v.family);
    if (args.family.empty() || v.family == args.family) variants.push_back(v);
  }
  if (variants.empty()) {
    throw Error(fmt::format("bench --family '{}': no such family (known: {})", args.family, fmt::join(families, ", ")));
  }
  const int warmup = args.warmup >= 0 ? args.warmup : 1;
  const double min_time = args.min_time >= 0 ? args.min_time : 0.5;
  std::vector<nlohmann::json> rows;
  std::vector<std::string> failed;
  for (size_t i = 0; i < variants.size(); ++i) {
    const VariantInfo& v = variants[i];
    fmt::print(stderr, "[{}/{}] {} ...", i + 1, variants.size(), v.name);
    std::fflush(stderr);
    try {
      const BenchResult r = bench_one(v.name, args, warmup, min_time, 3);
      rows.push_back(to_json(r, args, warmup));
      fmt::print(stderr, " {:.2f} ms\n", rows.back()["median_ms"].get<double>());
    } catch (const Error& e) {
      fmt::print(stderr, " failed: {}\n", e.what());
      rows.push_back({{"model", v.name}, {"family", v.family}, {"error", e.what()}});
      failed.push_back(v.name);
    }
  }
  if (args.json) {
    fmt::print("{}\n", nlohmann::json{{"models", rows}, {"peak_rss_mb", peak_rss_mb()}}.dump());
  } else {
    fmt::print("{:<12} {:<34} {:>10} {:>8} {:>11} {:>10}\n", "family", "model", "params (M)", "GMACs", "median ms",
               "images/s");
    for (const nlohmann::json& row : rows) {
      if (row.contains("error")) {
        fmt::print("{:<12} {:<34} failed (see above)\n", row["family"].get<std::string>(), row["model"].get<std::string>());
        continue;
      }
      fmt::print("{:<12} {:<34} {:>10.2f} {:>8.3f} {:>11.2f} {:>10.1f}\n", row["family"].get<std::string>(),
                 row["model"].get<std::string>(), row["params"].get<double>() / 1e6, row["gmacs"].get<double>(),
                 row["median_ms"].get<double>(), row["images_per_s"].get<double>());
    }
    fmt::print("threads {}, {} kernels, batch {}, warmup {}, {}\n",
               args.threads > 0 ? args.threads : default_threads(), args.reference ? "reference" : "fast",
               args.batch, warmup,
               args.runs > 0 ? fmt::format("{} timed runs", args.runs)
                             : fmt::format("timed runs for {:g} s (at least 3)", min_time));
  }
  if (!failed.empty()) {
    throw Error(fmt::format("bench --all: {} of {} models failed: {}", failed.size(), variants.size(),
                            fmt::join(failed, ", ")));
  }
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand("bench", "Time loading, compiling and running a model (or --all of them)");
  auto* model = cmd->add_option("model", args->model, "Variant name or JSON config (file or text)");
  auto* all = cmd->add_flag("--all", args->all, "Benchmark every registered variant and print a table");
  all->excludes(model);
  cmd->add_option("--family", args->family, "With --all: only this family")->needs(all);
  cmd->add_option("--weights", args->weights, "safetensors state_dict (default: random weights)")->excludes(all);
  auto* batch = cmd->add_option("--batch", args->batch, "Batch size at the default resolution")
                    ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))->capture_default_str();
  cmd->add_option("--input-shape", args->input_shape, "Input shape N,C,H,W (default: the model's, --batch)")
      ->excludes(batch)->excludes(all);
  cmd->add_option("--threads", args->threads, "Threads per run (default: LITEVIT_NUM_THREADS or physical cores)")
      ->check(CLI::Range(1, 4096));
  auto* runs = cmd->add_option("--runs", args->runs, "Timed runs (default: for --min-time, at least 10; 3 with --all)")
      ->check(CLI::Range(1, 100000000));
  auto* min_time = cmd->add_option("--min-time", args->min_time, "Seconds of timed runs when --runs is not given (default 1, 0.5 with --all)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--warmup", args->warmup, "Untimed runs before timing (default 3, 1 with --all)")
      ->check(CLI::Range(0, 100000000));
  cmd->add_flag("--json", args->json, "Print one JSON object instead of text");
  cmd->add_flag("--serve", args->serve,
                "After the warmup, time bursts on request (bench/compare.py): per line of stdin with a run count, "
                "that many runs and a JSON line of their latencies; at the end of stdin, the JSON report")
      ->excludes(all)->excludes(runs)->excludes(min_time);
  cmd->add_flag("--reference", args->reference, "Run every op on its reference kernel");
  cmd->add_option("--disable-pass", args->disabled_passes, "Skip a graph pass (repeatable)");
  cmd->add_option("--disable-kernel", args->disabled_kernels, "Use the next kernel instead of this fast kernel (repeatable; names: litevit info --system)");
  return [args] {
    if (args->all) bench_all(*args);
    else if (args->model.empty()) throw Error("bench: give a MODEL, or --all");
    else bench_single(*args);
  };
}

}  // namespace litevit::cli
