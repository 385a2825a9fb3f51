// Batched: y[b, i, j] = sum_k a[b, i, k] * bm[b, k, j]
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void matmul(const KernelContext& c) {
  const graph::Shape& as = c.in_shape(0);
  const graph::Shape& bs = c.in_shape(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const int64_t batch = graph::shape_numel(as) / (m * k);
  std::vector<double> row(static_cast<size_t>(n));
  for (int64_t b = 0; b < batch; ++b) {
    const float* a = c.in(0) + b * m * k;
    const float* bm = c.in(1) + b * k * n;
    float* y = c.output + b * m * n;
    for (int64_t i = 0; i < m; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      for (int64_t p = 0; p < k; ++p) {
        const double aip = a[i * k + p];
        for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += aip * bm[p * n + j];
      }
      for (int64_t j = 0; j < n; ++j) y[i * n + j] = static_cast<float>(row[static_cast<size_t>(j)]);
    }
  }
}

}  // namespace litevit::runtime::reference
