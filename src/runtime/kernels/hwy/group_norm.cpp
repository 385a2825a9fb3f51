// GroupNorm, NCHW and channels_last. Both layouts reduce to per-channel sums
// (then per group, in double): NCHW sums each contiguous channel plane,
// channels_last sums columns of [P, C] rows vectorised over C. Two passes for
// the statistics (the sums, then the squared deviations from the group mean,
// accurate when |mean| >> std), a third writes y = (x - mean) * scale[c] + bias[c].
// fp32 vector sums are flushed into double every kBlock rows / elements so the
// statistics stay within ~1e-7 of the double reference on large groups
// (PoolFormer: one group of 64 x 56 x 56). The per-block partial sums are
// combined in a fixed order, so the result does not depend on the thread count.
#include <cmath>
#include <vector>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/group_norm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// sum over i < n of (x[i] - center), or with kSquared of (x[i] - center)^2,
// in double: the fp32 vector sums are flushed every 4096 elements.
template <bool kSquared>
HWY_INLINE double PlaneSum(const float* x, int64_t n, float center) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(n);
  const auto c = hn::Set(d, center);
  double total = 0.0;
  for (size_t start = 0; start < count; start += 4096) {
    const size_t stop = std::min(count, start + 4096);
    auto acc0 = hn::Zero(d), acc1 = hn::Zero(d);
    size_t i = start;
    for (; i + 2 * lanes <= stop; i += 2 * lanes) {
      const auto v0 = hn::Sub(hn::LoadU(d, x + i), c);
      const auto v1 = hn::Sub(hn::LoadU(d, x + i + lanes), c);
      acc0 = kSquared ? hn::MulAdd(v0, v0, acc0) : hn::Add(acc0, v0);
      acc1 = kSquared ? hn::MulAdd(v1, v1, acc1) : hn::Add(acc1, v1);
    }
    for (; i < stop; i += lanes) {
      const size_t rest = std::min(lanes, stop - i);
      // Lanes past `rest` load 0; zero them again after subtracting the center.
      const auto w = rest < lanes ? hn::IfThenElseZero(hn::FirstN(d, rest), hn::Sub(LoadFirst(d, x + i, rest), c))
                                  : hn::Sub(hn::LoadU(d, x + i), c);
      acc0 = kSquared ? hn::MulAdd(w, w, acc0) : hn::Add(acc0, w);
    }
    total += static_cast<double>(hn::GetLane(hn::SumOfLanes(d, hn::Add(acc0, acc1))));
  }
  return total;
}

double PlaneTotal(const float* x, int64_t n) { return PlaneSum<false>(x, n, 0.0f); }
double PlaneSquaredDeviation(const float* x, int64_t n, float mean) { return PlaneSum<true>(x, n, mean); }

// y[i] = (x[i] - mean) * scale + bias.
void PlaneAffine(const float* x, float* y, int64_t n, float mean, float scale, float bias) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(n);
  const auto m = hn::Set(d, mean), s = hn::Set(d, scale), b = hn::Set(d, bias);
  size_t i = 0;
  for (; i + lanes <= count; i += lanes) hn::StoreU(hn::MulAdd(hn::Sub(hn::LoadU(d, x + i), m), s, b), d, y + i);
  if (i < count) StoreFirst(hn::MulAdd(hn::Sub(LoadFirst(d, x + i, count - i), m), s, b), d, y + i, count - i);
}

// out[c] = sum over r < rows of (x[r * cols + c] - center[c]) (squared with kSquared), fp32.
template <bool kSquared>
HWY_INLINE void ColumnSumsT(const float* x, int64_t rows, int64_t cols, const float* center, double* out) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(cols);
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
  for (size_t i = 0; i < count; i += lanes) {
    const size_t rest = std::min(lanes, count - i);
    const auto c = LoadUpTo(d, center + i, rest);
    auto acc = hn::Zero(d);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * cols + i;
      const auto v = hn::Sub(LoadUpTo(d, row, rest), c);
      acc = kSquared ? hn::MulAdd(v, v, acc) : hn::Add(acc, v);
    }
    hn::Store(acc, d, buffer);
    for (size_t k = 0; k < rest; ++k) out[i + k] = static_cast<double>(buffer[k]);
  }
}
void ColumnSums(const float* x, int64_t rows, int64_t cols, const float* center, double* out) {
  ColumnSumsT<false>(x, rows, cols, center, out);
}
void ColumnSquaredDeviations(const float* x, int64_t rows, int64_t cols, const float* center, double* out) {
  ColumnSumsT<true>(x, rows, cols, center, out);
}

// y[r * cols + c] = (x[r * cols + c] - mean[c]) * scale[c] + bias[c].
void RowsAffine(const float* x, float* y, int64_t rows, int64_t cols, const float* mean, const float* scale,
                const float* bias) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(cols);
  const size_t full = count - count % lanes;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    for (size_t i = 0; i < full; i += lanes) {
      const auto v = hn::Sub(hn::LoadU(d, xr + i), hn::LoadU(d, mean + i));
      hn::StoreU(hn::MulAdd(v, hn::LoadU(d, scale + i), hn::LoadU(d, bias + i)), d, yr + i);
    }
    if (full < count) {
      const size_t rest = count - full;
      const auto v = hn::Sub(LoadFirst(d, xr + full, rest), LoadFirst(d, mean + full, rest));
      StoreFirst(hn::MulAdd(v, LoadFirst(d, scale + full, rest), LoadFirst(d, bias + full, rest)), d, yr + full,
                 rest);
    }
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(PlaneTotal);
HWY_EXPORT(PlaneSquaredDeviation);
HWY_EXPORT(PlaneAffine);
HWY_EXPORT(ColumnSums);
HWY_EXPORT(ColumnSquaredDeviations);
HWY_EXPORT(RowsAffine);
}  // namespace

// The chosen target's functions, looked up once per run.
using PlaneSumFn = double (*)(const float*, int64_t);
using PlaneDeviationFn = double (*)(const float*, int64_t, float);
using PlaneAffineFn = void (*)(const float*, float*, int64_t, float, float, float);
using ColumnSumsFn = void (*)(const float*, int64_t, int64_t, const float*, double*);
using RowsAffineFn = void (*)(const float*, float*, int64_t, int64_t, const float*, const float*, const float*);
static PlaneSumFn plane_total_fn() { return HWY_DYNAMIC_DISPATCH(PlaneTotal); }
static PlaneDeviationFn plane_squared_deviation_fn() { return HWY_DYNAMIC_DISPATCH(PlaneSquaredDeviation); }
static PlaneAffineFn plane_affine_fn() { return HWY_DYNAMIC_DISPATCH(PlaneAffine); }
static ColumnSumsFn column_sums_fn(bool squared) {
  return squared ? HWY_DYNAMIC_DISPATCH(ColumnSquaredDeviations) : HWY_DYNAMIC_DISPATCH(ColumnSums);
}
static RowsAffineFn rows_affine_fn() { return HWY_DYNAMIC_DISPATCH(RowsAffine); }
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Rows of a channels_last sample summed in fp32 before going to double.
constexpr int64_t kBlockRows = 64;

struct GroupNormShape {
  int64_t batch, channels, spatial, groups, group_size;
};

GroupNormShape shape_of(const graph::GroupNormAttrs& a, const graph::Shape& s) {
  const int64_t batch = s[0];
  const int64_t channels = a.channels_last ? s.back() : s[1];
  const int64_t spatial = graph::shape_numel(s) / (batch * channels);
  return {batch, channels, spatial, a.num_groups, channels / a.num_groups};
}

// Per-channel sums (over positions) of x, or of (x - center[c])^2, for every
// sample: out[n * C + c]. Deterministic whatever the thread count.
void channel_sums(const KernelContext& c, const GroupNormShape& s, bool channels_last, bool squared,
                  const std::vector<float>& center, std::vector<double>& out) {
  const float* x = c.in(0);
  const int64_t C = s.channels, P = s.spatial;
  if (!channels_last) {
    const auto sums = simd::plane_total_fn();
    const auto squares = simd::plane_squared_deviation_fn();
    parallel_for(c.threads, s.batch * C, P, [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const float* xp = x + plane * P;
        if (squared) {
          out[static_cast<size_t>(plane)] = squares(xp, P, center[static_cast<size_t>(plane)]);
        } else {
          out[static_cast<size_t>(plane)] = sums(xp, P);
        }
      }
    });
    return;
  }
  const auto fn = simd::column_sums_fn(squared);
  const int64_t blocks = (P + kBlockRows - 1) / kBlockRows;
  std::vector<double> partial(static_cast<size_t>(s.batch * blocks * C));
  parallel_for(c.threads, s.batch * blocks, kBlockRows * C, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / blocks, block = item % blocks;
      const int64_t r0 = block * kBlockRows, rows = std::min(kBlockRows, P - r0);
      fn(x + (n * P + r0) * C, rows, C, center.data() + n * C, partial.data() + item * C);
    }
  });
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t ch = 0; ch < C; ++ch) {
      double total = 0.0;
      for (int64_t block = 0; block < blocks; ++block) total += partial[static_cast<size_t>((n * blocks + block) * C + ch)];
      out[static_cast<size_t>(n * C + ch)] = total;
    }
  }
}

void run_group_norm(const KernelContext& c) {
  const auto& a = std::get<graph::GroupNormAttrs>(c.node.attrs);
  const GroupNormShape s = shape_of(a, c.in_shape(0));
  const auto nc = static_cast<size_t>(s.batch * s.channels);
  const double count = static_cast<double>(s.group_size * s.spatial);
  std::vector<float> center(nc, 0.0f);   // per (sample, channel): its group's mean
  std::vector<double> sums(nc);
  channel_sums(c, s, a.channels_last, false, center, sums);
  auto group_total = [&](const std::vector<double>& v, int64_t n, int64_t g) {
    double total = 0.0;
    for (int64_t ch = g * s.group_size; ch < (g + 1) * s.group_size; ++ch) total += v[static_cast<size_t>(n * s.channels + ch)];
    return total;
  };
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const auto mean = static_cast<float>(group_total(sums, n, g) / count);
      for (int64_t ch = g * s.group_size; ch < (g + 1) * s.group_size; ++ch) center[static_cast<size_t>(n * s.channels + ch)] = mean;
    }
  }
  std::vector<double> squares(nc);
  channel_sums(c, s, a.channels_last, true, center, squares);
  std::vector<float> scale(nc), bias(nc);
  const float* weight = c.in(1);
  const float* beta = c.in(2);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.groups; ++g) {
      const double inv_std = 1.0 / std::sqrt(group_total(squares, n, g) / count + a.eps);
      for (int64_t ch = g * s.group_size; ch < (g + 1) * s.group_size; ++ch) {
        const auto i = static_cast<size_t>(n * s.channels + ch);
        scale[i] = static_cast<float>(inv_std * weight[ch]);
        bias[i] = beta[ch];
      }
    }
  }
  const float* x = c.in(0);
  const int64_t C = s.channels, P = s.spatial;
  if (!a.channels_last) {
    const auto fn = simd::plane_affine_fn();
    parallel_for(c.threads, s.batch * C, P, [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const auto i = static_cast<size_t>(plane);
        fn(x + plane * P, c.output + plane * P, P, center[i], scale[i], bias[i]);
      }
    });
    return;
  }
  const auto fn = simd::rows_affine_fn();
  parallel_for(c.threads, s.batch * P, C, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end;) {
      const int64_t n = r / P;
      const int64_t run_end = std::min(end, (n + 1) * P);
      const auto off = static_cast<size_t>(n * C);
      fn(x + r * C, c.output + r * C, run_end - r, C, center.data() + off, scale.data() + off, bias.data() + off);
      r = run_end;
    }
  });
}

bool supports_group_norm(const graph::Graph& g, const graph::Node& node) {
  const auto& a = std::get<graph::GroupNormAttrs>(node.attrs);
  return g.value(node.inputs[0]).shape.size() >= 2 && a.num_groups > 0;
}

std::unique_ptr<Kernel> create_group_norm(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("group_norm_hwy", run_group_norm);
}

}  // namespace

const FastKernel kGroupNorm{"group_norm_hwy", graph::OpKind::kGroupNorm, supports_group_norm, create_group_norm};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
