// y[r, m] = b[m] + sum_k x[r, k] * w[m, k]     (torch.nn.Linear: y = x W^T + b),
// then the fused epilogue.
#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void linear(const KernelContext& c) {
  const graph::Shape& ws = c.in_shape(1);
  const int64_t out_features = ws[0], in_features = ws[1];
  const int64_t rows = graph::shape_numel(c.in_shape(0)) / in_features;
  const float* bias = graph::has_bias(c.node) ? c.in(2) : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = c.in(0) + r * in_features;
    for (int64_t m = 0; m < out_features; ++m) {
      const float* w = c.in(1) + m * in_features;
      double acc = bias ? bias[m] : 0.0;
      for (int64_t k = 0; k < in_features; ++k) acc += static_cast<double>(x[k]) * w[k];
      c.output[r * out_features + m] = static_cast<float>(acc);
    }
  }
  apply_epilogue(c);
}

}  // namespace litevit::runtime::reference
