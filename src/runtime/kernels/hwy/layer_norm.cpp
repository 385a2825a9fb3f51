// LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta.
// Mean and variance in fp32 by two passes over the row (the mean, then the
// squared deviations from it): unlike sum(x^2) - mean^2 this stays accurate
// when |mean| >> std. A row is at most a few KiB, so the passes hit L1.
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

void LayerNormRows(const float* x, const float* gamma,
                   const float* beta, float* y, int64_t rows,
                   int64_t channels, float eps) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(channels);
  const size_t full = count - count % lanes;
  const size_t tail = count - full;
  const float inv_count = 1.0f / static_cast<float>(channels);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;

    // Two accumulators: the adds do not wait on each other.
    auto sum0 = hn::Zero(d), sum1 = hn::Zero(d);
    size_t i = 0;
    for (; i + 2 * lanes <= full; i += 2 * lanes) {
      sum0 = hn::Add(sum0, hn::LoadU(d, xr + i));
      sum1 = hn::Add(sum1, hn::LoadU(d, xr + i + lanes));
    }
    if (i < full) sum0 = hn::Add(sum0, hn::LoadU(d, xr + i));
    if (tail != 0) sum1 = hn::Add(sum1, LoadFirst(d, xr + full, tail));
    const auto mean = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, hn::Add(sum0, sum1))) * inv_count);

    auto sq0 = hn::Zero(d), sq1 = hn::Zero(d);
    for (i = 0; i + 2 * lanes <= full; i += 2 * lanes) {
      const auto a = hn::Sub(hn::LoadU(d, xr + i), mean);
      const auto b = hn::Sub(hn::LoadU(d, xr + i + lanes), mean);
      sq0 = hn::MulAdd(a, a, sq0);
      sq1 = hn::MulAdd(b, b, sq1);
    }
    if (i < full) {
      const auto a = hn::Sub(hn::LoadU(d, xr + i), mean);
      sq0 = hn::MulAdd(a, a, sq0);
    }
    if (tail != 0) {   // lanes past the row hold 0 - mean: mask them out
      const auto a = hn::IfThenElseZero(hn::FirstN(d, tail), hn::Sub(LoadFirst(d, xr + full, tail), mean));
      sq1 = hn::MulAdd(a, a, sq1);
    }
    const float var = hn::GetLane(hn::SumOfLanes(d, hn::Add(sq0, sq1))) * inv_count;
    const auto inv_std = hn::Set(d, 1.0f / std::sqrt(var + eps));

    for (i = 0; i < full; i += lanes) {
      const auto normalized = hn::Mul(hn::Sub(hn::LoadU(d, xr + i), mean), inv_std);
      hn::StoreU(hn::MulAdd(normalized, hn::LoadU(d, gamma + i), hn::LoadU(d, beta + i)), d, yr + i);
    }
    if (tail != 0) {
      const auto normalized = hn::Mul(hn::Sub(LoadFirst(d, xr + full, tail), mean), inv_std);
      const auto out = hn::MulAdd(normalized, LoadFirst(d, gamma + full, tail), LoadFirst(d, beta + full, tail));
      StoreFirst(out, d, yr + full, tail);
    }
  }
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
