// layer_norm_hwy and batch_norm_hwy (channels last) vs the reference kernels:
// channel counts that exercise the vector tails (1, 3, 17, 197, 1000) and the
// common 192; a large common offset (the two-pass variance must hold); two
// threads; nodes the fast kernels must leave to the reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

using litevit::testing_util::expect_fast_matches;

Graph layer_norm_graph(const Shape& shape, float eps = 1e-6f) {
  Graph g;
  Builder b(g);
  b.output("y", b.layer_norm("norm", b.input("input", shape), eps));
  return g;
}

TEST(layer_norm_hwy, MatchesReferenceForEveryTail) {
  for (int64_t c : {1, 3, 7, 16, 17, 192, 197, 1000}) {
    SCOPED_TRACE("C=" + std::to_string(c));
    expect_fast_matches(layer_norm_graph({5, c}), {"layer_norm_hwy"});
  }
  // Rows in blocks of 4: none whole, and whole blocks with 1-3 rows left.
  for (int64_t rows : {1, 3, 4, 6, 7}) {
    SCOPED_TRACE("rows=" + std::to_string(rows));
    expect_fast_matches(layer_norm_graph({rows, 37}), {"layer_norm_hwy"});
  }
}

TEST(layer_norm_hwy, MatchesReferenceOnTokenBatches) {
  expect_fast_matches(layer_norm_graph({2, 197, 192}, 1e-6f), {"layer_norm_hwy"});
  expect_fast_matches(layer_norm_graph({1, 3, 4, 4, 64}, 1e-5f), {"layer_norm_hwy"});
}

TEST(layer_norm_hwy, HoldsWithALargeCommonOffset) {
  // x + 100 * p (p ~ N(0,1) per channel) then layer norm: |mean| >> std.
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", {7, 197});
  const ValueId offset = b.scale(b.parameter("offset", {197}), 100.0f);
  b.output("y", b.layer_norm("norm", b.add(x, offset), 1e-6f));
  // The scale reads only a weight, so the plan computes it once at compile time (fold_constants).
  expect_fast_matches(std::move(g), {"add_hwy", "layer_norm_hwy"});
}

TEST(layer_norm_hwy, TwoThreads) {
  expect_fast_matches(layer_norm_graph({2, 197, 192}), {"layer_norm_hwy"}, 2);
}

// Batch norm over the last axis of [N,H,W,C], as assign_layout leaves it.
Graph batch_norm_nhwc_graph(const Shape& shape, bool weight_is_input = false) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", shape);
  const int64_t c = shape.back();
  const ValueId weight = weight_is_input ? b.input("weight", {c}) : b.parameter("bn.weight", {c});
  Node node{.op = OpKind::kBatchNorm,
            .inputs = {x, weight, b.parameter("bn.bias", {c}), b.parameter("bn.running_mean", {c}, true),
                       b.parameter("bn.running_var", {c}, true)},
            .output = kNoValue,
            .attrs = NormAttrs{.eps = 1e-5f, .axis = static_cast<int64_t>(shape.size()) - 1},
            .module_path = "bn"};
  litevit::testing_util::add_output_node(g, std::move(node), false);
  return g;
}

TEST(batch_norm_hwy, MatchesReferenceChannelsLast) {
  for (int64_t c : {1, 3, 17, 64, 192}) {
    SCOPED_TRACE("C=" + std::to_string(c));
    expect_fast_matches(batch_norm_nhwc_graph({2, 5, 7, c}), {"batch_norm_hwy"});
  }
  expect_fast_matches(batch_norm_nhwc_graph({3, 17}), {"batch_norm_hwy"});   // BatchNorm1d on [N, C]
}

TEST(batch_norm_hwy, TwoThreads) {
  expect_fast_matches(batch_norm_nhwc_graph({1, 28, 28, 96}), {"batch_norm_hwy"}, 2);
}

TEST(batch_norm_hwy, LeavesChannelsFirstAndUnboundParametersToTheReference) {
  Graph nchw;
  Builder b(nchw);
  b.output("y", b.batch_norm("bn", b.input("input", {2, 16, 5, 5})));
  expect_fast_matches(std::move(nchw), {"batch_norm_reference"});
  expect_fast_matches(batch_norm_nhwc_graph({2, 5, 5, 16}, /*weight_is_input=*/true), {"batch_norm_reference"});
}

}  // namespace
