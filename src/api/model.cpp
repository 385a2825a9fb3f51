// The public API (include/litevit/litevit.h) on top of the layers:
// models (config -> graph), passes, runtime (bind weights, compile, run).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "graph/graph.h"
#include "io/safetensors.h"
#include "litevit/litevit.h"
#include "models/registry.h"
#include "passes/pipeline.h"
#include "runtime/bind_weights.h"
#include "runtime/fold_constants.h"
#include "runtime/kernels/registry.h"
#include "runtime/plan.h"
#include "runtime/system.h"

namespace litevit {

struct Model::Impl {
  models::ModelConfig config;
  Options options;
  std::shared_ptr<const io::SafetensorsFile> weights_file;
  bool random_weights = false;
  uint64_t random_seed = 0;

  std::mutex mutex;                          // guards the caches below
  runtime::WeightCache weight_cache;         // fp32 weights shared by the compiled shapes (weakly)
  std::map<graph::Shape, std::shared_ptr<const runtime::Plan>> plans;

  runtime::CompileOptions compile_options() const {
    return {.reference_kernels = options.reference_kernels,
            .threads = options.threads > 0 ? options.threads : default_threads(),
            .disabled_kernels = {options.disabled_kernels.begin(), options.disabled_kernels.end()}};
  }

  passes::PassOptions pass_options() const {
    return {.disabled = {options.disabled_passes.begin(), options.disabled_passes.end()},
            .verbose = options.verbose};
  }

  std::shared_ptr<const runtime::Plan> plan_for(const graph::Shape& shape) {
    std::lock_guard lock(mutex);
    if (auto it = plans.find(shape); it != plans.end()) return it->second;
    if (!weights_file && !random_weights) {
      throw Error(fmt::format("running {}: no weights loaded (load_weights or use_random_weights)",
                              config.display_name()));
    }
    auto plan = compile(models::build_graph(config, shape), &weight_cache);
    plans[shape] = plan;
    return plan;
  }

  // Binds the loaded weights (random ones when none are loaded), runs the
  // passes and picks kernels. Binding comes first, against the graph as
  // built, so the key check sees every parameter whatever the passes remove,
  // and the passes see the data they fold. Weight-only nodes are folded
  // before the passes too, so a reshaped or gathered parameter (a [C,1,1]
  // layer scale, a relative-position bias) is a constant to them.
  std::shared_ptr<const runtime::Plan> compile(graph::Graph graph, runtime::WeightCache* cache) const {
    if (weights_file) runtime::bind_weights(graph, *weights_file, cache);
    else runtime::bind_random_weights(graph, random_seed);
    runtime::fold_constants(graph);
    passes::run_passes(graph, pass_options());
    return std::make_shared<const runtime::Plan>(std::move(graph), compile_options());
  }
};

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

Model Model::load(const std::string& model, const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->config = models::resolve_model(model);
  impl->options = options;
  passes::PassOptions check = impl->pass_options();
  graph::Graph empty;
  passes::run_passes(empty, check);   // rejects unknown pass names now, not at the first run
  runtime::check_kernel_names(impl->compile_options().disabled_kernels);   // and unknown kernel names
  return Model(std::move(impl));
}

void Model::load_weights(const std::string& path) {
  auto file = io::SafetensorsFile::open(path);
  std::lock_guard lock(impl_->mutex);
  impl_->weights_file = std::move(file);
  impl_->random_weights = false;
  impl_->weight_cache.clear();
  impl_->plans.clear();
}

void Model::use_random_weights(uint64_t seed) {
  std::lock_guard lock(impl_->mutex);
  impl_->weights_file.reset();
  impl_->random_weights = true;
  impl_->random_seed = seed;
  impl_->weight_cache.clear();
  impl_->plans.clear();
}

const std::string& Model::name() const {
  return impl_->config.timm_name.empty() ? impl_->config.family : impl_->config.timm_name;
}

std::vector<int64_t> Model::default_input_shape(int64_t batch) const {
  const auto chw = models::default_input(impl_->config);
  return {batch, chw[0], chw[1], chw[2]};
}

ModelInfo Model::info(const std::vector<int64_t>& input_shape, bool compiled) const {
  graph::Graph graph = models::build_graph(impl_->config, input_shape);
  ModelInfo info;
  info.name = name();
  info.family = impl_->config.family;
  info.config_json = nlohmann::json{{"family", impl_->config.family},
                                    {"timm_name", impl_->config.timm_name},
                                    {"kwargs", impl_->config.resolved_kwargs}}
                         .dump();
  info.params = graph::total_params(graph);
  info.macs = graph::total_macs(graph);   // before passes: folding must not change the count
  for (graph::ValueId id : graph.inputs()) info.inputs.push_back({graph.value(id).name, graph.value(id).shape});
  for (const auto& [out_name, id] : graph.outputs()) info.outputs.push_back({out_name, graph.value(id).shape});
  if (!compiled) {
    passes::run_passes(graph, impl_->pass_options());
    info.nodes = static_cast<int64_t>(graph.nodes().size());
    info.graph_dump = graph::dump(graph);
    return info;
  }
  const auto plan = impl_->compile(std::move(graph), nullptr);
  const std::vector<std::string> kernels = plan->kernel_names();
  info.nodes = static_cast<int64_t>(plan->graph().nodes().size());
  info.graph_dump = graph::dump(plan->graph(), &kernels);
  info.arena_bytes = plan->memory_plan().arena_bytes;
  info.threads = plan->threads();
  const auto& nodes = plan->graph().nodes();
  for (size_t n = 0; n < nodes.size(); ++n) {
    info.node_kernels.push_back({std::string(graph::op_name(nodes[n].op)), nodes[n].module_path, kernels[n]});
  }
  return info;
}

void Model::prepare(const std::vector<int64_t>& input_shape) { impl_->plan_for(input_shape); }

Model::Profile Model::profile(const Tensor& input, const ProfileOptions& options) {
  const auto plan = impl_->plan_for(input.shape);
  const graph::Graph& graph = plan->graph();
  const std::vector<std::string> kernels = plan->kernel_names();
  for (int r = 0; r < options.warmup; ++r) plan->run({&input});
  std::vector<std::vector<double>> per_run(graph.nodes().size());
  const auto start = std::chrono::steady_clock::now();
  int runs = 0;
  while (runs < std::max(1, options.min_runs) ||
         std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < options.min_seconds) {
    std::vector<double> seconds(graph.nodes().size(), 0.0);
    plan->run({&input}, &seconds);
    for (size_t n = 0; n < seconds.size(); ++n) per_run[n].push_back(seconds[n]);
    ++runs;
  }
  Profile profile{.nodes = {}, .runs = runs};
  for (size_t n = 0; n < graph.nodes().size(); ++n) {
    const graph::Node& node = graph.nodes()[n];
    std::vector<double>& t = per_run[n];
    std::nth_element(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end());
    profile.nodes.push_back({std::string(graph::op_name(node.op)), node.module_path, kernels[n],
                             graph.value(node.output).shape, graph::node_macs(graph, node), t[t.size() / 2] * 1e3});
  }
  return profile;
}

std::vector<std::pair<std::string, Tensor>> Model::run(const Tensor& input) {
  if (input.numel() != static_cast<int64_t>(input.data.size())) {
    throw Error(fmt::format("running {}: input has shape {} but {} values", name(), graph::shape_str(input.shape),
                            input.data.size()));
  }
  return impl_->plan_for(input.shape)->run({&input});
}

std::vector<VariantInfo> list_variants() {
  std::vector<VariantInfo> variants;
  for (const models::Family& family : models::families()) {
    for (const models::Variant& variant : family.variants) {
      const auto chw = family.default_input(variant.kwargs);
      variants.push_back({variant.name, family.name, {chw[0], chw[1], chw[2]}});
    }
  }
  return variants;
}

std::vector<std::string> nearest_variant_names(const std::string& name) { return models::nearest_names(name); }

std::vector<std::string> pass_names() { return passes::pass_names(); }

std::vector<std::string> kernel_names() { return runtime::fast_kernel_names(); }

std::string system_info() {
  return fmt::format("SIMD target (Highway dispatch): {}\noneDNN: {}\nthreads: {} by default ({} physical cores; "
                     "LITEVIT_NUM_THREADS overrides)\nfast kernels, in the order tried (--disable-kernel NAME): {}",
                     runtime::simd_target_name(), runtime::onednn_description(), default_threads(), physical_cores(),
                     fmt::join(kernel_names(), ", "));
}

int default_threads() {
  if (const char* env = std::getenv("LITEVIT_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return physical_cores();
}

int physical_cores() {
  // Distinct (package, core) pairs in sysfs; logical CPUs if sysfs says nothing.
  std::set<std::pair<std::string, std::string>> cores;
  for (unsigned cpu = 0; cpu < 4096; ++cpu) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu{}/topology/", cpu);
    std::ifstream core(dir + "core_id"), package(dir + "physical_package_id");
    if (!core) break;
    std::string core_id, package_id;
    core >> core_id;
    package >> package_id;
    cores.emplace(package_id, core_id);
  }
  if (!cores.empty()) return static_cast<int>(cores.size());
  return std::max(1u, std::thread::hardware_concurrency());
}

double relative_error(const Tensor& out, const Tensor& ref) {
  if (out.shape != ref.shape || out.data.size() != ref.data.size()) {
    throw Error(fmt::format("comparing tensors: shapes {} and {} differ", graph::shape_str(out.shape),
                            graph::shape_str(ref.shape)));
  }
  double max_diff = 0.0, max_ref = 0.0;
  for (size_t i = 0; i < ref.data.size(); ++i) {
    const double diff = std::abs(static_cast<double>(out.data[i]) - ref.data[i]);
    if (std::isnan(diff)) return INFINITY;   // std::max would skip a NaN and call the output fine
    max_diff = std::max(max_diff, diff);
    max_ref = std::max(max_ref, std::abs(static_cast<double>(ref.data[i])));
  }
  return max_ref > 0.0 ? max_diff / max_ref : max_diff;
}

Tensor load_tensor(const std::string& path, const std::string& name) {
  auto file = io::SafetensorsFile::open(path);
  const io::TensorInfo* tensor = file->find(name);
  if (tensor == nullptr) {
    std::vector<std::string> names;
    for (const io::TensorInfo& t : file->tensors()) names.push_back(t.name);
    throw Error(fmt::format("reading tensor '{}' from '{}': no such tensor (the file has: {})", name, path,
                            fmt::join(names, ", ")));
  }
  return Tensor{tensor->shape, file->read_f32(*tensor)};
}

void save_tensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  std::vector<io::TensorToWrite> to_write;
  for (const auto& [name, tensor] : tensors) {
    to_write.push_back({name, io::DType::F32, tensor.shape, tensor.data.data()});
  }
  io::write_safetensors(path, to_write, {{"format", "pt"}, {"producer", "litevit"}});
}

}  // namespace litevit
