// Kernel microbenchmarks on shapes from the zoo (DeiT-tiny, MobileViT-xxs/xs).
// Attention appears fused (attention/...) and as its three unfused ops; the
// MV2 blocks fused (mv2/..., one inverted_residual op) and as their three
// convs (mv2_unfused/..., the same graph with fuse_inverted_residual off).
//
//   cmake -DLITEVIT_BUILD_BENCH=ON ... && ninja kernel_bench
//   ./bench/kernel_bench [--benchmark_filter=linear] [--benchmark_min_time=0.2] [--simd=AVX2]
//
// Each case is a one-op graph written with graph::Builder, put through the
// pass pipeline (as a model would be: convs come out channels_last), bound to
// random weights and compiled with runtime::Plan; the time is that of the
// plan's nodes in plan.run(inputs) (its per-node timing: not the copy of the
// outputs into new tensors that follows them, which a model does not do
// between nodes).
// Every shape runs on the fast kernels (1 and 2 threads) and on the
// reference kernels (1 thread). The label names the kernels the plan picked,
// so a case still on "..._reference" under /fast shows that no fast kernel
// took the op. Counters: FLOP/s = 2 x MACs per second (conv, linear, matmul);
// bytes_per_second = (input + output bytes) per second (memory-bound ops).
// Wall time of the nodes (manual time): the kernels run on OpenMP threads.
#include <benchmark/benchmark.h>
#include <hwy/targets.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <numeric>
#include <set>
#include <random>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/graph.h"
#include "passes/pipeline.h"
#include "runtime/bind_weights.h"
#include "runtime/plan.h"

namespace {

using litevit::Tensor;
using litevit::graph::Builder;
using litevit::graph::Graph;
using litevit::graph::Shape;
using litevit::graph::ValueId;

struct Case {
  std::string name;                          // "linear/197x192x576"
  std::function<void(Builder&)> build;       // declares inputs and one output
  bool memory_bound = false;                 // report bytes/s rather than FLOP/s
  std::set<std::string> disabled_passes = {};
  std::set<std::string> disabled_kernels = {};   // e.g. conv2d_hwy: time the next kernel on the same shape
};

Tensor random_tensor(const Shape& shape, uint32_t seed) {
  Tensor t{shape, {}};
  t.data.resize(static_cast<size_t>(t.numel()));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& x : t.data) x = normal(rng);
  return t;
}

// x[N,H,W,C] -> conv (NCHW semantics) -> y[N,Ho,Wo,O]: the permutes are what
// assign_layout removes, leaving one channels_last conv like in a model.
void conv_nhwc(Builder& b, int64_t c, int64_t hw, int64_t out, int64_t k, int64_t stride, int64_t groups) {
  ValueId x = b.input("input", {1, hw, hw, c});
  x = b.permute(x, {0, 3, 1, 2});
  x = b.conv2d("conv", x, out, k, {.stride = stride, .padding = k / 2, .groups = groups});
  b.output("out", b.permute(x, {0, 2, 3, 1}));
}

// An MV2 block on x[1,hw,hw,c]: 1x1 conv + SiLU, depthwise 3x3 (stride s) +
// SiLU, 1x1 conv, + x when the shape allows (convs with biases, as after BN folding).
void mv2_nhwc(Builder& b, int64_t c, int64_t hw, int64_t mid, int64_t out, int64_t stride) {
  const ValueId x = b.permute(b.input("input", {1, hw, hw, c}), {0, 3, 1, 2});
  ValueId y = b.silu(b.conv2d("conv1_1x1", x, mid, 1));
  y = b.silu(b.conv2d("conv2_kxk", y, mid, 3, {.stride = stride, .padding = 1, .groups = mid}));
  y = b.conv2d("conv3_1x1", y, out, 1);
  if (stride == 1 && c == out) y = b.add(y, x);
  b.output("out", b.permute(y, {0, 2, 3, 1}));
}

std::vector<Case> cases() {
  std::vector<Case> list;
  // DeiT-tiny: 197 tokens, width 192, MLP 768, 3 heads of 64.
  // On the kernel the registry picks, and (linear_onednn/*) with linear_hwy disabled.
  const auto linear = [&list](int64_t rows, int64_t k, int64_t n) {
    const std::string shape = std::to_string(rows) + "x" + std::to_string(k) + "x" + std::to_string(n);
    const auto build = [rows, k, n](Builder& b) { b.output("out", b.linear("fc", b.input("input", {1, rows, k}), n)); };
    list.push_back({"linear/" + shape, build});
    list.push_back({"linear_onednn/" + shape, build, false, {}, {"linear_hwy"}});
  };
  for (auto [k, n] : {std::pair<int64_t, int64_t>{192, 576}, {192, 768}, {768, 192}}) linear(197, k, n);
  // MobileViT's transformers, xxs / xs / s, stages 2-4: rows = 4 patch pixels x
  // tokens, width d: qkv d -> 3d, proj d -> d, fc1 d -> 2d, fc2 2d -> d.
  for (auto [rows, d] : {std::pair<int64_t, int64_t>{1024, 64}, {256, 80}, {64, 96}, {1024, 96}, {256, 120},
                         {64, 144}, {1024, 144}, {256, 192}, {64, 240}}) {
    linear(rows, d, 3 * d);
    linear(rows, d, d);
    linear(rows, d, 2 * d);
    linear(rows, 2 * d, d);
  }
  list.push_back({"matmul_qkT/3x197x64x197", [](Builder& b) {   // q k^T, as timm writes it (transpose folded)
                    ValueId q = b.input("q", {3, 197, 64}), key = b.input("k", {3, 197, 64});
                    b.output("out", b.matmul(q, b.transpose(key, 1, 2)));
                  }});
  list.push_back({"matmul_av/3x197x197x64", [](Builder& b) {
                    b.output("out", b.matmul(b.input("a", {3, 197, 197}), b.input("v", {3, 197, 64})));
                  }});
  // The same attention fused (the fuse_attention pass makes the op; scores stay in cache),
  // and the fused op on the other zoo shapes: MobileViT-xxs/xs/s (batch x heads 16 at
  // 256x256; N = 256, 64, 16 per stage; d = 16/20/24, 24/30/36, 36/48/60).
  for (auto [bh, n, d] : {std::tuple<int64_t, int64_t, int64_t>{3, 197, 64}, {16, 256, 16}, {16, 64, 20}, {16, 16, 24},
                          {16, 256, 24}, {16, 64, 30}, {16, 256, 36}, {16, 64, 48}}) {
    list.push_back({"attention/" + std::to_string(bh) + "x" + std::to_string(n) + "x" + std::to_string(d),
                    [bh, n, d](Builder& b) {
                      const Shape s = {bh, n, d};
                      b.output("out", b.attention(b.input("q", s), b.input("k", s), b.input("v", s), 0.125f));
                    }});
  }
  // With a bias: Swin-T stage 1 (64 windows x 3 heads of 49 tokens, d = 32; bias + mask per
  // window and head) and BEiT-base (12 heads of 197, d = 64; relative position bias per head).
  list.push_back({"attention_bias/192x49x32", [](Builder& b) {
                    const Shape s = {64, 3, 49, 32};
                    b.output("out", b.attention(b.input("q", s), b.input("k", s), b.input("v", s), 0.125f,
                                                b.input("bias", {64, 3, 49, 49})));
                  }});
  list.push_back({"attention_bias/12x197x64", [](Builder& b) {
                    const Shape s = {1, 12, 197, 64};
                    b.output("out", b.attention(b.input("q", s), b.input("k", s), b.input("v", s), 0.125f,
                                                b.input("bias", {12, 197, 197})));
                  }});
  list.push_back({"matmul_qkT/16x256x16x256", [](Builder& b) {   // MobileViT-xxs, unfused
                    ValueId q = b.input("q", {16, 256, 16}), key = b.input("k", {16, 256, 16});
                    b.output("out", b.matmul(q, b.transpose(key, 1, 2)));
                  }});
  list.push_back({"softmax/16x256x256", [](Builder& b) {
                    b.output("out", b.softmax(b.input("input", {16, 256, 256}), -1));
                  }, true});
  list.push_back({"matmul_av/16x256x256x16", [](Builder& b) {
                    b.output("out", b.matmul(b.input("a", {16, 256, 256}), b.input("v", {16, 256, 16})));
                  }});
  list.push_back({"layer_norm/197x192", [](Builder& b) {
                    b.output("out", b.layer_norm("norm", b.input("input", {1, 197, 192}), 1e-6f));
                  }, true});
  list.push_back({"layer_norm/1024x64", [](Builder& b) {
                    b.output("out", b.layer_norm("norm", b.input("input", {4, 256, 64}), 1e-5f));
                  }, true});
  list.push_back({"layer_norm/3136x64", [](Builder& b) {
                    b.output("out", b.layer_norm("norm", b.input("input", {1, 3136, 64}), 1e-6f));
                  }, true});
  list.push_back({"softmax/3x197x197", [](Builder& b) {
                    b.output("out", b.softmax(b.input("input", {1, 3, 197, 197}), -1));
                  }, true});
  list.push_back({"gelu/197x768", [](Builder& b) { b.output("out", b.gelu(b.input("input", {1, 197, 768}))); }, true});
  // SiLU over a 32x32x192 map (a MobileViT-xs expansion; 768 KB, in L2).
  list.push_back({"silu/32x32x192", [](Builder& b) { b.output("out", b.silu(b.input("input", {1, 32, 32, 192}))); }, true});
  // MobileViT-xxs (256x256 input): stem, depthwise convs of the MV2 blocks, a 1x1 expansion.
  list.push_back({"conv_stem/3to16_k3s2_256", [](Builder& b) { conv_nhwc(b, 3, 256, 16, 3, 2, 1); }});
  for (auto [c, hw, s] : {std::tuple<int64_t, int64_t, int64_t>{64, 64, 1}, {64, 128, 2}, {128, 32, 1}, {128, 64, 2}}) {
    list.push_back({"conv_dw3x3/c" + std::to_string(c) + "_s" + std::to_string(s) + "_" + std::to_string(hw),
                    [c, hw, s](Builder& b) { conv_nhwc(b, c, hw, c, 3, s, c); }});
  }
  list.push_back({"conv_1x1/64to128_64", [](Builder& b) { conv_nhwc(b, 64, 64, 128, 1, 1, 1); }});
  // The dense 3x3 convs of MobileViT's blocks: conv_kxk and conv_fusion per stage of xxs,
  // and of s at its first stage; on the kernel the registry picks (conv2d_winograd_hwy),
  // on conv2d_hwy's implicit GEMM (conv_3x3_direct) and on oneDNN's conv (conv_3x3_onednn).
  for (auto [c, out, hw] : {std::tuple<int64_t, int64_t, int64_t>{48, 48, 32}, {96, 48, 32}, {64, 64, 16}, {128, 64, 16},
                            {80, 80, 8}, {160, 80, 8}, {96, 96, 32}, {192, 96, 32}}) {
    const std::string shape = std::to_string(c) + "to" + std::to_string(out) + "_" + std::to_string(hw);
    const auto build = [c, out, hw](Builder& b) { conv_nhwc(b, c, hw, out, 3, 1, 1); };
    list.push_back({"conv_3x3/" + shape, build});
    list.push_back({"conv_3x3_direct/" + shape, build, false, {}, {"conv2d_winograd_hwy"}});
    list.push_back({"conv_3x3_onednn/" + shape, build, false, {}, {"conv2d_winograd_hwy", "conv2d_hwy"}});
  }
  // The MV2 blocks of MobileViT-xxs (expansion 2) and -xs (expansion 4) at 256x256:
  // stages.0.0, 1.0, 1.1 (= 1.2), and the stride-2 blocks of stages 2-4; and
  // MobileViT-s's stages.1.1 (= 1.2), its slowest.
  struct Mv2 { const char* model; int64_t c, hw, mid, out, stride; };
  for (const Mv2& m : {Mv2{"xxs", 16, 128, 32, 16, 1}, {"xxs", 16, 128, 32, 24, 2}, {"xxs", 24, 64, 48, 24, 1},
                       {"xxs", 24, 64, 48, 48, 2}, {"xxs", 48, 32, 96, 64, 2}, {"xxs", 64, 16, 128, 80, 2},
                       {"xs", 16, 128, 64, 32, 1}, {"xs", 32, 128, 128, 48, 2}, {"xs", 48, 64, 192, 48, 1},
                       {"xs", 48, 64, 192, 64, 2}, {"xs", 64, 32, 256, 80, 2}, {"xs", 80, 16, 320, 96, 2},
                       {"s", 64, 64, 256, 64, 1}}) {
    const std::string shape = std::string(m.model) + "_" + std::to_string(m.hw) + "_" + std::to_string(m.c) + "to" +
                              std::to_string(m.mid) + "to" + std::to_string(m.out) + "_s" + std::to_string(m.stride);
    const auto build = [m](Builder& b) { mv2_nhwc(b, m.c, m.hw, m.mid, m.out, m.stride); };
    list.push_back({"mv2/" + shape, build});
    list.push_back({"mv2_unfused/" + shape, build, false, {"fuse_inverted_residual"}});
  }
  return list;
}

void run_case(benchmark::State& state, const Case& c, bool reference, int threads) {
  Graph graph;
  Builder builder(graph);
  c.build(builder);
  litevit::runtime::bind_random_weights(graph, 0);
  litevit::passes::run_passes(graph, {.disabled = c.disabled_passes});
  const int64_t macs = litevit::graph::total_macs(graph);
  const litevit::runtime::Plan plan(std::move(graph), {.reference_kernels = reference, .threads = threads,
                                                       .disabled_kernels = c.disabled_kernels});

  std::vector<Tensor> inputs;
  std::vector<const Tensor*> pointers;
  int64_t bytes = 0;
  for (ValueId id : plan.graph().inputs()) {
    inputs.push_back(random_tensor(plan.graph().value(id).shape, static_cast<uint32_t>(inputs.size() + 1)));
    bytes += 4 * inputs.back().numel();
  }
  for (const Tensor& t : inputs) pointers.push_back(&t);
  for (const auto& [name, id] : plan.graph().outputs()) bytes += 4 * litevit::graph::shape_numel(plan.graph().value(id).shape);

  // The time of the nodes alone (Plan::run's per-node timing): not the copy
  // of each output into a new tensor after the nodes, which runs on one
  // thread (for a 1024 x 432 output, about a tenth of the linear itself).
  std::vector<double> node_seconds(plan.graph().nodes().size());
  for (auto _ : state) {
    std::fill(node_seconds.begin(), node_seconds.end(), 0.0);
    auto outputs = plan.run(pointers, &node_seconds);
    benchmark::DoNotOptimize(outputs);
    state.SetIterationTime(std::accumulate(node_seconds.begin(), node_seconds.end(), 0.0));
  }
  std::string label;
  for (const std::string& kernel : plan.kernel_names()) label += (label.empty() ? "" : "+") + kernel;
  state.SetLabel(label);
  if (c.memory_bound || macs == 0) {
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * bytes);
  } else {
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(macs), benchmark::Counter::kIsIterationInvariantRate);
  }
}

}  // namespace

// --simd=AVX2 (or SSE4, AVX3, ...: a Highway target name) runs the Highway
// kernels on that target instead of the best one the CPU has, to measure an
// AVX2 machine's code path on an AVX-512 one (same cores, narrower vectors).
bool choose_simd_target(int& argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--simd=", 0) != 0) continue;
    const std::string want = arg.substr(7);
    int64_t chosen = 0;
    for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
      if (want == hwy::TargetName(target)) chosen = target;
    }
    if (chosen == 0) {
      std::fprintf(stderr, "kernel_bench: --simd=%s is not a Highway target this CPU and build have\n", want.c_str());
      return false;
    }
    hwy::SetSupportedTargetsForTest(chosen);
    std::copy(argv + i + 1, argv + argc, argv + i);
    --argc;
    return true;
  }
  return true;
}

int main(int argc, char** argv) {
  if (!choose_simd_target(argc, argv)) return 1;
  static const std::vector<Case> all = cases();
  for (const Case& c : all) {
    for (auto [reference, threads] : {std::pair{false, 1}, {false, 2}, {true, 1}}) {
      const std::string name = c.name + (reference ? "/reference" : "/fast") + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), [&c, reference, threads](benchmark::State& state) {
        run_case(state, c, reference, threads);
      })->UseManualTime()->Unit(benchmark::kMicrosecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
