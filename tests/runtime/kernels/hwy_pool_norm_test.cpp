// group_norm_hwy (NCHW and channels_last), pool2d_hwy (channels_last: avg
// with and without count_include_pad, ceil_mode, max), pad_hwy and
// index_select_hwy vs the reference kernels: odd channel counts (vector
// tails), large groups (the fp32 blocks flushed into double), two threads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/graph.h"
#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::expect_fast_matches;

// A node the layout pass would leave (channels_last attrs), as graph output "y".
Graph single_node_graph(OpKind op, const Shape& x_shape, Attrs attrs, bool with_affine, int64_t channels = 0) {
  Graph g;
  Builder b(g);
  std::vector<ValueId> inputs{b.input("x", x_shape)};
  if (with_affine) {
    inputs.push_back(b.parameter("n.weight", {channels}));
    inputs.push_back(b.parameter("n.bias", {channels}));
  }
  Node node{.op = op, .inputs = std::move(inputs), .output = kNoValue, .attrs = std::move(attrs), .module_path = "n"};
  node.output = g.add_value({.kind = ValueKind::kNodeOutput, .name = "n:out", .shape = infer_shape(g, node)});
  const ValueId y = node.output;
  g.add_node(std::move(node));
  b.output("y", y);
  return g;
}

Graph group_norm_graph(const Shape& shape, int64_t groups, bool channels_last) {
  const int64_t channels = channels_last ? shape.back() : shape[1];
  return single_node_graph(OpKind::kGroupNorm, shape,
                           GroupNormAttrs{.num_groups = groups, .eps = 1e-5f, .channels_last = channels_last}, true,
                           channels);
}

struct GroupNormCase {
  Shape shape;   // NCHW shape; channels_last runs the same sizes as [N,H,W,C]
  int64_t groups;
};

const std::vector<GroupNormCase> kGroupNormCases = {
    {{1, 64, 56, 56}, 1},   // PoolFormer-s12 stage 1: one group of 200k elements
    {{2, 6, 5, 7}, 3},      // odd plane, two samples
    {{1, 17, 3, 3}, 1},     // channel tail
    {{2, 32, 9, 11}, 8},    // groups of 4 channels
    {{1, 35, 1, 1}, 5},     // one position
    {{2, 8, 130}, 4},       // 3-D input [N,C,L]
};

TEST(group_norm_hwy, MatchesReferenceChannelsFirst) {
  for (const auto& c : kGroupNormCases) {
    SCOPED_TRACE(shape_str(c.shape) + " groups " + std::to_string(c.groups));
    expect_fast_matches(group_norm_graph(c.shape, c.groups, false), {"group_norm_hwy"});
  }
}

TEST(group_norm_hwy, MatchesReferenceChannelsLast) {
  for (const auto& c : kGroupNormCases) {
    Shape nhwc = c.shape;
    nhwc.erase(nhwc.begin() + 1);
    nhwc.push_back(c.shape[1]);
    SCOPED_TRACE(shape_str(nhwc) + " groups " + std::to_string(c.groups));
    expect_fast_matches(group_norm_graph(nhwc, c.groups, true), {"group_norm_hwy"});
  }
}

TEST(group_norm_hwy, HoldsWithALargeCommonOffset) {
  // x + 100: statistics from the deviations, not sum(x^2) - mean^2.
  for (bool channels_last : {false, true}) {
    Graph g;
    Builder b(g);
    const Shape shape = channels_last ? Shape{1, 28, 28, 64} : Shape{1, 64, 28, 28};
    const ValueId x = b.add(b.input("x", shape), b.constant("offset", {1}, {100.0f}));
    Node node{.op = OpKind::kGroupNorm,
              .inputs = {x, b.parameter("n.weight", {64}), b.parameter("n.bias", {64})},
              .output = kNoValue,
              .attrs = GroupNormAttrs{.num_groups = 4, .eps = 1e-5f, .channels_last = channels_last},
              .module_path = "n"};
    node.output = g.add_value({.kind = ValueKind::kNodeOutput, .name = "n:out", .shape = infer_shape(g, node)});
    const ValueId y = node.output;
    g.add_node(std::move(node));
    b.output("y", y);
    SCOPED_TRACE(channels_last ? "channels_last" : "NCHW");
    expect_fast_matches(std::move(g), {"add_hwy", "group_norm_hwy"});
  }
}

TEST(group_norm_hwy, TwoThreads) {
  expect_fast_matches(group_norm_graph({1, 64, 56, 56}, 1, false), {"group_norm_hwy"}, 2);
  expect_fast_matches(group_norm_graph({1, 56, 56, 64}, 1, true), {"group_norm_hwy"}, 2);
  expect_fast_matches(group_norm_graph({2, 9, 7, 33}, 3, true), {"group_norm_hwy"}, 2);
}

Graph pool_graph(const Shape& nhwc, PoolMode mode, int64_t kernel, int64_t stride, int64_t padding, bool ceil_mode,
                 bool count_include_pad) {
  return single_node_graph(OpKind::kPool2d, nhwc,
                           Pool2dAttrs{.mode = mode,
                                       .kernel = {kernel, kernel},
                                       .stride = {stride, stride},
                                       .padding = {padding, padding},
                                       .ceil_mode = ceil_mode,
                                       .count_include_pad = count_include_pad,
                                       .channels_last = true},
                           false);
}

TEST(pool2d_hwy, MatchesReferenceChannelsLast) {
  struct Case {
    Shape shape;
    int64_t kernel, stride, padding;
  };
  const std::vector<Case> cases = {
      {{1, 56, 56, 64}, 3, 1, 1},   // PoolFormer token mixer
      {{2, 7, 9, 17}, 3, 2, 1},     // channel tail, odd sizes
      {{1, 8, 8, 5}, 2, 2, 0},      // fewer channels than a vector
      {{1, 11, 10, 19}, 3, 2, 0},   // ceil_mode adds a partial last window
      {{1, 7, 7, 40}, 7, 1, 0},     // global pool
      {{1, 6, 5, 33}, 4, 3, 2},     // windows reaching into the padding
  };
  for (const Case& c : cases) {
    for (PoolMode mode : {PoolMode::kAverage, PoolMode::kMax}) {
      for (bool ceil_mode : {false, true}) {
        for (bool include_pad : {true, false}) {
          if (mode == PoolMode::kMax && !include_pad) continue;
          SCOPED_TRACE(shape_str(c.shape) + " k" + std::to_string(c.kernel) + " s" + std::to_string(c.stride) +
                       " p" + std::to_string(c.padding) + (mode == PoolMode::kMax ? " max" : " avg") +
                       (ceil_mode ? " ceil" : "") + (include_pad ? " include_pad" : ""));
          expect_fast_matches(pool_graph(c.shape, mode, c.kernel, c.stride, c.padding, ceil_mode, include_pad),
                              {"pool2d_hwy"});
        }
      }
    }
  }
}

TEST(pool2d_hwy, TwoThreads) {
  expect_fast_matches(pool_graph({1, 56, 56, 64}, PoolMode::kAverage, 3, 1, 1, false, false), {"pool2d_hwy"}, 2);
  expect_fast_matches(pool_graph({2, 15, 15, 24}, PoolMode::kMax, 3, 2, 1, true, true), {"pool2d_hwy"}, 2);
}

TEST(pool2d_hwy, LeavesChannelsFirstToTheReference) {
  Graph g;
  Builder b(g);
  b.output("y", b.avg_pool2d(b.input("x", {1, 4, 6, 6}), 3, {.stride = 1, .padding = 1}));
  expect_fast_matches(std::move(g), {"pool2d_reference"});
}

Graph pad_graph(const Shape& shape, std::vector<std::array<int64_t, 2>> pads, float value) {
  Graph g;
  Builder b(g);
  b.output("y", b.pad(b.input("x", shape), std::move(pads), value));
  return g;
}

TEST(pad_hwy, MatchesReference) {
  expect_fast_matches(pad_graph({1, 4, 6, 6}, {{0, 0}, {0, 0}, {1, 2}, {3, 4}}, 0.0f), {"pad_hwy"});
  expect_fast_matches(pad_graph({2, 5, 7, 3}, {{0, 0}, {0, 1}, {0, 1}, {0, 0}}, 0.0f), {"pad_hwy"});   // NHWC H/W
  expect_fast_matches(pad_graph({3, 17}, {{1, 0}, {0, 5}}, -1.5f), {"pad_hwy"});
  expect_fast_matches(pad_graph({9}, {{2, 3}}, 2.0f), {"pad_hwy"});
  expect_fast_matches(pad_graph({2, 3, 4}, {{0, 0}, {0, 0}, {0, 0}}, 0.0f), {"pad_hwy"});
  expect_fast_matches(pad_graph({1, 56, 56, 64}, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}, 0.0f), {"pad_hwy"}, 2);
}

Graph index_select_graph(const Shape& shape, int64_t axis, const std::vector<int64_t>& indices) {
  Graph g;
  Builder b(g);
  b.output("y", b.index_select(b.input("x", shape), axis, indices));
  return g;
}

TEST(index_select_hwy, MatchesReference) {
  expect_fast_matches(index_select_graph({49, 6}, 0, {3, 0, 48, 3, 7}), {"index_select_hwy"});
  expect_fast_matches(index_select_graph({2, 5, 7}, 1, {4, 4, 0}), {"index_select_hwy"});
  expect_fast_matches(index_select_graph({3, 9}, 1, {8, 1, 0, 2}), {"index_select_hwy"});
  std::vector<int64_t> many;
  for (int64_t i = 0; i < 2401; ++i) many.push_back((i * 37) % 169);
  expect_fast_matches(index_select_graph({169, 12}, 0, many), {"index_select_hwy"}, 2);   // Swin-style bias table
}

}  // namespace
