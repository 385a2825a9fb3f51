// Along one axis: y_i = exp(x_i - max x) / sum_j exp(x_j - max x)
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void softmax(const KernelContext& c) {
  const graph::Shape& s = c.in_shape(0);
  const auto axis = static_cast<size_t>(std::get<graph::AxisAttrs>(c.node.attrs).axis);
  int64_t inner = 1;
  for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t len = s[axis];
  const int64_t outer = graph::shape_numel(s) / (len * inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const float* x = c.in(0) + o * len * inner + i;
      float* y = c.output + o * len * inner + i;
      float max_value = x[0];
      for (int64_t k = 1; k < len; ++k) max_value = std::max(max_value, x[k * inner]);
      double sum = 0.0;
      for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(x[k * inner]) - max_value);
      for (int64_t k = 0; k < len; ++k) {
        y[k * inner] = static_cast<float>(std::exp(static_cast<double>(x[k * inner]) - max_value) / sum);
      }
    }
  }
}

}  // namespace litevit::runtime::reference
