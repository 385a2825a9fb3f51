// Fused attention, batched over the leading dims:
// y[b, i, :] = sum_j p[i, j] v[b, j, :] with
// p[i, :] = softmax_j(alpha q[b, i, :] . k[b, j, :] + bias[b', i, j]), the bias
// (optional 4th input) broadcast over the leading dims numpy-style (b' is b
// with the bias's size-1 dims at 0).
// Operands given as strided views (AttentionAttrs) are first gathered into
// contiguous copies, and the output scattered into its view at the end.
// Scores, softmax and the weighted sum in double, one query row at a time.
#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

namespace {

// The logical shape of operand i (q, k, v): its view's, or the input's.
graph::Shape operand_shape(const KernelContext& c, size_t i) {
  return graph::attention_operand_shape(std::get<graph::AttentionAttrs>(c.node.attrs), i, c.in_shape(i));
}

// Operand i (q, k, v) contiguous: the input itself, or gathered from its view into `copy`.
const float* contiguous_operand(const KernelContext& c, size_t i, std::vector<float>& copy) {
  const auto& view = std::get<graph::AttentionAttrs>(c.node.attrs).input_views[i];
  if (!view) return c.in(i);
  copy.resize(static_cast<size_t>(graph::shape_numel(view->shape)));
  gather_strided(c.in(i) + view->offset, view->strides, copy.data(), view->shape);
  return copy.data();
}

// The attention on contiguous q, k, v (operands 0-2's logical shapes) into a
// contiguous out of `out_shape`.
void attention_contiguous(const KernelContext& c, const float* q_data, const float* k_data, const float* v_data,
                          float* out, const graph::Shape& out_shape) {
  const double alpha = std::get<graph::AttentionAttrs>(c.node.attrs).alpha;
  const graph::Shape qs = operand_shape(c, 0);
  const int64_t n = qs.end()[-2], d = qs.back();
  const int64_t m = operand_shape(c, 1).end()[-2], dv = out_shape.back();
  if (graph::shape_numel(out_shape) == 0) return;
  const int64_t batch = graph::shape_numel(out_shape) / (n * dv);   // not from q: d may be 0
  if (m == 0) {   // no keys: an empty weighted sum
    std::fill(out, out + graph::shape_numel(out_shape), 0.0f);
    return;
  }
  std::vector<double> p(static_cast<size_t>(m)), row(static_cast<size_t>(dv));
  const bool has_bias = c.inputs.size() == 4;
  for (int64_t b = 0; b < batch; ++b) {
    const float* bias = nullptr;
    if (has_bias) {   // b -> index into the bias's leading dims (right aligned with q's)
      const graph::Shape& bs = c.in_shape(3);
      int64_t rest = b, offset = 0, stride = n * m;
      for (size_t i = 2; i < qs.size(); ++i) {   // q's leading dims, innermost first
        const int64_t size = qs[qs.size() - 1 - i];
        const int64_t index = rest % size;
        rest /= size;
        if (i < bs.size()) {
          const int64_t bias_size = bs[bs.size() - 1 - i];
          if (bias_size != 1) offset += index * stride;
          stride *= bias_size;
        }
      }
      bias = c.in(3) + offset;
    }
    const float* q = q_data + b * n * d;
    const float* k = k_data + b * m * d;
    const float* v = v_data + b * m * dv;
    float* y = out + b * n * dv;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double dot = 0.0;
        for (int64_t t = 0; t < d; ++t) dot += static_cast<double>(q[i * d + t]) * k[j * d + t];
        p[static_cast<size_t>(j)] = alpha * dot + (bias != nullptr ? bias[i * m + j] : 0.0);
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

}  // namespace

void attention(const KernelContext& c) {
  const auto& attrs = std::get<graph::AttentionAttrs>(c.node.attrs);
  std::vector<float> q, k, v;
  const float* q_data = contiguous_operand(c, 0, q);
  const float* k_data = contiguous_operand(c, 1, k);
  const float* v_data = contiguous_operand(c, 2, v);
  if (!attrs.output_view) {
    attention_contiguous(c, q_data, k_data, v_data, c.output, c.output_shape);
    return;
  }
  std::vector<float> out(static_cast<size_t>(graph::shape_numel(attrs.output_view->shape)));
  attention_contiguous(c, q_data, k_data, v_data, out.data(), attrs.output_view->shape);
  const graph::StridedView& view = *attrs.output_view;
  scatter_strided(out.data(), view.shape, c.output + view.offset, view.strides);
}

}  // namespace litevit::runtime::reference
