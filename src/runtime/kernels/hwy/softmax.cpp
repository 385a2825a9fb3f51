// Softmax along the last axis: y_i = exp(x_i - max x) / sum_j exp(x_j - max x).
// Three passes over a row: the max, exp (stored) and its sum, the scaling.
// Softmax is exp-bound; FastExp (math-inl.h) is our own polynomial because
// Highway's exp is 1.6x slower (anchors/substrate.md sec. 4). Other axes run
// the reference kernel (attention softmax is over the last axis).
#include <cmath>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/softmax.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/math-inl.h"
#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

void SoftmaxRows(const float* x, float* y, int64_t rows, int64_t length) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(length);
  const size_t full = count - count % lanes;
  const size_t tail = count - full;
  const auto tail_mask = hn::FirstN(d, tail);
  const auto minus_inf = hn::Set(d, -HUGE_VALF);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * length;
    float* yr = y + r * length;

    auto max0 = minus_inf, max1 = minus_inf;
    size_t i = 0;
    for (; i + 2 * lanes <= full; i += 2 * lanes) {
      max0 = hn::Max(max0, hn::LoadU(d, xr + i));
      max1 = hn::Max(max1, hn::LoadU(d, xr + i + lanes));
    }
    if (i < full) max0 = hn::Max(max0, hn::LoadU(d, xr + i));
    if (tail != 0) max1 = hn::Max(max1, hn::IfThenElse(tail_mask, LoadFirst(d, xr + full, tail), minus_inf));
    const auto row_max = hn::MaxOfLanes(d, hn::Max(max0, max1));   // in every lane

    auto sum = hn::Zero(d);
    for (i = 0; i < full; i += lanes) {
      const auto e = FastExp(d, hn::Sub(hn::LoadU(d, xr + i), row_max));
      sum = hn::Add(sum, e);
      hn::StoreU(e, d, yr + i);
    }
    if (tail != 0) {
      const auto e = hn::IfThenElseZero(tail_mask, FastExp(d, hn::Sub(LoadFirst(d, xr + full, tail), row_max)));
      sum = hn::Add(sum, e);
      StoreFirst(e, d, yr + full, tail);
    }
    const auto inv_sum = hn::Div(hn::Set(d, 1.0f), hn::SumOfLanes(d, sum));

    for (i = 0; i < full; i += lanes) hn::StoreU(hn::Mul(hn::LoadU(d, yr + i), inv_sum), d, yr + i);
    if (tail != 0) StoreFirst(hn::Mul(LoadFirst(d, yr + full, tail), inv_sum), d, yr + full, tail);
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(SoftmaxRows);
void softmax_rows(const float* x, float* y, int64_t rows, int64_t length) {
  HWY_DYNAMIC_DISPATCH(SoftmaxRows)(x, y, rows, length);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

bool supports_softmax(const graph::Graph& g, const graph::Node& node) {
  const graph::Shape& x = g.value(node.inputs[0]).shape;
  return std::get<graph::AxisAttrs>(node.attrs).axis == static_cast<int64_t>(x.size()) - 1;
}

void run_softmax(const KernelContext& c) {
  const int64_t length = c.in_shape(0).back();
  if (length == 0) return;
  const int64_t rows = graph::shape_numel(c.in_shape(0)) / length;
  parallel_for(c.threads, rows, length, [&](int64_t begin, int64_t end) {
    simd::softmax_rows(c.in(0) + begin * length, c.output + begin * length, end - begin, length);
  });
}

std::unique_ptr<Kernel> create_softmax(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("softmax_hwy", run_softmax);
}

}  // namespace

const FastKernel kSoftmax{"softmax_hwy", graph::OpKind::kSoftmax, supports_softmax, create_softmax};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
