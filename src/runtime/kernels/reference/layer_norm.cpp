// Over the last axis: y = (x - mean) / sqrt(var + eps) * weight + bias,
// var the biased (population) variance.
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void layer_norm(const KernelContext& c) {
  const float eps = std::get<graph::NormAttrs>(c.node.attrs).eps;
  const int64_t channels = c.in_shape(0).back();
  const int64_t rows = graph::shape_numel(c.in_shape(0)) / channels;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = c.in(0) + r * channels;
    float* y = c.output + r * channels;
    double sum = 0.0;
    for (int64_t k = 0; k < channels; ++k) sum += x[k];
    const double mean = sum / static_cast<double>(channels);
    double sq = 0.0;
    for (int64_t k = 0; k < channels; ++k) sq += (x[k] - mean) * (x[k] - mean);
    const double inv_std = 1.0 / std::sqrt(sq / static_cast<double>(channels) + eps);
    for (int64_t k = 0; k < channels; ++k) {
      y[k] = static_cast<float>((x[k] - mean) * inv_std * c.in(1)[k] + c.in(2)[k]);
    }
  }
}

}  // namespace litevit::runtime::reference
