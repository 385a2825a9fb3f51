// y[n,o,i,j] = b[o] + sum_{c in group(o), p, q} w[o, c, p, q] * x[n, c, i*s - pad + p*d, j*s - pad + q*d]
// (zero outside the input)
#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void conv2d(const KernelContext& c) {
  const auto& a = std::get<graph::Conv2dAttrs>(c.node.attrs);
  const graph::Shape& xs = c.in_shape(0);
  const graph::Shape& ws = c.in_shape(1);
  const int64_t batch = xs[0], in_ch = xs[1], in_h = xs[2], in_w = xs[3];
  const int64_t out_ch = ws[0], group_in = ws[1], kh = ws[2], kw = ws[3];
  const int64_t out_h = c.output_shape[2], out_w = c.output_shape[3];
  const int64_t group_out = out_ch / a.groups;
  const float* x = c.in(0);
  const float* w = c.in(1);
  const float* bias = c.has_input(2) ? c.in(2) : nullptr;

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < out_ch; ++o) {
      float* y = c.output + (n * out_ch + o) * out_h * out_w;
      for (int64_t k = 0; k < out_h * out_w; ++k) y[k] = bias ? bias[o] : 0.0f;
      const int64_t first_in = (o / group_out) * group_in;
      for (int64_t ci = 0; ci < group_in; ++ci) {
        const float* plane = x + (n * in_ch + first_in + ci) * in_h * in_w;
        for (int64_t p = 0; p < kh; ++p) {
          for (int64_t q = 0; q < kw; ++q) {
            const float weight = w[((o * group_in + ci) * kh + p) * kw + q];
            for (int64_t i = 0; i < out_h; ++i) {
              const int64_t row = i * a.stride[0] - a.padding[0] + p * a.dilation[0];
              if (row < 0 || row >= in_h) continue;
              for (int64_t j = 0; j < out_w; ++j) {
                const int64_t col = j * a.stride[1] - a.padding[1] + q * a.dilation[1];
                if (col < 0 || col >= in_w) continue;
                y[i * out_w + j] += weight * plane[row * in_w + col];
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace litevit::runtime::reference
