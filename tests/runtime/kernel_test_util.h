// Fast kernel vs reference kernel on the same graph: random inputs and
// parameters, one plan with reference kernels only, one with fast kernels.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <thread>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "litevit/litevit.h"
#include "runtime/bind_weights.h"
#include "runtime/kernels/registry.h"
#include "runtime/plan.h"

namespace litevit::testing_util {

struct FastVsReference {
  double max_rel_err = 0.0;                 // max over outputs of max|fast - ref| / max|ref|
  std::vector<std::string> fast_kernels;    // kernel chosen for each node on the fast path
};

inline std::vector<float> random_values(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = normal(rng);
  return v;
}

// Parameters get N(0,1) values except names ending in "running_var" (U(0.5,1.5)).
inline void bind_random_parameters(graph::Graph& g, uint32_t seed) {
  runtime::WeightMap weights;
  std::mt19937 rng(seed);
  for (graph::ValueId id : g.parameters()) {
    const graph::Value& p = g.value(id);
    auto values = random_values(graph::shape_numel(p.shape), seed++);
    if (p.name.ends_with("running_var")) {
      std::uniform_real_distribution<float> u(0.5f, 1.5f);
      for (float& v : values) v = u(rng);
    }
    weights[p.name] = std::make_shared<const std::vector<float>>(std::move(values));
  }
  runtime::bind_weight_map(g, weights);
}

// The fast plan (on `threads`, without `disabled_kernels`) against the reference plan.
inline FastVsReference compare_fast_to_reference(graph::Graph g, uint32_t seed = 1, int threads = 1,
                                                 const std::set<std::string>& disabled_kernels = {}) {
  bind_random_parameters(g, seed + 1000);
  std::vector<Tensor> inputs;
  for (graph::ValueId id : g.inputs()) {
    const graph::Shape& s = g.value(id).shape;
    inputs.push_back(Tensor{s, random_values(graph::shape_numel(s), seed++)});
  }
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(&t);
  const runtime::Plan reference(g, {.reference_kernels = true, .threads = 1});
  const runtime::Plan fast(g, {.reference_kernels = false, .threads = threads, .disabled_kernels = disabled_kernels});
  const auto want = reference.run(ptrs);
  const auto got = fast.run(ptrs);
  FastVsReference result{0.0, fast.kernel_names()};
  for (size_t o = 0; o < want.size(); ++o) {
    result.max_rel_err = std::max(result.max_rel_err, litevit::relative_error(got[o].second, want[o].second));
  }
  return result;
}

// Adds `node` (output shape inferred) as graph output "y", as the fusion
// passes leave it; with `residual`, its epilogue also adds a new graph input
// "residual" of the output's shape.
inline void add_output_node(graph::Graph& g, graph::Node node, bool residual) {
  graph::Builder b(g);
  if (residual) {
    node.inputs.push_back(b.input("residual", graph::infer_shape(g, node)));
    graph::epilogue_of(node)->residual = true;
  }
  node.output = g.add_value({.kind = graph::ValueKind::kNodeOutput,
                             .name = node.module_path + ":" + std::string(graph::op_name(node.op)),
                             .shape = graph::infer_shape(g, node)});
  const graph::ValueId y = node.output;
  g.add_node(std::move(node));
  b.output("y", y);
}

constexpr double kFastKernelTolerance = 1e-5;

// Runs `kernel` on the graph's one node: bound weights, `inputs` for the graph
// inputs in order; the output starts as NaN, so a value never written fails.
inline std::vector<float> run_single_node(const runtime::Kernel& kernel, const graph::Graph& g,
                                          const std::vector<std::vector<float>>& inputs, int threads) {
  const graph::Node& node = g.nodes().at(0);
  std::vector<runtime::InputView> views;
  size_t next_input = 0;
  for (graph::ValueId id : node.inputs) {
    const graph::Value& v = g.value(id);
    views.push_back({v.kind == graph::ValueKind::kInput ? inputs.at(next_input++).data() : v.data->data(), &v.shape});
  }
  const graph::Shape& shape = g.value(node.output).shape;
  std::vector<float> out(static_cast<size_t>(graph::shape_numel(shape)), NAN);
  kernel.run({node, views, out.data(), shape, threads});
  return out;
}

// max |got - want| / max |want| (NaN counts as infinitely wrong).
inline double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0.0, scale = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = std::abs(static_cast<double>(got[i]) - want[i]);
    err = std::isnan(e) ? INFINITY : std::max(err, e);
    scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  }
  return err / std::max(scale, 1e-30);
}

// `fast` made directly for the one node of `g` (whichever kernel a plan would
// pick) matches the reference kernel, run with each of `threads`.
inline void expect_kernel_matches_reference(const runtime::FastKernel& fast, graph::Graph g,
                                            std::initializer_list<int> threads, uint32_t seed = 5) {
  bind_random_parameters(g, seed);
  std::vector<std::vector<float>> inputs;
  for (graph::ValueId id : g.inputs()) {
    inputs.push_back(random_values(graph::shape_numel(g.value(id).shape), seed + 12 + static_cast<uint32_t>(id)));
  }
  const auto reference = runtime::make_reference_kernel(g.nodes().at(0).op);
  const std::vector<float> want = run_single_node(*reference, g, inputs, 1);
  for (int t : threads) {
    SCOPED_TRACE("threads=" + std::to_string(t));
    const auto kernel = fast.create({.graph = g, .threads = t}, g.nodes().at(0));
    EXPECT_LE(relative_error(run_single_node(*kernel, g, inputs, t), want), kFastKernelTolerance);
  }
}

// The fast plan matches the reference plan and picked exactly `kernels`.
inline void expect_fast_matches(graph::Graph g, const std::vector<std::string>& kernels, int threads = 1,
                                uint32_t seed = 1) {
  const auto result = compare_fast_to_reference(std::move(g), seed, threads);
  EXPECT_LE(result.max_rel_err, kFastKernelTolerance);
  EXPECT_EQ(result.fast_kernels, kernels);
}

// One plan (of 1, then 2 threads) run from two std::threads at once, 50 times
// each, gives the same bits as a run alone; the plan must pick `kernel`.
inline void expect_concurrent_runs_identical(graph::Graph g, const std::string& kernel) {
  bind_random_parameters(g, 11);
  std::vector<Tensor> inputs;
  uint32_t seed = 12;
  for (graph::ValueId id : g.inputs()) {
    inputs.push_back({g.value(id).shape, random_values(graph::shape_numel(g.value(id).shape), seed++)});
  }
  std::vector<const Tensor*> ptrs;
  for (const auto& t : inputs) ptrs.push_back(&t);
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads=" + std::to_string(threads));
    const runtime::Plan plan(g, {.reference_kernels = false, .threads = threads});
    ASSERT_EQ(plan.kernel_names(), std::vector<std::string>{kernel});
    const std::vector<float> want = plan.run(ptrs).at(0).second.data;
    std::array<int, 2> mismatches{};
    auto worker = [&](int index) {
      for (int i = 0; i < 50; ++i) {
        if (plan.run(ptrs).at(0).second.data != want) ++mismatches[static_cast<size_t>(index)];
      }
    };
    std::thread first(worker, 0), second(worker, 1);
    first.join();
    second.join();
    EXPECT_EQ(mismatches[0], 0);
    EXPECT_EQ(mismatches[1], 0);
  }
}

}  // namespace litevit::testing_util
