// softmax_hwy vs the reference softmax: row lengths that exercise the vector
// tails, attention shapes, wide logits (the exp range and its underflow), two
// threads, a non-last axis that must stay on the reference kernel, and
// underflow to 0 rather than to denormals.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

using litevit::testing_util::expect_fast_matches;

// softmax(alpha * x) along `axis`; alpha = 1 adds no scale node.
Graph softmax_graph(const Shape& shape, int64_t axis = -1, float alpha = 1.0f) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", shape);
  if (alpha != 1.0f) x = b.scale(x, alpha);
  b.output("y", b.softmax(x, axis));
  return g;
}

TEST(softmax_hwy, MatchesReferenceForEveryTail) {
  for (int64_t c : {1, 2, 3, 15, 16, 17, 49, 192, 197, 1000}) {
    SCOPED_TRACE("length=" + std::to_string(c));
    expect_fast_matches(softmax_graph({4, c}), {"softmax_hwy"});
  }
}

TEST(softmax_hwy, MatchesReferenceOnAttentionShapes) {
  expect_fast_matches(softmax_graph({1, 3, 197, 197}), {"softmax_hwy"});
  expect_fast_matches(softmax_graph({2, 4, 64, 64}), {"softmax_hwy"});
}

TEST(softmax_hwy, WideLogits) {
  // N(0, 30^2) logits: exponents down to the clamp at ln(FLT_MIN) and far below it.
  expect_fast_matches(softmax_graph({8, 197}, -1, 30.0f), {"scale_hwy", "softmax_hwy"});
  expect_fast_matches(softmax_graph({8, 33}, -1, 1000.0f), {"scale_hwy", "softmax_hwy"});
}

// Terms that underflow come out 0, never denormal: on AVX-512 Intel cores a
// vector with a denormal result costs a microcode assist (math-inl.h), and
// -inf padded score rows made one per row in the attention kernel, which
// shares this exp. The terms that stay normal still match expf.
TEST(softmax_hwy, UnderflowGivesZeroNotDenormal) {
  const Graph g = softmax_graph({1, 40});
  std::vector<float> x(40);
  for (int i = 0; i < 40; ++i) x[static_cast<size_t>(i)] = i == 0 ? 0.0f : -80.0f - 0.5f * static_cast<float>(i);
  const litevit::runtime::Plan fast(g, {.reference_kernels = false, .threads = 1});
  ASSERT_EQ(fast.kernel_names(), std::vector<std::string>{"softmax_hwy"});
  const litevit::Tensor input{{1, 40}, x};
  const std::vector<float> out = fast.run({&input}).at(0).second.data;
  for (size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE("logit " + std::to_string(x[i]));
    EXPECT_NE(std::fpclassify(out[i]), FP_SUBNORMAL) << out[i];
    if (x[i] >= -87.0f) {
      EXPECT_NEAR(out[i], std::exp(x[i]), 1e-5 * std::exp(x[i]));
    } else if (x[i] < -87.4f) {
      EXPECT_EQ(out[i], 0.0f);
    }
  }
}

TEST(softmax_hwy, TwoThreads) {
  expect_fast_matches(softmax_graph({1, 3, 197, 197}), {"softmax_hwy"}, 2);
}

TEST(softmax_hwy, LeavesOtherAxesToTheReference) {
  expect_fast_matches(softmax_graph({2, 17, 5}, 1), {"softmax_reference"});
  expect_fast_matches(softmax_graph({2, 17, 5}, 0), {"softmax_reference"});
}

}  // namespace
