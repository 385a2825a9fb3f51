// linear_hwy (our own GEMM for linear, hwy/linear.cpp) vs the reference
// linear, on every Highway target this CPU runs (different vector lengths,
// so different panel widths and tails): MobileViT's transformer shapes,
// every row count 1-40 (every split into chunks and 1-6-row blocks, on 1-3
// threads), output features past whole panels, inputs of rank 2-4, no bias,
// every epilogue with and without a residual, and concurrent runs of one
// plan. It is made directly, whichever kernel a plan would pick.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/builder.h"
#include "runtime/hwy_test_util.h"
#include "runtime/kernel_test_util.h"
#include "runtime/kernels/hwy/common.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::expect_kernel_matches_reference;
using litevit::testing_util::for_each_target;

struct Linear {
  Shape input;
  int64_t out;
  bool bias = true;
  Activation act = Activation::kNone;
  bool residual = false;

  std::string str() const {
    return fmt::format("{} -> {} bias={} act={} residual={}", shape_str(input), out, bias, activation_name(act),
                       residual);
  }
};

Graph linear_graph(const Linear& c) {
  Graph g;
  Builder b(g);
  std::vector<ValueId> inputs = {b.input("x", c.input), b.parameter("fc.weight", {c.out, c.input.back()})};
  if (c.bias) inputs.push_back(b.parameter("fc.bias", {c.out}));
  litevit::testing_util::add_output_node(
      g,
      Node{.op = OpKind::kLinear, .inputs = inputs, .output = kNoValue,
           .attrs = LinearAttrs{.epilogue = {.act = c.act}}, .module_path = "fc"},
      c.residual);
  return g;
}

void expect_matches_reference(const Linear& c, std::initializer_list<int> threads = {1, 2, 3}) {
  SCOPED_TRACE(c.str());
  for_each_target([&] { expect_kernel_matches_reference(litevit::runtime::hwy::kLinear, linear_graph(c), threads); });
}

TEST(linear_hwy, MobileVitLikeShapes) {
  // mobilevit_xxs stage 3 and 4 (rows = 4 patch pixels x tokens), and DeiT-tiny's qkv.
  expect_matches_reference({.input = {4, 64, 80}, .out = 240});
  expect_matches_reference({.input = {4, 64, 80}, .out = 160, .act = Activation::kSilu});
  expect_matches_reference({.input = {4, 64, 160}, .out = 80, .residual = true});
  expect_matches_reference({.input = {4, 16, 96}, .out = 288});
  expect_matches_reference({.input = {1, 197, 192}, .out = 576}, {1, 2});
}

TEST(linear_hwy, EveryRowCountAndOddFeatures) {
  for (int64_t rows = 1; rows <= 40; ++rows) {   // chunks and blocks of every size, threads with no rows
    expect_matches_reference({.input = {rows, 9}, .out = 11, .residual = rows % 2 == 0}, {1, 2, 3});
  }
  // Output features past whole panels: panels of 2 vectors of 4 or 8 lanes,
  // or 4 of 16 (AVX-512), the last 1 .. 4 vectors wide.
  for (int64_t out : {1, 7, 8, 9, 16, 17, 31, 33, 40, 48, 63, 64, 65, 96, 100, 127, 130}) {
    expect_matches_reference({.input = {13, 17}, .out = out, .residual = true}, {1});
  }
  for (int64_t in : {1, 2, 5, 64, 129}) expect_matches_reference({.input = {11, in}, .out = 20});
  expect_matches_reference({.input = {97, 33}, .out = 70}, {1, 2, 3});   // more rows than one chunk per thread
}

TEST(linear_hwy, RanksEpiloguesAndNoBias) {
  expect_matches_reference({.input = {2, 3, 4, 16}, .out = 24, .residual = true});
  expect_matches_reference({.input = {2, 9, 17}, .out = 33, .bias = false});
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kGelu, Activation::kSilu,
                         Activation::kSigmoid, Activation::kHardSwish, Activation::kRelu6}) {
    expect_matches_reference({.input = {3, 11, 20}, .out = 19, .act = act}, {1, 2});
    expect_matches_reference({.input = {3, 11, 20}, .out = 19, .act = act, .residual = true}, {1, 2});
  }
}

TEST(linear_hwy, ConcurrentRunsGiveTheSameBits) {
  litevit::testing_util::expect_concurrent_runs_identical(
      linear_graph({.input = {4, 64, 80}, .out = 160, .act = Activation::kSilu}), "linear_hwy");
}

}  // namespace
