#include "runtime/plan.h"

#include <fmt/format.h>

#include <omp.h>

#include <algorithm>
#include <chrono>

#include "litevit/error.h"
#include "runtime/fold_constants.h"
#include "runtime/kernels/registry.h"
#include "util/check.h"

namespace litevit::runtime {

Plan::Plan(graph::Graph graph, const CompileOptions& options) : graph_(std::move(graph)) {
  graph::verify(graph_);
  for (const graph::Node& node : graph_.nodes()) {
    for (graph::ValueId in : node.inputs) {
      const graph::Value& v = graph_.value(in);
      if (v.kind == graph::ValueKind::kParameter || v.kind == graph::ValueKind::kConstant) {
        LITEVIT_ASSERT(v.data && static_cast<int64_t>(v.data->size()) == graph::shape_numel(v.shape),
                       "parameter or constant without data of its shape");
      }
    }
  }
  threads_ = std::max(1, options.threads);
  check_kernel_names(options.disabled_kernels);
  fold_constants(graph_);   // before planning memory: folded values need no arena space
  memory_ = passes::plan_memory(graph_);
  for (size_t v = 0; v < graph_.values().size(); ++v) {
    const graph::Value& value = graph_.values()[v];
    fixed_data_.push_back(value.data ? value.data->data() : nullptr);
    arena_floats_.push_back(memory_.offset[v] >= 0 ? memory_.offset[v] / static_cast<int64_t>(sizeof(float)) : -1);
  }
  for (const graph::Node& node : graph_.nodes()) {
    LITEVIT_ASSERT(arena_floats_[static_cast<size_t>(node.output)] >= 0, "node output outside the arena");
  }
  // Kernels are made in node order; a weight's fp32 data is dropped as soon
  // as its last reader's kernel exists, if every reader packed it
  // (Kernel::packed_input). So the fp32 and packed copies of all the weights
  // are never resident together (BEiT-base: peak RSS 1103 -> 430 MiB).
  std::vector<int32_t> last_reader(graph_.values().size(), -1);
  for (size_t n = 0; n < graph_.nodes().size(); ++n) {
    for (graph::ValueId in : graph_.nodes()[n].inputs) last_reader[static_cast<size_t>(in)] = static_cast<int32_t>(n);
  }
  std::vector<bool> read_at_run(graph_.values().size(), false);
  for (const auto& [name, id] : graph_.outputs()) read_at_run[static_cast<size_t>(id)] = true;   // copied out by run()
  auto release_if_packed = [&](size_t v) {
    graph::Value& value = graph_.value(static_cast<graph::ValueId>(v));
    const bool weight = value.kind == graph::ValueKind::kParameter || value.kind == graph::ValueKind::kConstant;
    if (weight && value.data && !read_at_run[v]) {
      value.data.reset();
      fixed_data_[v] = nullptr;
    }
  };
  for (size_t v = 0; v < graph_.values().size(); ++v) {
    if (last_reader[v] < 0) release_if_packed(v);   // read by no node (folded into a constant)
  }
  const CompileContext context{.graph = graph_, .threads = threads_};
  for (size_t n = 0; n < graph_.nodes().size(); ++n) {
    kernels_.push_back(memory_.is_alias[n] ? nullptr : make_kernel(context, graph_.nodes()[n], options.reference_kernels,
                                                                        options.disabled_kernels));
    const auto& inputs = graph_.nodes()[n].inputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto v = static_cast<size_t>(inputs[i]);
      if (!kernels_[n] || !kernels_[n]->packed_input(i)) read_at_run[v] = true;
    }
    for (graph::ValueId in : inputs) {
      if (last_reader[static_cast<size_t>(in)] == static_cast<int32_t>(n)) release_if_packed(static_cast<size_t>(in));
    }
  }
}

std::vector<std::string> Plan::kernel_names() const {
  std::vector<std::string> names;
  for (const auto& kernel : kernels_) names.emplace_back(kernel ? kernel->name() : "view");
  return names;
}

std::unique_ptr<Plan::Arena> Plan::acquire_arena() const {
  {
    std::lock_guard lock(arena_mutex_);
    if (!free_arenas_.empty()) {
      auto arena = std::move(free_arenas_.back());
      free_arenas_.pop_back();
      return arena;
    }
  }
  constexpr size_t kAlignFloats = passes::MemoryPlan::kAlignment / sizeof(float);
  auto arena = std::make_unique<Arena>();
  arena->storage.reset(new float[static_cast<size_t>(memory_.arena_bytes) / sizeof(float) + kAlignFloats]);
  const auto address = reinterpret_cast<uintptr_t>(arena->storage.get());
  const uintptr_t aligned = (address + passes::MemoryPlan::kAlignment - 1) & ~uintptr_t{passes::MemoryPlan::kAlignment - 1};
  arena->base = arena->storage.get() + (aligned - address) / sizeof(float);
  return arena;
}

void Plan::release_arena(std::unique_ptr<Arena> arena) const {
  std::lock_guard lock(arena_mutex_);
  free_arenas_.push_back(std::move(arena));
}

std::vector<std::pair<std::string, Tensor>> Plan::run(const std::vector<const Tensor*>& inputs,
                                                      std::vector<double>* node_seconds) const {
  omp_set_num_threads(threads_);   // oneDNN primitives were created for this many
  const auto& graph_inputs = graph_.inputs();
  if (inputs.size() != graph_inputs.size()) {
    throw Error(fmt::format("running model: got {} inputs, expected {}", inputs.size(), graph_inputs.size()));
  }
  std::vector<const float*> data = fixed_data_;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const graph::Value& value = graph_.value(graph_inputs[i]);
    if (inputs[i]->shape != value.shape || inputs[i]->numel() != static_cast<int64_t>(inputs[i]->data.size())) {
      throw Error(fmt::format("running model: input '{}' has shape {} ({} values), expected {}", value.name,
                              graph::shape_str(inputs[i]->shape), inputs[i]->data.size(),
                              graph::shape_str(value.shape)));
    }
    data[static_cast<size_t>(graph_inputs[i])] = inputs[i]->data.data();
  }
  std::unique_ptr<Arena> arena = acquire_arena();
  for (size_t v = 0; v < data.size(); ++v) {
    if (arena_floats_[v] >= 0) data[v] = arena->base + arena_floats_[v];
  }
  std::vector<InputView> views;
  for (size_t n = 0; n < graph_.nodes().size(); ++n) {
    if (!kernels_[n]) continue;   // a reshape sharing its input's bytes
    const graph::Node& node = graph_.nodes()[n];
    const auto out = static_cast<size_t>(node.output);
    views.clear();
    for (graph::ValueId in : node.inputs) {
      views.push_back({data[static_cast<size_t>(in)], &graph_.value(in).shape});
    }
    const auto start = node_seconds ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    float* output = arena->base + arena_floats_[out];   // every node output lives in the arena
    kernels_[n]->run({node, views, output, graph_.values()[out].shape, threads_});
    if (node_seconds) {
      (*node_seconds)[n] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  std::vector<std::pair<std::string, Tensor>> results;
  for (const auto& [name, id] : graph_.outputs()) {
    const graph::Value& value = graph_.value(id);
    const float* src = data[static_cast<size_t>(id)];
    results.emplace_back(name, Tensor{value.shape, std::vector<float>(src, src + graph::shape_numel(value.shape))});
  }
  release_arena(std::move(arena));
  return results;
}

}  // namespace litevit::runtime
