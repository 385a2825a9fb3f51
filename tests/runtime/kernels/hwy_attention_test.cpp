// The fused attention kernel (hwy/attention.h) vs a plain double-precision
// softmax(scale q k^T) v, on every Highway target this CPU runs (AVX-512,
// AVX2, SSE4, scalar have different vector lengths, so different blocks of
// query rows and tails): zoo shapes, odd and degenerate sizes, cross
// attention, logits wide enough to hit the exp clamp, 1 and 2 threads, and
// concurrent calls.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "graph/builder.h"
#include "runtime/hwy_test_util.h"
#include "runtime/kernel_test_util.h"
#include "runtime/kernels/hwy/attention.h"

namespace {

using litevit::testing_util::for_each_target;

struct Problem {
  int64_t batch, n, m, d, dv;
  float scale;
  std::vector<float> q, k, v;
  // Optional additive bias, [bias_count, n, m]; batch b reads matrix
  // (b / bias_divisor) % bias_count (AttentionBias).
  std::vector<float> bias;
  int64_t bias_divisor = 1, bias_count = 1;

  Problem(int64_t batch_, int64_t n_, int64_t m_, int64_t d_, int64_t dv_, float scale_, uint32_t seed)
      : batch(batch_), n(n_), m(m_), d(d_), dv(dv_), scale(scale_) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const auto fill = [&](std::vector<float>& x, int64_t count) {
      x.resize(static_cast<size_t>(count));
      for (float& e : x) e = normal(rng);
    };
    fill(q, batch * n * d);
    fill(k, batch * m * d);
    fill(v, batch * m * dv);
  }

  Problem&& with_bias(int64_t divisor, int64_t count, float stddev, uint32_t seed) && {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, stddev);
    bias.resize(static_cast<size_t>(count * n * m));
    for (float& e : bias) e = normal(rng);
    bias_divisor = divisor;
    bias_count = count;
    return std::move(*this);
  }

  const float* bias_of(int64_t b) const {
    return bias.empty() ? nullptr : &bias[static_cast<size_t>((b / bias_divisor) % bias_count * n * m)];
  }

  std::vector<float> run(int threads) const {
    std::vector<float> out(static_cast<size_t>(batch * n * dv), NAN);
    const litevit::runtime::hwy::AttentionBias attention_bias{
        .data = bias.empty() ? nullptr : bias.data(), .batch_divisor = bias_divisor, .batch_count = bias_count};
    litevit::runtime::hwy::attention(q.data(), k.data(), v.data(), out.data(), batch, n, m, d, dv, scale, threads,
                                     attention_bias);
    return out;
  }

  std::vector<double> reference() const {
    std::vector<double> out(static_cast<size_t>(batch * n * dv), 0.0);
    std::vector<double> p(static_cast<size_t>(m));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < n; ++i) {
        const float* qi = &q[static_cast<size_t>((b * n + i) * d)];
        double max = -INFINITY;
        for (int64_t j = 0; j < m; ++j) {
          const float* kj = &k[static_cast<size_t>((b * m + j) * d)];
          double dot = 0.0;
          for (int64_t c = 0; c < d; ++c) dot += static_cast<double>(qi[c]) * kj[c];
          p[j] = scale * dot + (bias.empty() ? 0.0 : bias_of(b)[i * m + j]);
          max = std::max(max, p[j]);
        }
        double sum = 0.0;
        for (int64_t j = 0; j < m; ++j) sum += (p[j] = std::exp(p[j] - max));
        double* oi = &out[static_cast<size_t>((b * n + i) * dv)];
        for (int64_t j = 0; j < m; ++j) {
          const float* vj = &v[static_cast<size_t>((b * m + j) * dv)];
          for (int64_t c = 0; c < dv; ++c) oi[c] += p[j] / sum * vj[c];
        }
      }
    }
    return out;
  }
};

void expect_matches_reference(const Problem& problem) {
  SCOPED_TRACE("shape " + std::to_string(problem.batch) + "," + std::to_string(problem.n) + "," +
               std::to_string(problem.m) + "," + std::to_string(problem.d) + "," + std::to_string(problem.dv) +
               " scale " + std::to_string(problem.scale));
  const std::vector<double> ref = problem.reference();
  double ref_max = 1.0;
  for (double x : ref) ref_max = std::max(ref_max, std::abs(x));
  for_each_target([&] {
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE("threads=" + std::to_string(threads));
      const std::vector<float> out = problem.run(threads);
      double err = 0.0;
      for (size_t i = 0; i < out.size(); ++i) {
        const double e = std::abs(out[i] - ref[i]);
        err = std::isnan(e) ? INFINITY : std::max(err, e);
      }
      EXPECT_LE(err, 1e-5 * ref_max);
    }
  });
}

float inv_sqrt(int64_t d) { return 1.0f / std::sqrt(static_cast<float>(d)); }

TEST(attention_hwy, ZooShapes) {
  expect_matches_reference(Problem(3, 197, 197, 64, 64, inv_sqrt(64), 1));    // DeiT-tiny
  expect_matches_reference(Problem(16, 256, 256, 16, 16, inv_sqrt(16), 2));   // MobileViT-xxs
  expect_matches_reference(Problem(5, 61, 61, 8, 8, inv_sqrt(8), 5));
  expect_matches_reference(Problem(4, 64, 64, 20, 20, inv_sqrt(20), 3));      // MobileViT-xs-like
  expect_matches_reference(Problem(4, 64, 64, 36, 36, inv_sqrt(36), 4));      // MobileViT-s-like
}

TEST(attention_hwy, OddAndDegenerateSizes) {
  expect_matches_reference(Problem(5, 7, 9, 3, 5, 0.5f, 5));
  expect_matches_reference(Problem(2, 1, 33, 8, 8, 0.3f, 6));     // n = 1
  expect_matches_reference(Problem(2, 13, 1, 8, 8, 0.3f, 7));     // m = 1: out rows are v's row
  expect_matches_reference(Problem(2, 13, 17, 1, 9, 1.0f, 8));    // d = 1
  expect_matches_reference(Problem(1, 1, 1, 1, 1, 1.0f, 9));
  // Value columns in groups of up to 4, 6, 8, 12 or 16 (by target and block):
  // every split into groups, with and without a remainder.
  for (int64_t dv : {1, 3, 7, 9, 13, 15, 17, 24, 25, 31, 33, 40, 47}) {
    expect_matches_reference(Problem(2, 11, 21, 6, dv, 0.4f, 10 + static_cast<uint32_t>(dv)));
  }
  // Keys in groups of up to 4 .. 16 (every remainder) and chunks of 128
  // (one, a whole second, and a part of one).
  for (int64_t m : {2, 15, 16, 17, 31, 32, 33, 63, 65, 127, 128, 129, 256, 300}) {
    expect_matches_reference(Problem(1, 9, m, 5, 16, 0.4f, 60 + static_cast<uint32_t>(m)));
  }
  // Query rows in blocks of 1 .. 3 vectors of 4, 8 or 16 rows, split evenly
  // (a tile of 16 vectors: 3 3 3 3 2 2), the last block partly filled; q^T
  // and out^T moved in 4 x 4 blocks where rows and d (or dv) allow.
  for (int64_t n : {3, 4, 5, 16, 17, 33, 47, 48, 49, 95, 97, 130, 197, 256}) {
    for (int64_t d : {4, 14}) {
      expect_matches_reference(Problem(2, n, 23, d, d + 2, 0.3f, 100 + static_cast<uint32_t>(d * n)));
    }
  }
}

TEST(attention_hwy, Bias) {
  // The bias starts the scores, transposed per block: every remainder of
  // the key groups, and blocks with rows to spare (n = 11, 21, 50).
  for (int64_t m : {1, 3, 8, 9, 13, 16, 17, 24, 31, 33, 40, 49}) {
    for (int64_t n : {11, 21, 50}) {
      expect_matches_reference(
          Problem(6, n, m, 7, 9, 0.3f, 700 + static_cast<uint32_t>(m * n)).with_bias(1, 3, 2.0f, 1));
    }
  }
  expect_matches_reference(Problem(6, 49, 49, 32, 32, inv_sqrt(32), 710).with_bias(2, 3, 2.0f, 2));   // Swin-like
  expect_matches_reference(Problem(2, 197, 197, 64, 64, inv_sqrt(64), 711).with_bias(1, 2, 1.0f, 3));  // BEiT-like
  // A bias of -1e30 on all but a few columns: their exps underflow to 0.
  Problem masked = Problem(2, 9, 21, 5, 6, 0.5f, 712).with_bias(1, 2, 1.0f, 4);
  for (size_t i = 0; i < masked.bias.size(); ++i) {
    if (i % 5 != 0) masked.bias[i] = -1e30f;
  }
  expect_matches_reference(masked);
}

TEST(attention_hwy, CrossAttention) {
  expect_matches_reference(Problem(2, 10, 50, 8, 12, inv_sqrt(8), 100));
  expect_matches_reference(Problem(1, 50, 10, 12, 8, inv_sqrt(12), 101));
}

TEST(attention_hwy, LargeLogits) {
  // Logits of hundreds: exps far below the clamp at ln(FLT_MIN) must be 0, not NaN.
  expect_matches_reference(Problem(2, 37, 41, 8, 12, 30.0f, 200));
  expect_matches_reference(Problem(1, 9, 19, 3, 16, 300.0f, 201));
}

TEST(attention_hwy, EmptySoftmaxAxisGivesZeros) {
  const Problem problem(2, 3, 0, 4, 5, 1.0f, 300);
  for (float x : problem.run(1)) EXPECT_EQ(x, 0.0f);
}

TEST(attention_hwy, ResultDoesNotDependOnThreads) {
  // Each query row's sums run in the same order whatever block, lane and
  // tile it lands in.
  for (const Problem& problem : {Problem(3, 197, 197, 64, 64, 0.125f, 400), Problem(1, 30, 45, 20, 20, 0.2f, 401),
                                 Problem(3, 61, 45, 16, 16, 0.25f, 402), Problem(3, 61, 45, 8, 8, 0.25f, 403),
                                 Problem(3, 61, 45, 36, 36, 0.25f, 404)}) {
    const std::vector<float> one = problem.run(1);
    EXPECT_EQ(problem.run(2), one);
    EXPECT_EQ(problem.run(3), one);
  }
}

TEST(attention_hwy, ConcurrentCallsGiveTheSameBitsAsAlone) {
  // Different shapes, so the two callers' scratch sizes differ too.
  const Problem a(3, 197, 197, 64, 64, 0.125f, 500);
  const Problem b(16, 64, 64, 20, 20, 0.2f, 501);
  for (int threads : {1, 2}) {
    SCOPED_TRACE("threads=" + std::to_string(threads));
    const std::vector<float> alone_a = a.run(threads), alone_b = b.run(threads);
    bool same_a = true, same_b = true;
    std::thread ta([&] {
      for (int i = 0; i < 20; ++i) same_a = same_a && a.run(threads) == alone_a;
    });
    std::thread tb([&] {
      for (int i = 0; i < 20; ++i) same_b = same_b && b.run(threads) == alone_b;
    });
    ta.join();
    tb.join();
    EXPECT_TRUE(same_a);
    EXPECT_TRUE(same_b);
  }
}



// The attention op through a plan (attention_hwy vs the reference kernel),
// with a bias per head, per batch, shared, on a BEiT-like and a LeViT-like
// shape; a bias varying along two separate leading dims stays on the reference.
namespace graph_level {

using namespace litevit::graph;
using litevit::testing_util::expect_fast_matches;

Graph attention_op_graph(const Shape& q, int64_t m, int64_t dv, const Shape& bias) {
  Graph g;
  Builder b(g);
  Shape k = q, v = q;
  k.end()[-2] = m;
  v.end()[-2] = m;
  v.back() = dv;
  const ValueId bias_value = bias.empty() ? kNoValue : b.input("bias", bias);
  b.output("y", b.attention(b.input("q", q), b.input("k", k), b.input("v", v), 0.125f, bias_value));
  return g;
}

TEST(attention_hwy, OpWithAndWithoutBias) {
  expect_fast_matches(attention_op_graph({2, 3, 7, 5}, 9, 4, {}), {"attention_hwy"});
  expect_fast_matches(attention_op_graph({2, 3, 7, 5}, 9, 4, {3, 7, 9}), {"attention_hwy"});        // per head
  expect_fast_matches(attention_op_graph({2, 3, 7, 5}, 9, 4, {2, 1, 7, 9}), {"attention_hwy"});     // per batch
  expect_fast_matches(attention_op_graph({2, 3, 7, 5}, 9, 4, {2, 3, 7, 9}), {"attention_hwy"});     // per both
  expect_fast_matches(attention_op_graph({2, 3, 7, 5}, 9, 4, {7, 9}), {"attention_hwy"});           // shared
  expect_fast_matches(attention_op_graph({1, 12, 197, 64}, 197, 64, {1, 12, 197, 197}), {"attention_hwy"});  // BEiT
  expect_fast_matches(attention_op_graph({1, 4, 196, 16}, 196, 32, {4, 196, 196}), {"attention_hwy"}, 2);    // LeViT
  expect_fast_matches(attention_op_graph({2, 3, 7, 0}, 9, 4, {}), {"attention_hwy"});   // d = 0: uniform weights
}

// q, k, v as strided views of one packed qkv [B, T, 3, H, d] (a qkv linear's
// output) and the output written tokens-major into [B, T, H * dv], as
// fold_attention_views leaves a timm attention block.
Graph packed_qkv_graph(int64_t batch, int64_t tokens, int64_t heads, int64_t d, bool bias) {
  Graph g;
  Builder b(g);
  const ValueId qkv = b.input("qkv", {batch, tokens, 3, heads, d});
  AttentionAttrs attrs{.alpha = 0.3f};
  for (int64_t i = 0; i < 3; ++i) {
    attrs.input_views[static_cast<size_t>(i)] =
        StridedView{.shape = {batch, heads, tokens, d},
                    .strides = {tokens * 3 * heads * d, d, 3 * heads * d, 1},
                    .offset = i * heads * d};
  }
  attrs.output_view = StridedView{.shape = {batch, heads, tokens, d},
                                  .strides = {tokens * heads * d, d, heads * d, 1}, .offset = 0};
  attrs.output_shape = {batch, tokens, heads * d};
  Node node{.op = OpKind::kAttention, .inputs = {qkv, qkv, qkv}, .output = kNoValue, .attrs = attrs,
            .module_path = "attn"};
  if (bias) node.inputs.push_back(b.input("bias", {heads, tokens, tokens}));
  litevit::testing_util::add_output_node(g, std::move(node), false);
  return g;
}

TEST(attention_hwy, StridedViewsOfAPackedQkv) {
  for_each_target([] {
    expect_fast_matches(packed_qkv_graph(2, 7, 3, 5, false), {"attention_hwy"});
    expect_fast_matches(packed_qkv_graph(1, 9, 2, 3, true), {"attention_hwy"});
    expect_fast_matches(packed_qkv_graph(4, 33, 4, 16, false), {"attention_hwy"}, 2);   // MobileViT-like
    expect_fast_matches(packed_qkv_graph(3, 20, 1, 17, true), {"attention_hwy"}, 3);
  });
}

TEST(attention_hwy, BiasVaryingAlongTwoSeparateDimsRunsTheReference) {
  expect_fast_matches(attention_op_graph({2, 3, 4, 7, 5}, 9, 4, {2, 1, 4, 7, 9}), {"attention_reference"});
}

}  // namespace graph_level

}  // namespace
