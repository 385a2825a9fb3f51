#include <algorithm>
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void apply_epilogue(const KernelContext& c) {
  const graph::Epilogue* e = graph::epilogue_of(c.node);
  if (e == nullptr) return;
  const int64_t n = graph::shape_numel(c.output_shape);
  float* y = c.output;
  switch (e->act) {
    case graph::Activation::kNone: break;
    case graph::Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
      break;
    case graph::Activation::kGelu:
      for (int64_t i = 0; i < n; ++i) {
        y[i] = static_cast<float>(0.5 * y[i] * (1.0 + std::erf(static_cast<double>(y[i]) * M_SQRT1_2)));
      }
      break;
    case graph::Activation::kSilu:
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(y[i] / (1.0 + std::exp(-static_cast<double>(y[i]))));
      break;
    // The same formulas as the sigmoid / hard_swish / relu6 reference kernels.
    case graph::Activation::kSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(y[i]))));
      break;
    case graph::Activation::kHardSwish:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] * std::min(std::max(y[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
      break;
    case graph::Activation::kRelu6:
      for (int64_t i = 0; i < n; ++i) y[i] = std::min(std::max(y[i], 0.0f), 6.0f);
      break;
  }
  if (e->residual) {
    const float* r = c.inputs.back().data;
    for (int64_t i = 0; i < n; ++i) y[i] += r[i];
  }
}

void nhwc_to_nchw(const float* in, float* out, int64_t n, int64_t h, int64_t w, int64_t c) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t i = 0; i < h * w; ++i)
      for (int64_t k = 0; k < c; ++k) out[(b * c + k) * h * w + i] = in[(b * h * w + i) * c + k];
}

void nchw_to_nhwc(const float* in, float* out, int64_t n, int64_t c, int64_t h, int64_t w) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t i = 0; i < h * w; ++i) out[(b * h * w + i) * c + k] = in[(b * c + k) * h * w + i];
}

}  // namespace litevit::runtime::reference
