// Elementwise binary ops with numpy broadcasting: out[i] = f(a[ia], b[ib]).
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {
namespace {

// Strides of `shape` aligned to `out`'s rank, 0 along broadcast axes.
std::vector<int64_t> broadcast_strides(const graph::Shape& shape, const graph::Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const size_t s = shape.size() - 1 - i;
    const size_t o = out.size() - 1 - i;
    strides[o] = shape[s] == 1 ? 0 : stride;
    stride *= shape[s];
  }
  return strides;
}

template <typename F>
void binary(const KernelContext& c, F f) {
  const graph::Shape& out = c.output_shape;
  const auto sa = broadcast_strides(c.in_shape(0), out);
  const auto sb = broadcast_strides(c.in_shape(1), out);
  const int64_t n = graph::shape_numel(out);
  std::vector<int64_t> index(out.size(), 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < n; ++i) {
    c.output[i] = f(c.in(0)[ia], c.in(1)[ib]);
    for (size_t d = out.size(); d-- > 0;) {   // advance the multi-index like an odometer
      ++index[d];
      ia += sa[d];
      ib += sb[d];
      if (index[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void add(const KernelContext& c) { binary(c, [](float a, float b) { return a + b; }); }
void mul(const KernelContext& c) { binary(c, [](float a, float b) { return a * b; }); }
void sub(const KernelContext& c) { binary(c, [](float a, float b) { return a - b; }); }
void div(const KernelContext& c) { binary(c, [](float a, float b) { return a / b; }); }

}  // namespace litevit::runtime::reference
