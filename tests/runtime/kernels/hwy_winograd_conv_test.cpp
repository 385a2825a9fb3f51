// conv2d_winograd_hwy (F(2x2, 3x3), hwy/winograd_conv.cpp) vs the reference
// conv2d on NHWC nodes, on every Highway target this CPU runs: MobileViT's
// conv_kxk and conv_fusion shapes, odd heights and widths (the last tile
// row and column half outside the output), channel counts that are not a
// whole vector (input tails) or panel (output tails), paddings 0-3, every
// epilogue, a batch split across threads mid-image; both ways of splitting
// the work (tile rows, and on maps of at most 16 tiles output channel
// panels of whole images); concurrent runs of one plan; and the nodes it
// must leave to conv2d_hwy and oneDNN.
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "runtime/dense_conv_test_util.h"
#include "runtime/hwy_test_util.h"
#include "runtime/kernel_test_util.h"
#include "runtime/kernels/hwy/common.h"

namespace {

using namespace litevit::graph;
using litevit::runtime::hwy::kWinogradConv2d;
using litevit::testing_util::expect_kernel_matches_reference;
using litevit::testing_util::for_each_target;

using Conv = litevit::testing_util::DenseConv;

// The node's graph with its weights bound (what supports() and the kernel need).
Graph conv_graph(const Conv& c) {
  Graph g = litevit::testing_util::dense_conv_graph(c);
  litevit::testing_util::bind_random_parameters(g, 5);
  return g;
}

void expect_matches_reference(const Conv& c, std::initializer_list<int> threads = {1, 2, 3}) {
  SCOPED_TRACE(c.str());
  const Graph g = conv_graph(c);
  ASSERT_TRUE(kWinogradConv2d.supports(g, g.nodes().at(0)));
  for_each_target([&] { expect_kernel_matches_reference(kWinogradConv2d, conv_graph(c), threads); });
}

TEST(conv2d_winograd_hwy, MobileVitLikeShapes) {
  // MobileViT-xxs's conv_kxk and conv_fusion, at half size (the reference kernel is slow).
  expect_matches_reference({.height = 16, .width = 16, .in = 48, .out = 48, .act = Activation::kSilu});
  expect_matches_reference({.height = 16, .width = 16, .in = 96, .out = 48, .act = Activation::kSilu});
  expect_matches_reference({.height = 8, .width = 8, .in = 64, .out = 64, .act = Activation::kSilu, .residual = true});
  // MobileViT-s's conv_fusion at its 8x8 stage: 320 -> 160, deep GEMMs.
  expect_matches_reference({.height = 8, .width = 8, .in = 320, .out = 160, .act = Activation::kSilu}, {1, 2});
}

TEST(conv2d_winograd_hwy, OddHeightsAndWidths) {
  // Odd sizes end in a tile whose second row or column is outside the output;
  // widths 1-37 give every split of the tile row into GEMM blocks of 1-6 tiles.
  for (int64_t width : {1, 2, 3, 4, 5, 7, 11, 12, 13, 24, 37}) {
    expect_matches_reference({.height = 3, .width = width, .in = 9, .out = 11}, {1});
  }
  for (int64_t height : {1, 2, 5, 6, 9}) expect_matches_reference({.height = height, .width = 4, .in = 8, .out = 8});
}

TEST(conv2d_winograd_hwy, ChannelTails) {
  for (int64_t out : {1, 7, 8, 9, 16, 17, 31, 33, 40}) {   // output channels past whole vectors and panels
    expect_matches_reference({.height = 4, .width = 5, .in = 8, .out = out, .residual = true}, {1});
  }
  // Maps of more than 16 tiles (threads split tile rows) take panels of 4
  // vectors on AVX-512: the last 1 .. 4 vectors wide.
  for (int64_t out : {1, 17, 33, 48, 63, 64, 65, 100}) {
    expect_matches_reference({.height = 12, .width = 11, .in = 8, .out = out, .residual = true}, {1, 2});
  }
  for (int64_t in : {8, 13, 33}) {   // input channels past whole vectors
    expect_matches_reference({.height = 5, .width = 7, .in = in, .out = 12});
  }
}

TEST(conv2d_winograd_hwy, Paddings) {
  expect_matches_reference({.height = 7, .width = 8, .in = 8, .out = 5, .padding = {0, 0}});   // output 5x6
  expect_matches_reference({.height = 6, .width = 7, .in = 8, .out = 5, .padding = {0, 1}});
  // Output larger than the input.
  expect_matches_reference({.height = 5, .width = 6, .in = 8, .out = 7, .padding = {2, 3}});
  expect_matches_reference({.height = 3, .width = 3, .in = 8, .out = 4, .padding = {0, 0}});   // one output pixel
}

TEST(conv2d_winograd_hwy, EpiloguesAndNoBias) {
  // 5x7 is 12 tiles (whole images, the epilogue a pass of its own); 11x12 is
  // 36 (tile rows, the epilogue per tile row).
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kGelu, Activation::kSilu,
                         Activation::kSigmoid, Activation::kHardSwish, Activation::kRelu6}) {
    expect_matches_reference({.height = 5, .width = 7, .in = 9, .out = 10, .act = act, .residual = true}, {1, 2});
    expect_matches_reference({.height = 11, .width = 12, .in = 9, .out = 10, .act = act, .residual = true}, {1, 2});
  }
  expect_matches_reference({.height = 6, .width = 5, .in = 8, .out = 17, .bias = false});
  expect_matches_reference({.height = 12, .width = 10, .in = 8, .out = 17, .bias = false});
}

TEST(conv2d_winograd_hwy, UnitsOfSeveralTileRows) {
  // Narrow maps of more than 16 tiles: units of ceil(16 / tiles a row) tile
  // rows, the last unit of an image shorter (13x8: 7 tile rows of 4 tiles
  // in units of 4, the last tile row half outside), units split across
  // threads inside and across images.
  expect_matches_reference({.height = 13, .width = 8, .in = 16, .out = 24, .act = Activation::kSilu, .residual = true});
  expect_matches_reference({.batch = 2, .height = 13, .width = 7, .in = 8, .out = 17});
  expect_matches_reference({.height = 40, .width = 3, .in = 8, .out = 8});   // 16 tiles a unit of 16 tile rows
}

TEST(conv2d_winograd_hwy, WholeImagesSplitByPanels) {
  // Maps of at most 16 tiles: threads take output channel panels of every
  // tile. 1-7 panels on 1-3 threads (fewer panels than threads included),
  // panel tails, and a batch (each image one unit).
  for (int64_t out : {8, 16, 17, 40, 80, 100}) {
    expect_matches_reference({.height = 8, .width = 8, .in = 24, .out = out, .act = Activation::kSilu});
  }
  expect_matches_reference({.batch = 3, .height = 8, .width = 7, .in = 16, .out = 40, .residual = true});
  expect_matches_reference({.batch = 2, .height = 1, .width = 1, .in = 8, .out = 33});
}

TEST(conv2d_winograd_hwy, BatchOfImages) {
  // Thread pieces of tile rows start and end inside images.
  expect_matches_reference({.batch = 3, .height = 7, .width = 6, .in = 8, .out = 12, .residual = true});
  expect_matches_reference({.batch = 2, .height = 10, .width = 9, .in = 16, .out = 10});
}

TEST(conv2d_winograd_hwy, OnlyThreeByThreeStrideOne) {
  // What F(2x2, 3x3) does not compute stays with conv2d_hwy and oneDNN.
  for (const Conv& c : {Conv{.height = 8, .width = 8, .in = 8, .out = 8, .stride = {2, 2}},
                        Conv{.height = 8, .width = 8, .in = 8, .out = 8, .stride = {1, 2}},
                        Conv{.height = 8, .width = 8, .in = 8, .out = 8, .kernel = {5, 5}, .padding = {2, 2}},
                        Conv{.height = 8, .width = 8, .in = 8, .out = 8, .kernel = {3, 1}, .padding = {1, 0}},
                        Conv{.height = 8, .width = 8, .in = 8, .out = 8, .kernel = {1, 1}, .padding = {0, 0}},
                        Conv{.height = 8, .width = 8, .in = 8, .out = 8, .padding = {2, 2}, .dilation = {2, 2}},
                        Conv{.height = 8, .width = 8, .in = 8, .out = 8, .groups = 8},
                        Conv{.height = 8, .width = 8, .in = 3, .out = 8}}) {   // a stem: too shallow
    SCOPED_TRACE(c.str());
    const Graph g = conv_graph(c);
    EXPECT_FALSE(kWinogradConv2d.supports(g, g.nodes().at(0)));
  }
}

TEST(conv2d_winograd_hwy, ConcurrentRunsGiveTheSameBits) {
  for (int64_t size : {32, 8}) {   // tile rows split, whole images split by panels
    SCOPED_TRACE(size);
    litevit::testing_util::expect_concurrent_runs_identical(
        conv_graph({.height = size, .width = size, .in = 16, .out = 40, .act = Activation::kSilu, .residual = true}),
        "conv2d_winograd_hwy");
  }
}

}  // namespace
