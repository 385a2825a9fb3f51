// LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta.
// Mean and variance in fp32 by two passes over the row (the mean, then the
// squared deviations from it): unlike sum(x^2) - mean^2 this stays accurate
// when |mean| >> std. A row is at most a few KiB, so the passes hit L1.
// Rows go in blocks of 4 (LayerNormBlock); each row's sums run in the same
// order either way, so the result does not depend on the blocking.
#include <cmath>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/layer_norm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// R rows at once (x and y point at the first, rows `channels` apart): each
// pass runs over the R rows side by side, so their dependency chains (a
// pass, a reduction across lanes, the next pass) overlap instead of one row
// waiting on its own. One row at a time, DeiT's 197 x 192 ran at ~130
// cycles a row, the latency of that chain.
template <int R, class D>
HWY_INLINE void LayerNormBlock(D d, const float* HWY_RESTRICT x, const float* HWY_RESTRICT gamma,
                               const float* HWY_RESTRICT beta, float* HWY_RESTRICT y, size_t channels, float eps) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  const size_t full = channels - channels % lanes, tail = channels - full;
  const float inv_count = 1.0f / static_cast<float>(channels);
  V sum[R], mean[R], sq[R], inv_std[R];
  for (int r = 0; r < R; ++r) sum[r] = hn::Zero(d);
  for (size_t i = 0; i < full; i += lanes) {
    for (int r = 0; r < R; ++r) sum[r] = hn::Add(sum[r], hn::LoadU(d, x + r * channels + i));
  }
  for (int r = 0; r < R; ++r) {
    if (tail != 0) sum[r] = hn::Add(sum[r], LoadFirst(d, x + r * channels + full, tail));
    mean[r] = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, sum[r])) * inv_count);
    sq[r] = hn::Zero(d);
  }
  for (size_t i = 0; i < full; i += lanes) {
    for (int r = 0; r < R; ++r) {
      const V a = hn::Sub(hn::LoadU(d, x + r * channels + i), mean[r]);
      sq[r] = hn::MulAdd(a, a, sq[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    if (tail != 0) {   // lanes past the row hold 0 - mean: mask them out
      const V a = hn::IfThenElseZero(hn::FirstN(d, tail), hn::Sub(LoadFirst(d, x + r * channels + full, tail), mean[r]));
      sq[r] = hn::MulAdd(a, a, sq[r]);
    }
    const float var = hn::GetLane(hn::SumOfLanes(d, sq[r])) * inv_count;
    inv_std[r] = hn::Set(d, 1.0f / std::sqrt(var + eps));
  }
  for (size_t i = 0; i < full; i += lanes) {
    const V g = hn::LoadU(d, gamma + i), b = hn::LoadU(d, beta + i);
    for (int r = 0; r < R; ++r) {
      const V normalized = hn::Mul(hn::Sub(hn::LoadU(d, x + r * channels + i), mean[r]), inv_std[r]);
      hn::StoreU(hn::MulAdd(normalized, g, b), d, y + r * channels + i);
    }
  }
  if (tail != 0) {
    const V g = LoadFirst(d, gamma + full, tail), b = LoadFirst(d, beta + full, tail);
    for (int r = 0; r < R; ++r) {
      const V normalized = hn::Mul(hn::Sub(LoadFirst(d, x + r * channels + full, tail), mean[r]), inv_std[r]);
      StoreFirst(hn::MulAdd(normalized, g, b), d, y + r * channels + full, tail);
    }
  }
}

constexpr int64_t kRowsPerBlock = 4;

void LayerNormRows(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t channels,
                   float eps) {
  const hn::ScalableTag<float> d;
  const auto c = static_cast<size_t>(channels);
  int64_t r = 0;
  for (; r + kRowsPerBlock <= rows; r += kRowsPerBlock) {
    LayerNormBlock<kRowsPerBlock>(d, x + r * channels, gamma, beta, y + r * channels, c, eps);
  }
  for (; r < rows; ++r) LayerNormBlock<1>(d, x + r * channels, gamma, beta, y + r * channels, c, eps);
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(LayerNormRows);
void layer_norm_rows(const float* x, const float* gamma, const float* beta, float* y, int64_t rows,
                     int64_t channels, float eps) {
  HWY_DYNAMIC_DISPATCH(LayerNormRows)(x, gamma, beta, y, rows, channels, eps);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

bool supports_layer_norm(const graph::Graph&, const graph::Node&) { return true; }

void run_layer_norm(const KernelContext& c) {
  const float eps = std::get<graph::NormAttrs>(c.node.attrs).eps;
  const int64_t channels = c.in_shape(0).back();
  if (channels == 0) return;
  const int64_t rows = graph::shape_numel(c.in_shape(0)) / channels;
  parallel_for(c.threads, rows, channels, [&](int64_t begin, int64_t end) {
    simd::layer_norm_rows(c.in(0) + begin * channels, c.in(1), c.in(2), c.output + begin * channels,
                          end - begin, channels, eps);
  });
}

std::unique_ptr<Kernel> create_layer_norm(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("layer_norm_hwy", run_layer_norm);
}

}  // namespace

const FastKernel kLayerNorm{"layer_norm_hwy", graph::OpKind::kLayerNorm, supports_layer_norm, create_layer_norm};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
