// Batched: y[b, i, j] = alpha * sum_k a[b, i, k] * bm[b, k, j]
// (bm[b, j, k] when transpose_b), then the fused epilogue.
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void matmul(const KernelContext& c) {
  const auto& attrs = std::get<graph::MatMulAttrs>(c.node.attrs);
  const graph::Shape& as = c.in_shape(0);
  const int64_t m = as[as.size() - 2], k = as.back(), n = c.output_shape.back();
  const int64_t batch = graph::shape_numel(as) / (m * k);
  // Element (p, j) of the right-hand matrix of batch b.
  const int64_t stride_k = attrs.transpose_b ? 1 : n, stride_j = attrs.transpose_b ? k : 1;
  std::vector<double> row(static_cast<size_t>(n));
  for (int64_t b = 0; b < batch; ++b) {
    const float* a = c.in(0) + b * m * k;
    const float* bm = c.in(1) + b * k * n;
    float* y = c.output + b * m * n;
    for (int64_t i = 0; i < m; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      for (int64_t p = 0; p < k; ++p) {
        const double aip = a[i * k + p];
        for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += aip * bm[p * stride_k + j * stride_j];
      }
      for (int64_t j = 0; j < n; ++j) y[i * n + j] = static_cast<float>(attrs.alpha * row[static_cast<size_t>(j)]);
    }
  }
  apply_epilogue(c);
}

}  // namespace litevit::runtime::reference
