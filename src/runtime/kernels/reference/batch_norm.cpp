// Eval-mode batch norm over axis 1:
// y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void batch_norm(const KernelContext& c) {
  const float eps = std::get<graph::NormAttrs>(c.node.attrs).eps;
  const graph::Shape& xs = c.in_shape(0);
  const int64_t batch = xs[0], channels = xs[1];
  const int64_t inner = graph::shape_numel(xs) / (batch * channels);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float inv_std = 1.0f / std::sqrt(c.in(4)[ch] + eps);
      const float mean = c.in(3)[ch], gamma = c.in(1)[ch], beta = c.in(2)[ch];
      const float* x = c.in(0) + (n * channels + ch) * inner;
      float* y = c.output + (n * channels + ch) * inner;
      for (int64_t k = 0; k < inner; ++k) y[k] = (x[k] - mean) * inv_std * gamma + beta;
    }
  }
}

}  // namespace litevit::runtime::reference
