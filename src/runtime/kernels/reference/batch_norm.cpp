// Eval-mode batch norm over the channel axis (attribute `axis`):
// y = (x - running_mean) / sqrt(running_var + eps) * weight + bias
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void batch_norm(const KernelContext& c) {
  const auto& attrs = std::get<graph::NormAttrs>(c.node.attrs);
  const graph::Shape& xs = c.in_shape(0);
  const auto axis = static_cast<size_t>(attrs.axis);
  int64_t inner = 1;
  for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  const int64_t channels = xs[axis];
  const int64_t outer = graph::shape_numel(xs) / (channels * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t ch = 0; ch < channels; ++ch) {
      const float inv_std = 1.0f / std::sqrt(c.in(4)[ch] + attrs.eps);
      const float mean = c.in(3)[ch], gamma = c.in(1)[ch], beta = c.in(2)[ch];
      const float* x = c.in(0) + (o * channels + ch) * inner;
      float* y = c.output + (o * channels + ch) * inner;
      for (int64_t k = 0; k < inner; ++k) y[k] = (x[k] - mean) * inv_std * gamma + beta;
    }
  }
}

}  // namespace litevit::runtime::reference
