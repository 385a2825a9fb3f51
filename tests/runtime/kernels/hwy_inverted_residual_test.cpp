// The fused inverted-residual kernel (hwy/inverted_residual.cpp) vs the
// reference kernel (the three reference convs), each made directly for a
// one-op graph (the registry gives small maps to the oneDNN kernel instead),
// on every Highway target this CPU runs (different vector lengths, so
// different channel padding and tails): MobileViT-like shapes, odd channel
// counts and widths, stride 2 on odd sizes, kernel 3 (the fixed path) and
// 1 / 5 / 7 (the generic one), no padding, every activation, 1-3 threads, a
// batch of several images, and concurrent runs. Also the oneDNN kernel (three
// conv2d_onednn) vs the reference, and which of the two a plan picks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "graph/builder.h"
#include "runtime/hwy_test_util.h"
#include "runtime/kernel_test_util.h"
#include "runtime/kernels/hwy/common.h"
#include "runtime/kernels/onednn/onednn_kernels.h"

namespace {

using litevit::testing_util::for_each_target;

using namespace litevit::graph;
using litevit::runtime::FastKernel;
using litevit::testing_util::expect_fast_matches;
using litevit::testing_util::expect_kernel_matches_reference;

struct Block {
  int64_t batch = 1, height, width, in, mid, out;
  int64_t kernel = 3, stride = 1, padding = -1;   // -1: kernel / 2
  bool residual = false;
  Activation expand_act = Activation::kSilu, depthwise_act = Activation::kSilu, project_act = Activation::kNone;

  std::string str() const {
    return std::to_string(batch) + "x" + std::to_string(height) + "x" + std::to_string(width) + " " +
           std::to_string(in) + "->" + std::to_string(mid) + "->" + std::to_string(out) + " k" +
           std::to_string(kernel) + " s" + std::to_string(stride) + " pad " + std::to_string(pad()) +
           (residual ? " +residual" : "") + " acts " + activation_name(expand_act) + "/" +
           activation_name(depthwise_act) + "/" + activation_name(project_act);
  }
  int64_t pad() const { return padding < 0 ? kernel / 2 : padding; }
};

Graph block_graph(const Block& o) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("x", {o.batch, o.height, o.width, o.in});
  const std::array<ValueId, 6> weights = {
      b.parameter("expand.weight", {o.mid, o.in, 1, 1}),         b.parameter("expand.bias", {o.mid}),
      b.parameter("dw.weight", {o.mid, 1, o.kernel, o.kernel}),  b.parameter("dw.bias", {o.mid}),
      b.parameter("project.weight", {o.out, o.mid, 1, 1}),       b.parameter("project.bias", {o.out})};
  const int64_t out_h = (o.height + 2 * o.pad() - o.kernel) / o.stride + 1;
  const int64_t out_w = (o.width + 2 * o.pad() - o.kernel) / o.stride + 1;
  const ValueId residual = o.residual ? b.input("residual", {o.batch, out_h, out_w, o.out}) : kNoValue;
  const InvertedResidualAttrs attrs{.expand_act = o.expand_act,
                                    .depthwise_act = o.depthwise_act,
                                    .stride = o.stride,
                                    .padding = o.pad(),
                                    .epilogue = {.act = o.project_act}};
  b.output("y", b.inverted_residual(x, weights, attrs, residual));
  return g;
}

void expect_matches_reference(const Block& block, std::initializer_list<int> threads = {1, 2, 3}) {
  SCOPED_TRACE(block.str());
  for_each_target([&] { expect_kernel_matches_reference(litevit::runtime::hwy::kInvertedResidual, block_graph(block), threads); });
}

TEST(inverted_residual_hwy, MobileVitLikeShapes) {
  // MobileViT-xxs's blocks at a quarter of the size (the reference kernel is slow).
  expect_matches_reference({.height = 32, .width = 32, .in = 16, .mid = 32, .out = 16, .residual = true});
  expect_matches_reference({.height = 32, .width = 32, .in = 16, .mid = 32, .out = 24, .stride = 2});
  expect_matches_reference({.height = 16, .width = 16, .in = 24, .mid = 48, .out = 24, .residual = true});
  expect_matches_reference({.height = 8, .width = 8, .in = 64, .mid = 128, .out = 80, .stride = 2});
}

TEST(inverted_residual_hwy, OddChannelsAndWidths) {
  expect_matches_reference({.height = 9, .width = 13, .in = 5, .mid = 11, .out = 7});
  expect_matches_reference({.height = 9, .width = 13, .in = 5, .mid = 11, .out = 5, .residual = true});
  for (int64_t width : {1, 2, 3, 5, 7, 9, 15, 17, 33, 37}) {   // pixel tails of the 6-row GEMM and 4-pixel dw blocks
    expect_matches_reference({.height = 3, .width = width, .in = 3, .mid = 17, .out = 9}, {1});
  }
  // Channel padding to whole vectors, the GEMMs' last panel 1 vector wide when
  // that is an odd number of them (8 lanes: 23, 40; 16 lanes: 16, 33, 48).
  // Expanded channel tails: panels of 2 vectors of 4 or 8 lanes, or 4 of 16
  // (AVX-512), the last 1 .. 4 vectors wide.
  for (int64_t mid : {1, 7, 8, 9, 16, 23, 33, 40, 48, 63, 64, 65, 100, 130}) {
    expect_matches_reference({.height = 5, .width = 6, .in = 2, .mid = mid, .out = 3}, {1});
  }
  for (int64_t out : {1, 4, 8, 12, 17, 31, 40, 48, 64, 80, 100}) {   // output column tails
    expect_matches_reference({.height = 4, .width = 5, .in = 6, .mid = 8, .out = out, .residual = true}, {1});
  }
}

TEST(inverted_residual_hwy, StrideTwoOnOddSizes) {
  expect_matches_reference({.height = 7, .width = 9, .in = 5, .mid = 11, .out = 7, .stride = 2});
  expect_matches_reference({.height = 1, .width = 1, .in = 3, .mid = 8, .out = 4, .stride = 2});
  expect_matches_reference({.height = 12, .width = 5, .in = 4, .mid = 16, .out = 6, .stride = 2, .padding = 0});
}

TEST(inverted_residual_hwy, RingPixelsOneLineLongerWhenAMultipleOf8Lines) {
  // mid_pad 128 and 256 (MobileViT-s's 64->256->64): ring pixels padded by a
  // cache line (RingPixelStride); 250 pads channels too, 192 and 96 keep
  // their width. Both strides, other kernel sizes, odd widths.
  for (int64_t mid : {128, 256, 250, 192, 96}) {
    expect_matches_reference({.height = 6, .width = 11, .in = 8, .mid = mid, .out = 8, .residual = true}, {1, 2});
    expect_matches_reference({.height = 7, .width = 9, .in = 8, .mid = mid, .out = 12, .stride = 2}, {1, 3});
  }
  expect_matches_reference({.height = 7, .width = 6, .in = 4, .mid = 256, .out = 4, .kernel = 5, .stride = 2}, {1});
}

TEST(inverted_residual_hwy, OtherKernelSizes) {
  expect_matches_reference({.height = 11, .width = 10, .in = 5, .mid = 11, .out = 7, .kernel = 5});
  expect_matches_reference({.height = 11, .width = 10, .in = 5, .mid = 11, .out = 7, .kernel = 5, .stride = 2});
  expect_matches_reference({.height = 6, .width = 7, .in = 4, .mid = 9, .out = 4, .kernel = 1, .residual = true});
  expect_matches_reference({.height = 9, .width = 9, .in = 3, .mid = 8, .out = 5, .kernel = 7, .stride = 2});
  expect_matches_reference({.height = 6, .width = 7, .in = 4, .mid = 9, .out = 4, .kernel = 3, .padding = 0});
}

TEST(inverted_residual_hwy, EveryActivation) {
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kGelu, Activation::kSilu,
                         Activation::kSigmoid, Activation::kHardSwish, Activation::kRelu6}) {
    expect_matches_reference({.height = 6, .width = 7, .in = 5, .mid = 11, .out = 5, .residual = true,
                              .expand_act = act, .depthwise_act = act, .project_act = act},
                             {1});
  }
  // Sigmoid maps the padded channels' 0 to 0.5: they must still contribute nothing.
  expect_matches_reference({.height = 5, .width = 5, .in = 3, .mid = 5, .out = 3, .stride = 2,
                            .expand_act = Activation::kSigmoid, .depthwise_act = Activation::kSigmoid},
                           {1});
}

TEST(inverted_residual_hwy, BatchOfImages) {
  // Thread pieces start and end inside images.
  expect_matches_reference({.batch = 3, .height = 7, .width = 8, .in = 4, .mid = 12, .out = 4, .residual = true});
  expect_matches_reference({.batch = 2, .height = 9, .width = 9, .in = 4, .mid = 12, .out = 6, .stride = 2});
}

TEST(inverted_residual_hwy, ConcurrentRunsGiveTheSameBits) {
  litevit::testing_util::expect_concurrent_runs_identical(
      block_graph({.height = 64, .width = 64, .in = 8, .mid = 24, .out = 8, .residual = true}),
      "inverted_residual_hwy");
}

TEST(inverted_residual_onednn, MatchesTheReference) {
  for (const Block& block : {Block{.height = 16, .width = 16, .in = 24, .mid = 48, .out = 24, .residual = true},
                             Block{.batch = 2, .height = 9, .width = 7, .in = 5, .mid = 11, .out = 7, .stride = 2,
                                   .project_act = Activation::kGelu},
                             Block{.height = 8, .width = 8, .in = 16, .mid = 64, .out = 16, .kernel = 5,
                                   .residual = true, .project_act = Activation::kRelu}}) {
    SCOPED_TRACE(block.str());
    expect_kernel_matches_reference(litevit::runtime::onednn::kInvertedResidualOnednn, block_graph(block), {1, 2});
  }
}

TEST(inverted_residual, PlansPickTheFusedKernelOnLargeMapsOrNarrowExpansions) {
  expect_fast_matches(block_graph({.height = 64, .width = 64, .in = 64, .mid = 256, .out = 64, .residual = true}),
                      {"inverted_residual_hwy"}, 2);
  expect_fast_matches(block_graph({.height = 32, .width = 32, .in = 48, .mid = 96, .out = 64, .stride = 2}),
                      {"inverted_residual_hwy"}, 2);
  expect_fast_matches(block_graph({.height = 14, .width = 14, .in = 64, .mid = 256, .out = 64, .residual = true}),
                      {"inverted_residual_onednn"}, 2);
  // The output map decides: 32x32 (mobilevit_s's stages.2.0) is fused, 16x16 is not.
  expect_fast_matches(block_graph({.height = 64, .width = 64, .in = 64, .mid = 256, .out = 96, .stride = 2}),
                      {"inverted_residual_hwy"}, 2);
  expect_fast_matches(block_graph({.height = 32, .width = 32, .in = 96, .mid = 384, .out = 128, .stride = 2}),
                      {"inverted_residual_onednn"}, 2);
}

}  // namespace
