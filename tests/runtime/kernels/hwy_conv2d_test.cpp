// conv2d_hwy (the implicit-GEMM dense conv, hwy/conv2d.cpp) vs the reference
// conv2d on NHWC nodes, on every Highway target this CPU runs (different
// vector lengths, so different panel widths and tails): MobileViT's 3x3
// shapes, odd channel counts (panel tails) and widths (every pixel-block
// split), strides, paddings wider than the kernel's half, non-square
// kernels, no padding (rows read in place), a batch of images split across
// threads mid-image, every epilogue, and concurrent runs of one plan.
#include <gtest/gtest.h>

#include "graph/builder.h"
#include "runtime/dense_conv_test_util.h"
#include "runtime/hwy_test_util.h"
#include "runtime/kernel_test_util.h"
#include "runtime/kernels/hwy/common.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::expect_kernel_matches_reference;
using litevit::testing_util::for_each_target;

using Conv = litevit::testing_util::DenseConv;
using litevit::testing_util::dense_conv_graph;

void expect_matches_reference(const Conv& c, std::initializer_list<int> threads = {1, 2, 3}) {
  SCOPED_TRACE(c.str());
  for_each_target([&] { expect_kernel_matches_reference(litevit::runtime::hwy::kConv2d, dense_conv_graph(c), threads); });
}

TEST(conv2d_hwy, MobileVitLikeShapes) {
  // MobileViT-xxs's conv_kxk and conv_fusion, at half size (the reference kernel is slow).
  expect_matches_reference({.height = 16, .width = 16, .in = 48, .out = 48, .act = Activation::kSilu});
  expect_matches_reference({.height = 16, .width = 16, .in = 96, .out = 48, .act = Activation::kSilu});
  expect_matches_reference({.height = 8, .width = 8, .in = 64, .out = 64, .act = Activation::kSilu, .residual = true});
}

TEST(conv2d_hwy, OddChannelsAndWidths) {
  for (int64_t width : {1, 2, 5, 6, 7, 11, 12, 13, 17, 31, 37}) {   // every split into blocks of 1-6 pixels
    expect_matches_reference({.height = 3, .width = width, .in = 9, .out = 11}, {1});
  }
  for (int64_t out : {1, 7, 8, 9, 16, 17, 31, 33, 40}) {   // output channels past whole panels
    expect_matches_reference({.height = 4, .width = 5, .in = 8, .out = out, .residual = true}, {1});
  }
  for (int64_t in : {8, 13, 33}) expect_matches_reference({.height = 5, .width = 7, .in = in, .out = 12});
}

TEST(conv2d_hwy, StridesPaddingsAndKernelSizes) {
  expect_matches_reference({.height = 9, .width = 11, .in = 8, .out = 12, .stride = {2, 2}});
  expect_matches_reference({.height = 10, .width = 9, .in = 8, .out = 12, .stride = {2, 1}, .padding = {0, 1}});
  expect_matches_reference({.height = 7, .width = 8, .in = 8, .out = 5, .padding = {0, 0}});   // rows read in place
  expect_matches_reference({.height = 6, .width = 6, .in = 8, .out = 7, .padding = {2, 3}});   // wider than k / 2
  expect_matches_reference({.height = 9, .width = 10, .in = 8, .out = 9, .kernel = {2, 3}, .padding = {0, 1}});
  expect_matches_reference({.height = 11, .width = 10, .in = 8, .out = 6, .kernel = {5, 5}, .padding = {2, 2}});
  expect_matches_reference(
      {.height = 9, .width = 9, .in = 10, .out = 6, .kernel = {7, 7}, .stride = {2, 2}, .padding = {3, 3}});
  // A kernel larger than the image: most taps fall in the padding.
  expect_matches_reference({.height = 2, .width = 3, .in = 8, .out = 4, .kernel = {5, 5}, .padding = {2, 2}});
  // Patch embedding (kernel = stride, no padding).
  expect_matches_reference({.height = 16, .width = 16, .in = 8, .out = 24, .kernel = {4, 4}, .stride = {4, 4},
                            .padding = {0, 0}});
}

TEST(conv2d_hwy, EpiloguesAndNoBias) {
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kGelu, Activation::kSilu,
                         Activation::kSigmoid, Activation::kHardSwish, Activation::kRelu6}) {
    expect_matches_reference({.height = 5, .width = 7, .in = 9, .out = 10, .act = act, .residual = true}, {1});
  }
  expect_matches_reference({.height = 6, .width = 5, .in = 8, .out = 17, .bias = false});
}

TEST(conv2d_hwy, BatchOfImages) {
  // Thread pieces start and end inside images; the ring must not carry rows across them.
  expect_matches_reference({.batch = 3, .height = 7, .width = 6, .in = 8, .out = 12, .residual = true});
  expect_matches_reference({.batch = 2, .height = 9, .width = 9, .in = 8, .out = 10, .stride = {2, 2}});
}

TEST(conv2d_hwy, ConcurrentRunsGiveTheSameBits) {
  litevit::testing_util::expect_concurrent_runs_identical(
      dense_conv_graph({.height = 32, .width = 32, .in = 16, .out = 24, .kernel = {5, 5}, .padding = {2, 2},
                  .act = Activation::kSilu}),
      "conv2d_hwy");   // 5x5: a 3x3 stride-1 conv would go to conv2d_winograd_hwy
}

}  // namespace
