// Reference kernels against values computed by hand or by PyTorch, and the
// convolution against an independent im2col + matmul formulation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "graph/builder.h"
#include "litevit/error.h"
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

// sin(0.37 i) * 2, the same sequence the torch values below were computed from.
std::vector<float> sine_values(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = std::sin(static_cast<float>(i) * 0.37f) * 2.0f;
  return v;
}

Tensor run_unary(ValueId (Builder::*op)(ValueId), Tensor x) {
  Graph g;
  Builder b(g);
  b.output("y", (b.*op)(b.input("x", x.shape)));
  return run(std::move(g), {x});
}

TEST(ReferenceKernels, MoreActivations) {  // values from torch 1.13
  const Tensor x{{5}, {-4, -1, 0.5f, 3.5f, 7}};
  expect_near(run_unary(&Builder::sigmoid, x).data, {0.01798621f, 0.2689414f, 0.6224594f, 0.9706877f, 0.999089f});
  expect_near(run_unary(&Builder::hard_sigmoid, x).data, {0, 0.3333333f, 0.5833333f, 1, 1});
  expect_near(run_unary(&Builder::hard_swish, x).data, {0, -0.3333333f, 0.2916667f, 3.5f, 7});
  expect_near(run_unary(&Builder::relu6, x).data, {0, 0, 0.5f, 3.5f, 6});
}

TEST(ReferenceKernels, SubAndDivBroadcast) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {2, 2});
  ValueId row = b.input("row", {2});
  b.output("y", b.div(b.sub(x, row), row));
  expect_near(run(std::move(g), {Tensor{{2, 2}, {1, 2, 3, 4}}, Tensor{{2}, {2, 4}}}).data, {-0.5f, -0.5f, 0.5f, 0});
}

TEST(ReferenceKernels, GroupNormLikeTorch) {  // F.group_norm(x, 2, w, b, 1e-5)
  const std::vector<float> want = {
      -0.5622318f, 0.06783939f, 0.6126334f, 0.9984149f, 1.17297f,   1.112674f,  2.651375f,  1.701704f,
      0.5048705f,  -0.7771401f, -1.970815f, -2.914594f, 1.334239f,  1.375754f,  1.243107f,  0.9542497f,
      0.5482786f,  0.08013955f, -0.8065966f, -0.6053188f, -0.4634791f, -0.4002745f, -0.4242595f, -0.5321877f,
      1.71818f,    1.044278f,   0.3243158f, -0.3442635f, -0.8709717f, -1.184519f, -1.484939f, -1.073959f,
      -0.1917243f, 1.04236f,    2.461267f,  3.872954f,  -0.7418547f, -1.03007f,  -1.156484f, -1.103989f,
      -0.8796898f, -0.5139443f, -0.9718729f, -1.215717f, -1.441558f, -1.618827f, -1.723534f, -1.741506f};
  const WeightMap weights{{"gn.weight", std::make_shared<const std::vector<float>>(std::vector<float>{1, 2, -1, 0.5f})},
                          {"gn.bias", std::make_shared<const std::vector<float>>(std::vector<float>{0, 1, 0, -1})}};
  Graph g;
  Builder b(g);
  b.output("y", b.group_norm("gn", b.input("x", {2, 4, 2, 3}), 2, 1e-5f));
  expect_near(run(std::move(g), {Tensor{{2, 4, 2, 3}, sine_values(48)}}, weights).data, want);

  // channels_last: the same numbers on an NHWC input.
  Graph g2;
  Builder b2(g2);
  ValueId nchw = b2.input("x", {2, 4, 2, 3});
  ValueId nhwc = b2.permute(nchw, {0, 2, 3, 1});
  ValueId y = b2.group_norm("gn", nchw, 2, 1e-5f);
  Node& node = g2.nodes().back();
  node.inputs[0] = nhwc;
  std::get<GroupNormAttrs>(node.attrs).channels_last = true;
  g2.value(y).shape = infer_shape(g2, node);
  b2.output("y", b2.permute(y, {0, 3, 1, 2}));
  expect_near(run(std::move(g2), {Tensor{{2, 4, 2, 3}, sine_values(48)}}, weights).data, want);
}

TEST(ReferenceKernels, PoolingLikeTorch) {  // F.avg_pool2d / F.max_pool2d on sine_values
  auto pool = [](Shape shape, bool max, int64_t kernel, Pool2dOptions o, bool channels_last = false) {
    Graph g;
    Builder b(g);
    ValueId x = b.input("x", shape);
    if (channels_last) x = b.permute(x, {0, 2, 3, 1});
    ValueId y = max ? b.max_pool2d(x, kernel, o) : b.avg_pool2d(x, kernel, o);
    if (channels_last) {
      auto& attrs = std::get<Pool2dAttrs>(g.nodes().back().attrs);
      attrs.channels_last = true;
      g.value(y).shape = infer_shape(g, g.nodes().back());
      y = b.permute(y, {0, 3, 1, 2});
    }
    b.output("y", y);
    return run(std::move(g), {Tensor{shape, sine_values(shape_numel(shape))}});
  };
  // PoolFormer's mixer: 3x3, stride 1, padding 1, count_include_pad=False.
  const std::vector<float> avg3 = {
      1.059728f,  1.105929f,  1.144269f,  1.027738f,  0.9424406f, 0.2629843f,   0.2275899f,  0.1497267f,
      0.05159891f, -0.001002073f, -0.1990519f, -0.2287617f, -0.27518f, -0.2843539f, -0.2824402f, -1.177498f,
      -1.103771f, -0.9131719f, -0.5989794f, -0.4203111f, 0.9375445f, 0.7662868f,  0.404653f,   -0.01174889f,
      -0.2295091f, -0.00300624f, -0.05542395f, -0.1530293f, -0.229923f, -0.2647548f, -0.2818748f, -0.2541583f,
      -0.18976f,  -0.09967853f, -0.05015518f, -0.4127648f, -0.1960048f, 0.2267996f, 0.6189077f, 0.8096038f};
  const Pool2dOptions mixer{.stride = 1, .padding = 1, .count_include_pad = false};
  expect_near(pool({1, 2, 4, 5}, false, 3, mixer).data, avg3);
  expect_near(pool({1, 2, 4, 5}, false, 3, mixer, true).data, avg3);
  const Tensor ceil = pool({1, 1, 6, 7}, false, 3, {.stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_EQ(ceil.shape, (Shape{1, 1, 4, 4}));
  expect_near(ceil.data, {0.2369458f, 0.310015f, 0.1242713f, -0.04456225f, 0.2441341f, 0.1590704f, -0.1647602f,
                          -0.2466545f, 0.2766122f, 0.4453267f, 0.2973885f, 0.05240136f, 0.3528593f, 0.8609965f,
                          0.9142353f, 0.4335466f});
  const Tensor ceil_excl = pool({1, 1, 6, 7}, false, 2, {.ceil_mode = true, .count_include_pad = false});
  EXPECT_EQ(ceil_excl.shape, (Shape{1, 1, 3, 4}));
  expect_near(ceil_excl.data, {0.533128f, 0.4264279f, 0.09667909f, -0.1986743f, 0.1969815f, 0.4811081f, 0.5135852f,
                               0.363105f, -0.3555477f, 0.007296264f, 0.366323f, 0.5260168f});
  expect_near(pool({1, 1, 6, 7}, true, 3, {.stride = 2, .padding = 1, .ceil_mode = true}).data,
              {1.048088f, 1.791397f, 1.991762f, 1.92255f, 1.992951f, 1.918749f, 1.35861f, 1.797416f, 1.992951f,
               1.994048f, 1.994048f, 1.576504f, 1.368579f, 1.994048f, 1.994048f, 1.576504f});
}

TEST(ReferenceKernels, PadIndexSelectRollSum) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {2, 3});                             // [[0,1,2],[3,4,5]]
  b.output("pad", b.pad(x, {{1, 0}, {0, 2}}, -1.0f));           // a row of -1 above, two columns of -1 right
  b.output("select", b.index_select(x, 1, {2, 0, 2}));
  b.output("roll", b.roll(x, 1, 1));                            // torch.roll(x, 1, 1)
  b.output("roll_back", b.roll(x, -4, 1));                      // -4 = -1 (mod 3)
  b.output("sum", b.sum(x, {1}, true));
  litevit::runtime::bind_weight_map(g, {});
  const Plan plan(std::move(g), CompileOptions{.reference_kernels = true});
  const Tensor in{{2, 3}, {0, 1, 2, 3, 4, 5}};
  const auto out = plan.run({&in});
  EXPECT_EQ(out.at(0).second.shape, (Shape{3, 5}));
  expect_near(out.at(0).second.data, {-1, -1, -1, -1, -1, 0, 1, 2, -1, -1, 3, 4, 5, -1, -1});
  expect_near(out.at(1).second.data, {2, 0, 2, 5, 3, 5});
  expect_near(out.at(2).second.data, {2, 0, 1, 5, 3, 4});
  expect_near(out.at(3).second.data, {1, 2, 0, 4, 5, 3});
  expect_near(out.at(4).second.data, {3, 12});
}

TEST(ReferenceKernels, BadNewOpArgumentsAreErrors) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("x", {1, 6, 4, 4});
  EXPECT_THROW(b.index_select(x, 1, {6}), litevit::Error);
  EXPECT_THROW(b.group_norm("gn", x, 4, 1e-5f), litevit::Error);     // 6 channels, 4 groups
  EXPECT_THROW(b.avg_pool2d(x, 3, {.padding = 2}), litevit::Error);  // padding above half the kernel
  EXPECT_THROW(b.max_pool2d(x, 5), litevit::Error);                  // larger than the input
}

}  // namespace
