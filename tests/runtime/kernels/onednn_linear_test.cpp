// linear_onednn vs the reference linear: inputs of rank 2, 3 and 4, odd
// feature counts, with and without bias, every epilogue activation, with a
// residual. The kernel is made directly: a plan gives the small linears to
// linear_hwy (TakesWhatLinearHwyDoesNotPay).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <thread>

#include "runtime/kernel_test_util.h"
#include "runtime/kernels/onednn/common.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/registry.h"

namespace {

using litevit::runtime::onednn::kLinearOnednn;
using litevit::testing_util::expect_fast_matches;
using litevit::testing_util::expect_kernel_matches_reference;

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

struct LinearCase {
  Shape input;
  int64_t out_features;
  bool bias;
  Activation act;
  bool residual;
};

// One linear node with its epilogue, as the fusion passes leave it.
Graph linear_graph(const LinearCase& c) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", c.input);
  std::vector<ValueId> inputs = {x, b.parameter("fc.weight", {c.out_features, c.input.back()})};
  if (c.bias) inputs.push_back(b.parameter("fc.bias", {c.out_features}));
  Node node{.op = OpKind::kLinear, .inputs = inputs, .output = kNoValue,
            .attrs = LinearAttrs{.epilogue = {.act = c.act, .residual = false}}, .module_path = "fc"};
  litevit::testing_util::add_output_node(g, std::move(node), c.residual);
  return g;
}

std::string describe(const LinearCase& c) {
  return fmt::format("{} -> {} bias={} act={} residual={}", shape_str(c.input), c.out_features, c.bias,
                     activation_name(c.act), c.residual);
}

constexpr Activation kNone = Activation::kNone, kRelu = Activation::kRelu, kGelu = Activation::kGelu,
                     kSilu = Activation::kSilu, kSigmoid = Activation::kSigmoid,
                     kHardSwish = Activation::kHardSwish, kRelu6 = Activation::kRelu6;

const std::vector<LinearCase> kCases = {
    {{7, 5}, 3, true, kNone, false},
    {{1, 1}, 1, true, kNone, false},
    {{13, 17}, 33, false, kRelu, false},
    {{2, 9, 17}, 33, true, kGelu, false},
    {{3, 11, 64}, 64, true, kSilu, true},
    {{2, 3, 4, 16}, 24, true, kNone, true},
    {{2, 2, 5, 33}, 1, false, kGelu, true},
    {{1, 197, 192}, 576, true, kNone, false},    // DeiT-tiny qkv
    {{1, 197, 192}, 768, true, kGelu, false},    // DeiT-tiny fc1 + GELU
    {{1, 197, 768}, 192, true, kNone, true},     // DeiT-tiny fc2 + residual
    {{1, 256, 80}, 160, true, kSilu, false},     // MobileViT-xxs mlp
    {{13, 17}, 33, true, kSigmoid, false},
    {{2, 9, 17}, 33, false, kHardSwish, true},
    {{3, 11, 64}, 64, true, kRelu6, false},
    {{1, 49, 128}, 256, true, kHardSwish, false},   // LeViT mlp
};

TEST(linear_onednn, MatchesReference) {
  uint32_t seed = 1;
  for (const LinearCase& c : kCases) {
    SCOPED_TRACE(describe(c));
    expect_kernel_matches_reference(kLinearOnednn, linear_graph(c), {1}, seed++);
  }
}

TEST(linear_onednn, TwoThreads) {
  for (const LinearCase& c : {kCases[4], kCases[9]}) {
    SCOPED_TRACE(describe(c));
    expect_kernel_matches_reference(kLinearOnednn, linear_graph(c), {2}, 7);
  }
}

// Which of the two GEMMs a plan picks: linear_hwy up to 192 features out and
// 288 in (hwy/linear.cpp, linear_pays), oneDNN's above; with linear_hwy
// disabled, oneDNN's everywhere. The outputs agree.
TEST(linear_onednn, TakesWhatLinearHwyDoesNotPay) {
  struct Choice {
    LinearCase c;
    const char* kernel;
  };
  for (const Choice& choice : std::vector<Choice>{{{{1, 64, 160}, 80, true, kNone, true}, "linear_hwy"},
                                                  {{{4, 16, 96}, 192, true, kSilu, false}, "linear_hwy"},
                                                  {{{4, 16, 288}, 192, true, kNone, false}, "linear_hwy"},
                                                  {{{4, 16, 96}, 193, true, kNone, false}, "linear_onednn"},
                                                  {{{1, 197, 192}, 576, true, kNone, false}, "linear_onednn"},
                                                  {{{1, 197, 768}, 192, true, kNone, true}, "linear_onednn"}}) {
    SCOPED_TRACE(describe(choice.c));
    expect_fast_matches(linear_graph(choice.c), {choice.kernel}, 2, 3);
    const auto disabled = compare_fast_to_reference(linear_graph(choice.c), 3, 2, {"linear_hwy"});
    EXPECT_EQ(disabled.fast_kernels, std::vector<std::string>{"linear_onednn"});
    EXPECT_LE(disabled.max_rel_err, litevit::testing_util::kFastKernelTolerance);
  }
}

TEST(linear_onednn, NotChosenForNonConstantWeight) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", {4, 8});
  const ValueId w = b.input("weight", {5, 8});
  Node node{.op = OpKind::kLinear, .inputs = {x, w}, .output = kNoValue, .attrs = LinearAttrs{}, .module_path = "fc"};
  node.output = g.add_value({.kind = ValueKind::kNodeOutput, .name = "y", .shape = infer_shape(g, node)});
  const ValueId y = node.output;
  g.add_node(std::move(node));
  b.output("y", y);
  EXPECT_EQ(compare_fast_to_reference(g, 2).fast_kernels, std::vector<std::string>{"linear_reference"});
}

// Which activations a oneDNN kernel applies itself after the primitive: the
// transcendental ones, on every implementation.
TEST(onednn_common, ActivationAfterPrimitiveOnlyTranscendental) {
  using litevit::runtime::onednn::activation_after_primitive;
  for (Activation act : {kGelu, kSilu, kSigmoid}) EXPECT_TRUE(activation_after_primitive(act)) << activation_name(act);
  for (Activation act : {kNone, kRelu, kHardSwish, kRelu6}) {
    EXPECT_FALSE(activation_after_primitive(act)) << activation_name(act);
  }
}

// A plan drops the fp32 data of a weight once every kernel reading it packed
// its own copy (linear_onednn packs the matrix, not the bias); a reference
// plan keeps it, and a weight also read by an unpacking kernel stays.
TEST(linear_onednn, PlanReleasesOnlyPackedWeights) {
  auto weight_data = [](const litevit::runtime::Plan& plan, const std::string& name) {
    for (const Value& v : plan.graph().values()) {
      if (v.name == name) return v.data != nullptr;
    }
    ADD_FAILURE() << "no value " << name;
    return false;
  };
  Graph g = linear_graph({{1, 5, 8}, 8, true, kNone, false});
  litevit::testing_util::bind_random_parameters(g, 3);
  const litevit::runtime::Plan fast(g, {.reference_kernels = false, .threads = 1, .disabled_kernels = {"linear_hwy"}});
  EXPECT_FALSE(weight_data(fast, "fc.weight"));
  EXPECT_TRUE(weight_data(fast, "fc.bias"));   // read at run time
  const litevit::runtime::Plan reference(g, {.reference_kernels = true, .threads = 1});
  EXPECT_TRUE(weight_data(reference, "fc.weight"));

  // The same [8, 8] matrix also added to the output: the add kernel reads it.
  Graph shared;
  Builder b(shared);
  const ValueId w = b.parameter("fc.weight", {8, 8});
  Node node{.op = OpKind::kLinear, .inputs = {b.input("input", {8, 8}), w}, .output = kNoValue,
            .attrs = LinearAttrs{}, .module_path = "fc"};
  node.output = shared.add_value({.kind = ValueKind::kNodeOutput, .name = "y", .shape = infer_shape(shared, node)});
  const ValueId y = node.output;
  shared.add_node(std::move(node));
  b.output("y", b.add(y, w));
  litevit::testing_util::bind_random_parameters(shared, 4);
  const litevit::runtime::Plan both(shared, {.reference_kernels = false, .threads = 1,
                                             .disabled_kernels = {"linear_hwy"}});
  EXPECT_TRUE(weight_data(both, "fc.weight"));
  const litevit::Tensor x{{8, 8}, litevit::testing_util::random_values(64, 5)};
  const auto got = both.run({&x});
  const auto want = litevit::runtime::Plan(shared, {.reference_kernels = true, .threads = 1}).run({&x});
  EXPECT_LE(litevit::relative_error(got[0].second, want[0].second), 1e-5);
}

// One plan run from two threads at once (plans of 1 and 2 OpenMP threads):
// the same bits as alone.
TEST(linear_onednn, ConcurrentRunsOfOnePlan) {
  litevit::testing_util::expect_concurrent_runs_identical(linear_graph(kCases[7]), "linear_onednn");
}

// DeiT-tiny and MobileViT-xxs linear shapes: oneDNN must not fall back to "ref".
TEST(linear_onednn, ModelShapesUseOptimisedKernels) {
  const std::vector<LinearCase> shapes = {
      {{1, 197, 192}, 576, true, kNone, false},    // qkv
      {{1, 197, 192}, 192, true, kNone, true},     // proj + residual
      {{1, 197, 192}, 768, true, kGelu, false},    // fc1
      {{1, 197, 768}, 192, true, kNone, true},     // fc2 + residual
      {{8, 197, 192}, 768, true, kGelu, false},    // fc1, batch 8
      {{4, 256, 64}, 192, true, kNone, false},     // MobileViT-xxs qkv (dim 64, 2x2 patches)
      {{4, 256, 64}, 128, true, kSilu, false},     // MobileViT-xxs mlp
      {{1, 320}, 1000, true, kNone, false},        // classifier
  };
  for (const LinearCase& c : shapes) {
    Graph g = linear_graph(c);
    litevit::testing_util::bind_random_parameters(g, 5);
    const auto kernel = kLinearOnednn.create({.graph = g, .threads = 1}, g.node(0));
    const std::string impl = litevit::runtime::onednn::implementation_of(*kernel);
    std::cout << describe(c) << ": " << impl << "\n";
    EXPECT_FALSE(impl.empty()) << describe(c);
    EXPECT_EQ(impl.find("ref"), std::string::npos) << describe(c) << ": " << impl;
  }
}

}  // namespace
