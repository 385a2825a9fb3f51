// reduce_mean_hwy vs the reference: the NHWC global pool, the token mean, trailing-axis means,
// channel counts that exercise the vector tails and the column blocks, a long
// reduction (56x56), two threads, and axis sets it must leave to the reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

using litevit::testing_util::expect_fast_matches;

Graph mean_graph(const Shape& shape, const std::vector<int64_t>& axes, bool keepdim) {
  Graph g;
  Builder b(g);
  b.output("y", b.mean(b.input("input", shape), axes, keepdim));
  return g;
}

TEST(reduce_mean_hwy, GlobalPoolChannelsLast) {
  for (int64_t c : {1, 3, 17, 64, 197, 320, 1000}) {
    SCOPED_TRACE("C=" + std::to_string(c));
    expect_fast_matches(mean_graph({2, 7, 5, c}, {1, 2}, false), {"reduce_mean_hwy"});
  }
  expect_fast_matches(mean_graph({2, 7, 5, 64}, {2, 1}, true), {"reduce_mean_hwy"});   // keepdim, unsorted axes
}

TEST(reduce_mean_hwy, TokenMean) {
  expect_fast_matches(mean_graph({2, 196, 192}, {1}, false), {"reduce_mean_hwy"});
  expect_fast_matches(mean_graph({196, 192}, {0}, false), {"reduce_mean_hwy"});
}

TEST(reduce_mean_hwy, LongReduction) {
  expect_fast_matches(mean_graph({1, 56, 56, 48}, {1, 2}, false), {"reduce_mean_hwy"});
}

TEST(reduce_mean_hwy, TwoThreads) {
  expect_fast_matches(mean_graph({4, 14, 14, 320}, {1, 2}, false), {"reduce_mean_hwy"}, 2);
}

TEST(reduce_mean_hwy, TrailingAxes) {
  expect_fast_matches(mean_graph({2, 5, 7}, {2}, false), {"reduce_mean_hwy"});          // the last axis, a tail only
  expect_fast_matches(mean_graph({2, 16, 5, 5}, {2, 3}, true), {"reduce_mean_hwy"});    // NCHW pool
  expect_fast_matches(mean_graph({1, 512, 7, 7}, {2, 3}, true), {"reduce_mean_hwy"});   // PoolFormer's head
  expect_fast_matches(mean_graph({3, 33, 257}, {2}, false), {"reduce_mean_hwy"});       // long rows with a tail
  expect_fast_matches(mean_graph({4, 64, 256}, {1, 2}, false), {"reduce_mean_hwy"}, 2);
  expect_fast_matches(mean_graph({96, 3136}, {1}, false), {"reduce_mean_hwy"}, 2);
}

TEST(reduce_mean_hwy, LeavesOtherAxesToTheReference) {
  expect_fast_matches(mean_graph({2, 5, 7, 3}, {0, 2}, false), {"reduce_mean_reference"});  // not contiguous
}

}  // namespace
