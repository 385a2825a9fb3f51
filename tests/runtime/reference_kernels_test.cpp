// Reference kernels against values computed by hand or by PyTorch, and the
// convolution against an independent im2col + matmul formulation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "graph/builder.h"
#include "runtime/plan.h"

namespace {

using namespace litevit::graph;
using litevit::Tensor;
using litevit::runtime::CompileOptions;
using litevit::runtime::Plan;
using litevit::runtime::WeightMap;

std::vector<float> random_values(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = normal(rng);
  return v;
}

// Runs a graph whose inputs are given in order; returns output 0.
Tensor run(Graph g, const std::vector<Tensor>& inputs, WeightMap weights = {}) {
  litevit::runtime::bind_weight_map(g, weights);
  const Plan plan(std::move(g), CompileOptions{.reference_kernels = true});
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) ptrs.push_back(&t);
  return plan.run(ptrs).at(0).second;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

struct ConvCase {
  int64_t batch, in_ch, out_ch, height, width, kernel, stride, padding, dilation, groups;
  bool bias;
};

// y = W_g (im2col x)_g + b, written independently of the reference kernel's loop order.
std::vector<float> conv_by_im2col(const ConvCase& c, const std::vector<float>& x, const std::vector<float>& w,
                                  const std::vector<float>& bias, int64_t out_h, int64_t out_w) {
  const int64_t cin_g = c.in_ch / c.groups, cout_g = c.out_ch / c.groups, k2 = c.kernel * c.kernel;
  std::vector<float> y(static_cast<size_t>(c.batch * c.out_ch * out_h * out_w), 0.0f);
  for (int64_t n = 0; n < c.batch; ++n) {
    for (int64_t g = 0; g < c.groups; ++g) {
      // columns[(ci, p, q), (i, j)]
      std::vector<float> cols(static_cast<size_t>(cin_g * k2 * out_h * out_w), 0.0f);
      for (int64_t ci = 0; ci < cin_g; ++ci)
        for (int64_t p = 0; p < c.kernel; ++p)
          for (int64_t q = 0; q < c.kernel; ++q)
            for (int64_t i = 0; i < out_h; ++i)
              for (int64_t j = 0; j < out_w; ++j) {
                const int64_t r = i * c.stride - c.padding + p * c.dilation;
                const int64_t s = j * c.stride - c.padding + q * c.dilation;
                if (r < 0 || r >= c.height || s < 0 || s >= c.width) continue;
                cols[static_cast<size_t>(((ci * k2 + p * c.kernel + q) * out_h + i) * out_w + j)] =
                    x[static_cast<size_t>(((n * c.in_ch + g * cin_g + ci) * c.height + r) * c.width + s)];
              }
      for (int64_t o = 0; o < cout_g; ++o)
        for (int64_t pix = 0; pix < out_h * out_w; ++pix) {
          double acc = c.bias ? bias[static_cast<size_t>(g * cout_g + o)] : 0.0;
          for (int64_t r = 0; r < cin_g * k2; ++r) {
            acc += static_cast<double>(w[static_cast<size_t>((g * cout_g + o) * cin_g * k2 + r)]) *
                   cols[static_cast<size_t>(r * out_h * out_w + pix)];
          }
          y[static_cast<size_t>((n * c.out_ch + g * cout_g + o) * out_h * out_w + pix)] = static_cast<float>(acc);
        }
    }
  }
  return y;
}

TEST(ReferenceKernels, Conv2dMatchesIm2col) {
  const ConvCase cases[] = {
      {2, 3, 8, 9, 7, 3, 1, 1, 1, 1, true},  {1, 4, 6, 10, 11, 3, 2, 1, 1, 2, false},
      {2, 8, 8, 7, 7, 3, 1, 1, 1, 8, true},  {1, 3, 5, 17, 13, 5, 2, 2, 1, 1, true},
      {1, 6, 4, 9, 9, 3, 1, 2, 2, 2, true},  {1, 3, 7, 16, 16, 4, 4, 0, 1, 1, true},
      {3, 5, 5, 6, 5, 1, 1, 0, 1, 5, false}, {1, 2, 3, 5, 6, 3, 3, 0, 1, 1, true},
  };
  uint32_t seed = 1;
  for (const ConvCase& c : cases) {
    Graph g;
    Builder b(g);
    ValueId x = b.input("input", {c.batch, c.in_ch, c.height, c.width});
    ValueId y = b.conv2d("conv", x, c.out_ch, c.kernel,
                         {.stride = c.stride, .padding = c.padding, .dilation = c.dilation, .groups = c.groups, .bias = c.bias});
    b.output("y", y);
    const Shape out_shape = b.shape(y);
    const auto xv = random_values(c.batch * c.in_ch * c.height * c.width, seed++);
    const auto wv = random_values(c.out_ch * (c.in_ch / c.groups) * c.kernel * c.kernel, seed++);
    const auto bv = random_values(c.out_ch, seed++);
    WeightMap weights{{"conv.weight", std::make_shared<const std::vector<float>>(wv)}};
    if (c.bias) weights["conv.bias"] = std::make_shared<const std::vector<float>>(bv);
    const Tensor got = run(std::move(g), {Tensor{{c.batch, c.in_ch, c.height, c.width}, xv}}, weights);
    ASSERT_EQ(got.shape, out_shape);
    expect_near(got.data, conv_by_im2col(c, xv, wv, bv, out_shape[2], out_shape[3]), 1e-4f);
  }
}

TEST(ReferenceKernels, LinearAndMatmul) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {2, 3});
  b.output("y", b.linear("fc", x, 2));
  WeightMap weights{{"fc.weight", std::make_shared<const std::vector<float>>(std::vector<float>{1, 0, -1, 2, 1, 0})},
                    {"fc.bias", std::make_shared<const std::vector<float>>(std::vector<float>{0.5f, -1})}};
  // rows (1,2,3) and (4,5,6): y = x W^T + b
  expect_near(run(std::move(g), {Tensor{{2, 3}, {1, 2, 3, 4, 5, 6}}}, weights).data, {-1.5f, 3, -1.5f, 12});

  Graph g2;
  Builder b2(g2);
  ValueId a = b2.input("a", {2, 1, 2});
  ValueId m = b2.input("m", {2, 2, 2});
  b2.output("y", b2.matmul(a, m));
  expect_near(run(std::move(g2), {Tensor{{2, 1, 2}, {1, 2, 3, 4}}, Tensor{{2, 2, 2}, {1, 0, 0, 1, 2, 1, 1, 2}}}).data,
              {1, 2, 10, 11});
}

TEST(ReferenceKernels, LayerNormAndBatchNorm) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {2, 4});
  b.output("y", b.layer_norm("ln", x, 1e-5f));
  WeightMap weights{{"ln.weight", std::make_shared<const std::vector<float>>(std::vector<float>{1, 1, 2, 2})},
                    {"ln.bias", std::make_shared<const std::vector<float>>(std::vector<float>{0, 0, 0, 1})}};
  // row (1,2,3,4): mean 2.5, var 1.25
  const float s = 1.0f / std::sqrt(1.25f + 1e-5f);
  const Tensor y = run(std::move(g), {Tensor{{2, 4}, {1, 2, 3, 4, 5, 5, 5, 5}}}, weights);
  expect_near(y.data, {-1.5f * s, -0.5f * s, 2 * 0.5f * s, 2 * 1.5f * s + 1, 0, 0, 0, 1});

  Graph g2;
  Builder b2(g2);
  ValueId x2 = b2.input("x", {1, 2, 1, 2});
  b2.output("y", b2.batch_norm("bn", x2, 0.0f));
  WeightMap bn{{"bn.weight", std::make_shared<const std::vector<float>>(std::vector<float>{2, 1})},
               {"bn.bias", std::make_shared<const std::vector<float>>(std::vector<float>{1, 0})},
               {"bn.running_mean", std::make_shared<const std::vector<float>>(std::vector<float>{1, -1})},
               {"bn.running_var", std::make_shared<const std::vector<float>>(std::vector<float>{4, 1})}};
  expect_near(run(std::move(g2), {Tensor{{1, 2, 1, 2}, {1, 3, 0, 1}}}, bn).data, {1, 3, 1, 2});
}

TEST(ReferenceKernels, SoftmaxAlongAnyAxis) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {1, 2, 3});
  b.output("y", b.softmax(x, 1));
  const float e = std::exp(1.0f);
  const Tensor y = run(std::move(g), {Tensor{{1, 2, 3}, {0, 0, 100, 1, 0, 100}}});
  expect_near(y.data, {1 / (1 + e), 0.5f, 0.5f, e / (1 + e), 0.5f, 0.5f});
}

TEST(ReferenceKernels, Activations) {  // values from torch 1.13
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {3});
  b.output("y", b.gelu(x));
  expect_near(run(std::move(g), {Tensor{{3}, {1, -1, 3}}}).data, {0.8413447f, -0.1586553f, 2.9959502f});
  Graph g2;
  Builder b2(g2);
  ValueId x2 = b2.input("x", {2});
  b2.output("y", b2.relu(b2.scale(b2.silu(x2), -1.0f)));
  expect_near(run(std::move(g2), {Tensor{{2}, {1, -2}}}).data, {0.0f, 0.2384058f});
}

TEST(ReferenceKernels, BilinearLikeTorch) {  // values from torch.nn.functional.interpolate
  auto resize = [](Tensor x, int64_t h, int64_t w, bool align_corners) {
    Graph g;
    Builder b(g);
    ValueId in = b.input("x", x.shape);
    b.output("y", b.interpolate_bilinear(in, h, w, align_corners));
    return run(std::move(g), {x}).data;
  };
  expect_near(resize(Tensor{{1, 1, 2, 2}, {1, 2, 3, 4}}, 4, 4, false),
              {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});
  expect_near(resize(Tensor{{1, 1, 2, 2}, {1, 2, 3, 4}}, 3, 3, true), {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4});
  expect_near(resize(Tensor{{1, 1, 1, 4}, {0, 1, 2, 3}}, 1, 3, false), {1.0f / 6, 1.5f, 2.8333333f});
}

TEST(ReferenceKernels, BicubicAntialiasLikeTorch) {  // torch interpolate(mode='bicubic', antialias=True)
  Graph g;
  Builder b(g);
  ValueId in = b.input("x", {1, 1, 3, 4});
  b.output("y", b.interpolate_bicubic_antialias(in, 5, 2));   // taller (upsample), narrower (downsample)
  const Tensor x{{1, 1, 3, 4}, {-1.0f, 0.5f, -1.0f, 2.5f, 1.0f, 2.5f, 1.0f, 4.5f, 3.0f, 4.5f, 3.0f, 6.5f}};
  expect_near(run(std::move(g), {x}).data,
              {-0.593092f, 0.634181f, 0.169791f, 1.397064f, 1.557851f, 2.785124f, 2.945911f, 4.173183f, 3.708795f, 4.936067f});
}

TEST(ReferenceKernels, DataMovement) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {2, 3});                         // [[0,1,2],[3,4,5]]
  ValueId t = b.transpose(x, 0, 1);                         // [[0,3],[1,4],[2,5]]
  ValueId s = b.slice(t, 0, 0, 3, 2);                       // [[0,3],[2,5]]
  ValueId c = b.concat({s, b.expand(b.input("one", {1, 2}), {2, 2})}, 1);   // [[0,3,7,8],[2,5,7,8]]
  ValueId m = b.mean(c, {0}, false);                        // [1,4,7,8]
  b.output("y", b.add(b.reshape(m, {2, 2}), b.input("col", {2, 1})));       // + [[10],[20]]
  expect_near(run(std::move(g), {Tensor{{2, 3}, {0, 1, 2, 3, 4, 5}}, Tensor{{1, 2}, {7, 8}}, Tensor{{2, 1}, {10, 20}}}).data,
              {11, 14, 27, 28});
}

}  // namespace
