// interpolate_hwy (bilinear, channels last) vs the reference: up- and
// down-sampling, align_corners both ways, output size 1, channel counts that
// exercise the vector tails, two threads; NCHW nodes stay on the reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

using litevit::testing_util::expect_fast_matches;

Graph interpolate_graph(const Shape& shape, int64_t height, int64_t width, bool align_corners,
                        bool channels_last = true) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("input", shape);
  Node node{.op = OpKind::kInterpolate,
            .inputs = {x},
            .output = kNoValue,
            .attrs = InterpolateAttrs{.mode = InterpolationMode::kBilinear,
                                      .align_corners = align_corners,
                                      .size = {height, width},
                                      .channels_last = channels_last},
            .module_path = "resize"};
  node.output =
      g.add_value({.kind = ValueKind::kNodeOutput, .name = "resize:interpolate", .shape = infer_shape(g, node)});
  const ValueId y = node.output;
  g.add_node(std::move(node));
  b.output("y", y);
  return g;
}

struct ResizeCase {
  int64_t in_h, in_w, out_h, out_w;
};

TEST(interpolate_hwy, MatchesReferenceChannelsLast) {
  const std::vector<ResizeCase> sizes = {{5, 7, 10, 14}, {7, 5, 16, 9}, {16, 16, 7, 5}, {4, 4, 1, 1}, {1, 1, 3, 2}};
  for (bool align_corners : {false, true}) {
    for (const ResizeCase& s : sizes) {
      for (int64_t c : {1, 3, 17, 64}) {
        SCOPED_TRACE(std::to_string(s.in_h) + "x" + std::to_string(s.in_w) + " -> " + std::to_string(s.out_h) + "x" +
                     std::to_string(s.out_w) + " C=" + std::to_string(c) + " align_corners=" +
                     std::to_string(align_corners));
        expect_fast_matches(interpolate_graph({2, s.in_h, s.in_w, c}, s.out_h, s.out_w, align_corners),
                            {"interpolate_hwy"});
      }
    }
  }
}

TEST(interpolate_hwy, TwoThreads) {
  expect_fast_matches(interpolate_graph({1, 16, 16, 128}, 32, 32, false), {"interpolate_hwy"}, 2);
}

TEST(interpolate_hwy, LeavesChannelsFirstToTheReference) {
  expect_fast_matches(interpolate_graph({2, 3, 5, 7}, 10, 14, false, /*channels_last=*/false),
                      {"interpolate_reference"});
}

}  // namespace
