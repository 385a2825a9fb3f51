// reshape/permute/slice/expand/concat_hwy vs the reference kernels. The
// permutes cover each inner loop of the strided copy: rows (innermost axis
// stays), batched transposes in 4x4 tiles with ragged edges, interleaved
// RGB planes, strided
// gathers, up to 6-D; slices with steps on inner and outer axes; expands that
// copy rows and that fill them.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

using litevit::testing_util::expect_fast_matches;

Graph permute_graph(const Shape& shape, const std::vector<int64_t>& perm) {
  Graph g;
  Builder b(g);
  b.output("y", b.permute(b.input("input", shape), perm));
  return g;
}

struct PermuteCase {
  Shape shape;
  std::vector<int64_t> perm;
};

TEST(permute_hwy, MatchesReference) {
  const std::vector<PermuteCase> cases = {
      {{2, 197, 3, 3, 64}, {2, 0, 3, 1, 4}},   // qkv head split: rows of 64
      {{2, 3, 197, 64}, {0, 2, 1, 3}},         // heads back to tokens
      {{2, 197, 192}, {0, 2, 1}},              // token transpose (ragged 197)
      {{1, 192, 14, 14}, {0, 2, 3, 1}},        // NCHW -> NHWC
      {{2, 13, 11, 17}, {0, 3, 1, 2}},         // NHWC -> NCHW, odd sizes
      {{2, 3, 37, 29}, {0, 2, 3, 1}},          // RGB image -> NHWC: 3 rows interleave, ragged tail
      {{1, 2, 9, 5}, {0, 2, 3, 1}},            // 2 and 4 channels interleave too
      {{1, 4, 33, 1}, {0, 2, 3, 1}},
      {{5, 3}, {1, 0}},                        // tiny transpose: edges only
      {{8, 4}, {1, 0}},                        // whole 4x4 tiles only
      {{3, 4, 5, 6}, {3, 1, 2, 0}},            // strided gather
      {{4, 5, 6}, {2, 0, 1}},                  // transpose after merging axes
      {{2, 3, 1, 5}, {2, 0, 3, 1}},            // size-1 axis
      {{7}, {0}},                              // identity
      {{2, 2, 4, 2, 4, 8}, {0, 1, 3, 2, 4, 5}},   // 6-D MobileViT-style unfold (NHWC)
      {{2, 3, 4, 5, 6, 7}, {5, 3, 1, 4, 0, 2}},   // 6-D general
  };
  for (const PermuteCase& c : cases) {
    SCOPED_TRACE(shape_str(c.shape) + " perm " + shape_str(c.perm));
    expect_fast_matches(permute_graph(c.shape, c.perm), {"permute_hwy"});
  }
}

TEST(permute_hwy, RandomPermutations) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 40; ++trial) {
    const auto rank = static_cast<size_t>(2 + trial % 5);
    Shape shape(rank);
    for (int64_t& d : shape) d = std::uniform_int_distribution<int64_t>(1, 9)(rng);
    std::vector<int64_t> perm(rank);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    SCOPED_TRACE(shape_str(shape) + " perm " + shape_str(perm));
    expect_fast_matches(permute_graph(shape, perm), {"permute_hwy"}, 1, static_cast<uint32_t>(trial));
  }
}

TEST(permute_hwy, TwoThreads) {
  expect_fast_matches(permute_graph({2, 197, 192}, {0, 2, 1}), {"permute_hwy"}, 2);
  expect_fast_matches(permute_graph({2, 197, 3, 3, 64}, {2, 0, 3, 1, 4}), {"permute_hwy"}, 2);
  expect_fast_matches(permute_graph({197, 192}, {1, 0}), {"permute_hwy"}, 2);   // one matrix, split in strips
  expect_fast_matches(permute_graph({1, 3, 224, 224}, {0, 2, 3, 1}), {"permute_hwy"}, 2);   // interleave strips
}

TEST(permute_hwy, LeavesRanksAboveSixToTheReference) {
  expect_fast_matches(permute_graph({2, 1, 2, 1, 2, 1, 3}, {6, 5, 4, 3, 2, 1, 0}), {"permute_reference"});
}

Graph slice_graph(const Shape& shape, int64_t axis, int64_t start, int64_t end, int64_t step) {
  Graph g;
  Builder b(g);
  b.output("y", b.slice(b.input("input", shape), axis, start, end, step));
  return g;
}

TEST(slice_hwy, MatchesReference) {
  expect_fast_matches(slice_graph({2, 197, 192}, 1, 1, 197, 1), {"slice_hwy"});    // drop the class token
  expect_fast_matches(slice_graph({2, 197, 192}, 1, 0, 1, 1), {"slice_hwy"});      // the class token
  expect_fast_matches(slice_graph({2, 197, 576}, 2, 192, 384, 1), {"slice_hwy"});  // k of a fused qkv
  expect_fast_matches(slice_graph({2, 9, 17}, 2, 1, 17, 3), {"slice_hwy"});        // stepped last axis: gather
  expect_fast_matches(slice_graph({2, 9, 8, 5}, 1, 2, 9, 2), {"slice_hwy"});       // stepped outer axis: rows
  expect_fast_matches(slice_graph({17}, 0, 16, 17, 1), {"slice_hwy"});             // one element
}

TEST(slice_hwy, TwoThreads) {
  expect_fast_matches(slice_graph({2, 197, 192}, 1, 1, 197, 1), {"slice_hwy"}, 2);
}

Graph expand_graph(const Shape& shape, const Shape& to) {
  Graph g;
  Builder b(g);
  b.output("y", b.expand(b.input("input", shape), to));
  return g;
}

TEST(expand_hwy, MatchesReference) {
  expect_fast_matches(expand_graph({1, 1, 192}, {2, 1, 192}), {"expand_hwy"});       // class token over batch
  expect_fast_matches(expand_graph({2, 5, 1}, {2, 5, 17}), {"expand_hwy"});          // fill rows
  expect_fast_matches(expand_graph({1, 5, 1}, {3, 5, 7}), {"expand_hwy"});           // both
  expect_fast_matches(expand_graph({3, 1, 4}, {3, 6, 4}), {"expand_hwy"});           // middle axis
  expect_fast_matches(expand_graph({1}, {1}), {"expand_hwy"});                       // nothing to expand
}

TEST(expand_hwy, TwoThreads) {
  expect_fast_matches(expand_graph({1, 197, 192}, {4, 197, 192}), {"expand_hwy"}, 2);
}

TEST(reshape_hwy, MatchesReference) {
  Graph g;
  Builder b(g);
  b.output("y", b.flatten(b.input("input", {2, 3, 5, 7}), 1));
  expect_fast_matches(std::move(g), {"reshape_hwy"});
  Graph big;
  Builder bb(big);
  bb.output("y", bb.reshape(bb.input("input", {2, 197, 192}), {2, 197, 3, 64}));
  expect_fast_matches(std::move(big), {"reshape_hwy"}, 2);
}

Graph concat_graph(const std::vector<Shape>& shapes, int64_t axis) {
  Graph g;
  Builder b(g);
  std::vector<ValueId> xs;
  const char* names[] = {"x0", "x1", "x2", "x3"};
  for (size_t i = 0; i < shapes.size(); ++i) xs.push_back(b.input(names[i], shapes[i]));
  b.output("y", b.concat(xs, axis));
  return g;
}

TEST(concat_hwy, MatchesReference) {
  expect_fast_matches(concat_graph({{2, 1, 192}, {2, 196, 192}}, 1), {"concat_hwy"});          // class token
  expect_fast_matches(concat_graph({{2, 1, 192}, {2, 1, 192}, {2, 196, 192}}, 1), {"concat_hwy"});   // + dist token
  expect_fast_matches(concat_graph({{2, 5, 3}, {2, 5, 17}}, 2), {"concat_hwy"});               // last axis
  expect_fast_matches(concat_graph({{1, 5, 3}, {2, 5, 3}}, 0), {"concat_hwy"});                // first axis
}

TEST(concat_hwy, TwoThreads) {
  expect_fast_matches(concat_graph({{4, 1, 192}, {4, 196, 192}}, 1), {"concat_hwy"}, 2);
}

}  // namespace
