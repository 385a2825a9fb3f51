// Highway's dynamic dispatch: it picks the best target this CPU has (AVX-512
// where the CPU has it, else AVX2), and every compiled target this CPU can run
// gives the reference results. The second test is what covers the AVX2, SSE4
// and scalar code paths on an AVX-512 machine (different tail handling and
// exp scaling than AVX-512).
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"
#include "runtime/kernels/hwy/hwy_kernels.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

TEST(dispatch_hwy, ChoosesTheBestTargetOfThisCpu) {
  const std::string target = litevit::runtime::hwy::simd_target_name();
  std::cout << "Highway target: " << target << "\n";
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
    EXPECT_TRUE(target == "AVX3" || target == "AVX3_DL") << target;
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    EXPECT_EQ(target, "AVX2");
  }
#endif
  EXPECT_FALSE(target.empty());
}

TEST(dispatch_hwy, EveryKernelIsNamedAfterItsOp) {
  for (const litevit::runtime::FastKernel* k : litevit::runtime::hwy::kernels()) {
    EXPECT_EQ(std::string(k->name), std::string(op_name(k->op)) + "_hwy");
  }
}

ValueId channels_last_node(Graph& g, OpKind op, std::vector<ValueId> inputs, Attrs attrs) {
  Node node{.op = op, .inputs = std::move(inputs), .output = kNoValue, .attrs = std::move(attrs), .module_path = "n"};
  node.output = g.add_value({.kind = ValueKind::kNodeOutput, .name = "n:out", .shape = infer_shape(g, node)});
  const ValueId y = node.output;
  g.add_node(std::move(node));
  return y;
}

// One graph per kernel family, with row lengths that leave vector tails.
std::vector<std::pair<std::string, std::function<void(Builder&)>>> family_graphs() {
  return {
      {"layer_norm", [](Builder& b) { b.output("y", b.layer_norm("n", b.input("x", {5, 197}), 1e-6f)); }},
      {"softmax", [](Builder& b) { b.output("y", b.softmax(b.scale(b.input("x", {6, 37}), 40.0f), -1)); }},
      {"gelu", [](Builder& b) { b.output("y", b.gelu(b.scale(b.input("x", {3, 333}), 6.0f))); }},
      {"silu", [](Builder& b) { b.output("y", b.silu(b.scale(b.input("x", {3, 333}), 40.0f))); }},
      {"relu", [](Builder& b) { b.output("y", b.relu(b.input("x", {3, 35}))); }},
      {"sigmoid", [](Builder& b) { b.output("y", b.sigmoid(b.scale(b.input("x", {3, 333}), 40.0f))); }},
      {"relu6", [](Builder& b) { b.output("y", b.relu6(b.scale(b.input("x", {3, 35}), 6.0f))); }},
      {"hard_sigmoid", [](Builder& b) { b.output("y", b.hard_sigmoid(b.scale(b.input("x", {3, 35}), 6.0f))); }},
      {"hard_swish", [](Builder& b) { b.output("y", b.hard_swish(b.scale(b.input("x", {3, 35}), 6.0f))); }},
      {"sub", [](Builder& b) { b.output("y", b.sub(b.input("a", {19}), b.input("b", {2, 5, 19}))); }},
      {"div", [](Builder& b) { b.output("y", b.div(b.input("a", {2, 5, 19}), b.input("b", {2, 5, 1}))); }},
      {"group_norm",
       [](Builder& b) {
         b.output("y", channels_last_node(b.graph(), OpKind::kGroupNorm,
                                          {b.input("x", {2, 5, 7, 21}), b.parameter("gn.weight", {21}),
                                           b.parameter("gn.bias", {21})},
                                          GroupNormAttrs{.num_groups = 3, .eps = 1e-5f, .channels_last = true}));
       }},
      {"group_norm", [](Builder& b) { b.output("y", b.group_norm("gn", b.input("x", {2, 6, 5, 7}), 2, 1e-5f)); }},
      {"pool2d",
       [](Builder& b) {
         b.output("y", channels_last_node(b.graph(), OpKind::kPool2d, {b.input("x", {1, 7, 9, 19})},
                                          Pool2dAttrs{.mode = PoolMode::kAverage, .kernel = {3, 3}, .stride = {2, 2},
                                                      .padding = {1, 1}, .ceil_mode = true,
                                                      .count_include_pad = false, .channels_last = true}));
       }},
      {"pool2d",
       [](Builder& b) {
         b.output("y", channels_last_node(b.graph(), OpKind::kPool2d, {b.input("x", {1, 7, 9, 19})},
                                          Pool2dAttrs{.mode = PoolMode::kMax, .kernel = {3, 3}, .stride = {2, 2},
                                                      .padding = {1, 1}, .channels_last = true}));
       }},
      {"add", [](Builder& b) { b.output("y", b.add(b.input("a", {2, 5, 19}), b.input("b", {19}))); }},
      {"mul", [](Builder& b) { b.output("y", b.mul(b.input("a", {2, 5, 19}), b.input("b", {2, 5, 1}))); }},
      {"batch_norm",
       [](Builder& b) {
         const ValueId x = b.input("x", {2, 3, 3, 21});
         b.output("y", channels_last_node(b.graph(), OpKind::kBatchNorm,
                                          {x, b.parameter("bn.weight", {21}), b.parameter("bn.bias", {21}),
                                           b.parameter("bn.running_mean", {21}, true),
                                           b.parameter("bn.running_var", {21}, true)},
                                          NormAttrs{.eps = 1e-5f, .axis = 3}));
       }},
      {"permute", [](Builder& b) { b.output("y", b.permute(b.input("x", {2, 13, 10}), {0, 2, 1})); }},
      {"permute", [](Builder& b) { b.output("y", b.permute(b.input("x", {1, 3, 7, 11}), {0, 2, 3, 1})); }},
      {"reduce_mean", [](Builder& b) { b.output("y", b.mean(b.input("x", {2, 4, 5, 83}), {1, 2}, false)); }},
      {"reduce_mean", [](Builder& b) { b.output("y", b.mean(b.input("x", {2, 4, 5, 83}), {2, 3}, false)); }},
      {"interpolate",
       [](Builder& b) {
         b.output("y", channels_last_node(b.graph(), OpKind::kInterpolate, {b.input("x", {1, 5, 6, 19})},
                                          InterpolateAttrs{.align_corners = false, .size = {9, 11},
                                                           .channels_last = true}));
       }},
  };
}

TEST(dispatch_hwy, EveryCompiledTargetMatchesTheReference) {
  const std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    SCOPED_TRACE(hwy::TargetName(target));
    EXPECT_EQ(std::string(litevit::runtime::hwy::simd_target_name()), hwy::TargetName(target));
    for (const auto& [family, build] : family_graphs()) {
      SCOPED_TRACE(family);
      Graph g;
      Builder b(g);
      build(b);
      const auto result = compare_fast_to_reference(std::move(g));
      EXPECT_LE(result.max_rel_err, 1e-5);
      EXPECT_EQ(result.fast_kernels.back(), family + "_hwy");
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  std::cout << "targets checked:";
  for (int64_t target : targets) std::cout << " " << hwy::TargetName(target);
  std::cout << "\n";
}

}  // namespace
