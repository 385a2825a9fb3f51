// Fused attention, batched over the leading dims:
// y[b, i, :] = sum_j p[i, j] v[b, j, :] with p[i, :] = softmax_j(alpha q[b, i, :] . k[b, j, :]).
// Scores, softmax and the weighted sum in double, one query row at a time.
#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void attention(const KernelContext& c) {
  const double alpha = std::get<graph::ScaleAttrs>(c.node.attrs).alpha;
  const graph::Shape& qs = c.in_shape(0);
  const int64_t n = qs.end()[-2], d = qs.back();
  const int64_t m = c.in_shape(1).end()[-2], dv = c.output_shape.back();
  if (graph::shape_numel(c.output_shape) == 0) return;
  const int64_t batch = graph::shape_numel(qs) / (n * d);
  if (m == 0) {   // no keys: an empty weighted sum
    std::fill(c.output, c.output + graph::shape_numel(c.output_shape), 0.0f);
    return;
  }
  std::vector<double> p(static_cast<size_t>(m)), row(static_cast<size_t>(dv));
  for (int64_t b = 0; b < batch; ++b) {
    const float* q = c.in(0) + b * n * d;
    const float* k = c.in(1) + b * m * d;
    const float* v = c.in(2) + b * m * dv;
    float* y = c.output + b * n * dv;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double dot = 0.0;
        for (int64_t t = 0; t < d; ++t) dot += static_cast<double>(q[i * d + t]) * k[j * d + t];
        p[static_cast<size_t>(j)] = alpha * dot;
      }
      const double max_score = *std::max_element(p.begin(), p.end());
      double sum = 0.0;
      for (double& x : p) sum += (x = std::exp(x - max_score));
      std::fill(row.begin(), row.end(), 0.0);
      for (int64_t j = 0; j < m; ++j) {
        for (int64_t t = 0; t < dv; ++t) row[static_cast<size_t>(t)] += p[static_cast<size_t>(j)] * v[j * dv + t];
      }
      for (int64_t t = 0; t < dv; ++t) y[i * dv + t] = static_cast<float>(row[static_cast<size_t>(t)] / sum);
    }
  }
}

}  // namespace litevit::runtime::reference
