// Mean over a contiguous run of axes. Viewed as [outer, count, inner]:
// - inner > 1 (the run leaves the last axis alone: the NHWC global pool
//   [N,H,W,C] over {1,2}, the token mean [N,T,C] over {1}): every output is
//   the mean of one column of a [count, inner] matrix, so the sums run down
//   columns a vector of adjacent outputs at a time, over contiguous rows;
// - inner == 1 (the run ends at the last axis: an NCHW pool over {2,3}, a
//   mean over tokens on the last axis): every output is the mean of one
//   contiguous row, summed a vector at a time and across lanes in double.
// The sums are compensated (Kahan): their fp32 error stays ~1 ulp however
// many elements (56x56 pools) are added. Other axis sets run the reference kernel.
#include <algorithm>
#include <vector>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/reduce_mean.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// Kahan summation: `compensation` carries the low-order bits each add lost.
template <class D>
struct CompensatedSum {
  hn::VFromD<D> sum, compensation;
  explicit CompensatedSum(D d) : sum(hn::Zero(d)), compensation(hn::Zero(d)) {}
  HWY_INLINE void Add(hn::VFromD<D> value) {
    const auto v = hn::Sub(value, compensation);
    const auto t = hn::Add(sum, v);
    compensation = hn::Sub(hn::Sub(t, sum), v);
    sum = t;
  }
};

// y[k] = (1/count) sum_{r < count} x[r * stride + k] for k < columns.
void ColumnMeans(const float* HWY_RESTRICT x, int64_t stride, int64_t count, int64_t columns, float* HWY_RESTRICT y) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto inv_count = hn::Set(d, 1.0f / static_cast<float>(count));
  int64_t k = 0;
  // Four column vectors at a time: four independent add chains in flight.
  for (; k + 4 * lanes <= columns; k += 4 * lanes) {
    CompensatedSum<decltype(d)> s0(d), s1(d), s2(d), s3(d);
    for (int64_t r = 0; r < count; ++r) {
      const float* row = x + r * stride + k;
      s0.Add(hn::LoadU(d, row));
      s1.Add(hn::LoadU(d, row + lanes));
      s2.Add(hn::LoadU(d, row + 2 * lanes));
      s3.Add(hn::LoadU(d, row + 3 * lanes));
    }
    hn::StoreU(hn::Mul(s0.sum, inv_count), d, y + k);
    hn::StoreU(hn::Mul(s1.sum, inv_count), d, y + k + lanes);
    hn::StoreU(hn::Mul(s2.sum, inv_count), d, y + k + 2 * lanes);
    hn::StoreU(hn::Mul(s3.sum, inv_count), d, y + k + 3 * lanes);
  }
  for (; k + lanes <= columns; k += lanes) {
    CompensatedSum<decltype(d)> s(d);
    for (int64_t r = 0; r < count; ++r) s.Add(hn::LoadU(d, x + r * stride + k));
    hn::StoreU(hn::Mul(s.sum, inv_count), d, y + k);
  }
  if (k < columns) {
    const auto rest = static_cast<size_t>(columns - k);
    CompensatedSum<decltype(d)> s(d);
    for (int64_t r = 0; r < count; ++r) s.Add(LoadFirst(d, x + r * stride + k, rest));
    StoreFirst(hn::Mul(s.sum, inv_count), d, y + k, rest);
  }
}

// y[r] = (1/count) sum_{k < count} x[r * count + k] for r < rows.
void RowMeans(const float* HWY_RESTRICT x, int64_t count, int64_t rows, float* HWY_RESTRICT y) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  HWY_ALIGN float sums[HWY_MAX_BYTES / sizeof(float)];
  HWY_ALIGN float compensations[HWY_MAX_BYTES / sizeof(float)];
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * count;
    CompensatedSum<decltype(d)> s(d);
    int64_t k = 0;
    for (; k + lanes <= count; k += lanes) s.Add(hn::LoadU(d, row + k));
    if (k < count) s.Add(LoadFirst(d, row + k, static_cast<size_t>(count - k)));
    hn::Store(s.sum, d, sums);
    hn::Store(s.compensation, d, compensations);
    double total = 0.0;
    for (int64_t lane = 0; lane < lanes; ++lane) total += static_cast<double>(sums[lane]) - compensations[lane];
    y[r] = static_cast<float>(total / static_cast<double>(count));
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(ColumnMeans);
HWY_EXPORT(RowMeans);
void column_means(const float* x, int64_t stride, int64_t count, int64_t columns, float* y) {
  HWY_DYNAMIC_DISPATCH(ColumnMeans)(x, stride, count, columns, y);
}
void row_means(const float* x, int64_t count, int64_t rows, float* y) {
  HWY_DYNAMIC_DISPATCH(RowMeans)(x, count, rows, y);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Output columns per work item (a multiple of every vector width).
constexpr int64_t kColumnBlock = 256;

struct ReduceSplit {
  int64_t outer = 1, count = 1, inner = 1;
};

// [outer, count, inner] when the reduced axes are one contiguous run
// (inner is 1 when the run ends at the last axis).
bool split_reduce(const graph::Shape& x, std::vector<int64_t> axes, ReduceSplit* split) {
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  if (axes.empty() || axes.back() - axes.front() + 1 != static_cast<int64_t>(axes.size()) ||
      axes.back() >= static_cast<int64_t>(x.size())) {
    return false;
  }
  for (size_t d = 0; d < x.size(); ++d) {
    const auto axis = static_cast<int64_t>(d);
    if (axis < axes.front()) split->outer *= x[d];
    else if (axis <= axes.back()) split->count *= x[d];
    else split->inner *= x[d];
  }
  return true;
}

bool supports_reduce_mean(const graph::Graph& g, const graph::Node& node) {
  ReduceSplit split;
  return split_reduce(g.value(node.inputs[0]).shape, std::get<graph::ReduceAttrs>(node.attrs).axes, &split);
}

class ReduceMeanKernel final : public Kernel {
 public:
  explicit ReduceMeanKernel(const ReduceSplit& split) : split_(split) {}
  void run(const KernelContext& c) const override {
    const auto [outer, count, inner] = split_;
    if (inner == 1) {
      parallel_for(c.threads, outer, count, [&](int64_t begin, int64_t end) {
        simd::row_means(c.in(0) + begin * count, count, end - begin, c.output + begin);
      });
      return;
    }
    const int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
    parallel_for(c.threads, outer * blocks, count * std::min(inner, kColumnBlock), [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t o = item / blocks, k = (item % blocks) * kColumnBlock;
        simd::column_means(c.in(0) + o * count * inner + k, inner, count, std::min(kColumnBlock, inner - k),
                           c.output + o * inner + k);
      }
    });
  }
  const char* name() const override { return "reduce_mean_hwy"; }

 private:
  ReduceSplit split_;
};

std::unique_ptr<Kernel> create_reduce_mean(const CompileContext& context, const graph::Node& node) {
  ReduceSplit split;
  split_reduce(context.graph.value(node.inputs[0]).shape, std::get<graph::ReduceAttrs>(node.attrs).axes, &split);
  return std::make_unique<ReduceMeanKernel>(split);
}

}  // namespace

const FastKernel kReduceMean{"reduce_mean_hwy", graph::OpKind::kReduceMean, supports_reduce_mean,
                             create_reduce_mean};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
