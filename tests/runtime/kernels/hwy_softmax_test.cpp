// softmax_hwy vs the reference softmax: row lengths that exercise the vector
// tails, attention shapes, wide logits (the exp range and its underflow), two
// threads, and a non-last axis that must stay on the reference kernel.
#include <gtest/gtest.h>

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

TEST(softmax_hwy, TwoThreads) {
  expect_fast_matches(softmax_graph({1, 3, 197, 197}), {"softmax_hwy"}, 2);
}

TEST(softmax_hwy, LeavesOtherAxesToTheReference) {
  expect_fast_matches(softmax_graph({2, 17, 5}, 1), {"softmax_reference"});
  expect_fast_matches(softmax_graph({2, 17, 5}, 0), {"softmax_reference"});
}

}  // namespace
