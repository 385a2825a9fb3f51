// matmul_onednn vs the reference matmul: both operands activations, with and
// without transpose_b, alpha != 1, batch dims of rank 0 to 2, epilogues.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <thread>

#include "runtime/kernel_test_util.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/registry.h"

namespace {

using litevit::testing_util::expect_fast_matches;

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

struct MatMulCase {
  Shape batch;   // leading dims
  int64_t m, k, n;
  bool transpose_b;
  float alpha;
  Activation act;
  bool residual;
};

Shape with_matrix(Shape leading, int64_t rows, int64_t cols) {
  leading.push_back(rows);
  leading.push_back(cols);
  return leading;
}

// One matmul node whose operands are graph inputs (like Q, K, V in attention).
Graph matmul_graph(const MatMulCase& c, bool b_is_parameter = false) {
  Graph g;
  Builder b(g);
  const ValueId a = b.input("a", with_matrix(c.batch, c.m, c.k));
  const Shape b_shape = c.transpose_b ? with_matrix(c.batch, c.n, c.k) : with_matrix(c.batch, c.k, c.n);
  const ValueId bm = b_is_parameter ? b.parameter("b", b_shape) : b.input("b", b_shape);
  Node node{.op = OpKind::kMatMul, .inputs = {a, bm}, .output = kNoValue,
            .attrs = MatMulAttrs{.transpose_b = c.transpose_b, .alpha = c.alpha,
                                 .epilogue = {.act = c.act, .residual = false}},
            .module_path = "attn"};
  litevit::testing_util::add_output_node(g, std::move(node), c.residual);
  return g;
}

std::string describe(const MatMulCase& c) {
  return fmt::format("{} {}x{}x{} transpose_b={} alpha={} act={} residual={}", shape_str(c.batch), c.m, c.k, c.n,
                     c.transpose_b, c.alpha, activation_name(c.act), c.residual);
}

constexpr Activation kNone = Activation::kNone, kRelu = Activation::kRelu, kGelu = Activation::kGelu,
                     kSilu = Activation::kSilu, kSigmoid = Activation::kSigmoid,
                     kHardSwish = Activation::kHardSwish, kRelu6 = Activation::kRelu6;

const std::vector<MatMulCase> kCases = {
    {{}, 13, 7, 11, false, 1.0f, kNone, false},
    {{}, 1, 1, 1, true, 1.0f, kNone, false},
    {{3}, 7, 5, 9, false, 1.0f, kNone, false},
    {{3}, 7, 5, 9, true, 0.3f, kNone, false},
    {{2, 3}, 17, 16, 19, true, 0.25f, kNone, false},
    {{2, 3}, 17, 19, 16, false, 1.0f, kRelu, true},
    {{4}, 33, 17, 1, true, -1.5f, kGelu, true},
    {{2}, 1, 33, 17, false, 2.0f, kSilu, false},
    {{1, 3}, 197, 64, 197, true, 0.125f, kNone, false},    // DeiT-tiny q k^T * scale
    {{1, 3}, 197, 197, 64, false, 1.0f, kNone, false},     // DeiT-tiny attn v
    {{4, 4}, 64, 20, 64, true, 0.2236f, kNone, false},     // MobileViT-xxs stage 4: 4 heads x 20 dims
    {{3}, 7, 5, 9, false, 1.0f, kSigmoid, false},
    {{2, 3}, 17, 16, 19, true, 0.25f, kHardSwish, true},
    {{2}, 13, 33, 17, false, 2.0f, kRelu6, false},
};

TEST(matmul_onednn, MatchesReference) {
  uint32_t seed = 1;
  for (const MatMulCase& c : kCases) {
    SCOPED_TRACE(describe(c));
    expect_fast_matches(matmul_graph(c), {"matmul_onednn"}, 1, seed++);
  }
}

TEST(matmul_onednn, ParameterOperand) {
  const MatMulCase c = kCases[3];
  expect_fast_matches(matmul_graph(c, /*b_is_parameter=*/true), {"matmul_onednn"}, 1, 3);
}

TEST(matmul_onednn, TwoThreads) {
  for (const MatMulCase& c : {kCases[5], kCases[8]}) {
    SCOPED_TRACE(describe(c));
    expect_fast_matches(matmul_graph(c), {"matmul_onednn"}, 2, 7);
  }
}

// One plan run from two threads at once (plans of 1 and 2 OpenMP threads):
// the same bits as alone.
TEST(matmul_onednn, ConcurrentRunsOfOnePlan) {
  litevit::testing_util::expect_concurrent_runs_identical(matmul_graph(kCases[8]), "matmul_onednn");
}

// Attention shapes of DeiT-tiny (3 heads x 64) and MobileViT-xxs (4 heads,
// 2x2 patches as batch): oneDNN must not fall back to "ref".
TEST(matmul_onednn, AttentionShapesUseOptimisedKernels) {
  const std::vector<MatMulCase> shapes = {
      {{1, 3}, 197, 64, 197, true, 0.125f, kNone, false},   // q k^T * scale
      {{1, 3}, 197, 197, 64, false, 1.0f, kNone, false},    // attn v
      {{8, 3}, 197, 64, 197, true, 0.125f, kNone, false},   // batch 8
      {{4, 4}, 256, 16, 256, true, 0.25f, kNone, false},    // MobileViT-xxs stage 3
      {{4, 4}, 256, 256, 16, false, 1.0f, kNone, false},
      {{4, 4}, 64, 20, 64, true, 0.2236f, kNone, false},    // stage 4 (dim 80)
      {{4, 4}, 16, 24, 16, true, 0.2041f, kNone, false},    // stage 5 (dim 96)
  };
  for (const MatMulCase& c : shapes) {
    Graph g = matmul_graph(c);
    const auto kernel = litevit::runtime::make_kernel({.graph = g, .threads = 1}, g.node(0), false);
    const std::string impl = litevit::runtime::onednn::implementation_of(*kernel);
    std::cout << describe(c) << ": " << impl << "\n";
    EXPECT_FALSE(impl.empty()) << describe(c);
    EXPECT_EQ(impl.find("ref"), std::string::npos) << describe(c) << ": " << impl;
  }
}

}  // namespace
