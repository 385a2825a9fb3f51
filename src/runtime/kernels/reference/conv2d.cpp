// y[n,o,i,j] = b[o] + sum_{c in group(o), p, q} w[o, c, p, q] * x[n, c, i*s - pad + p*d, j*s - pad + q*d]
// (zero outside the input), then the fused epilogue. A channels_last node is
// computed the same way between two layout copies.
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {
namespace {

void conv2d_nchw(const graph::Conv2dAttrs& a, const float* x, const graph::Shape& xs, const float* w,
                 const graph::Shape& ws, const float* bias, float* output, int64_t out_h, int64_t out_w) {
  const int64_t batch = xs[0], in_ch = xs[1], in_h = xs[2], in_w = xs[3];
  const int64_t out_ch = ws[0], group_in = ws[1], kh = ws[2], kw = ws[3];
  const int64_t group_out = out_ch / a.groups;

  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < out_ch; ++o) {
      float* y = output + (n * out_ch + o) * out_h * out_w;
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

}  // namespace

void conv2d(const KernelContext& c) {
  const auto& a = std::get<graph::Conv2dAttrs>(c.node.attrs);
  const float* bias = graph::has_bias(c.node) ? c.in(2) : nullptr;
  const graph::Shape& ws = c.in_shape(1);
  if (!a.channels_last) {
    conv2d_nchw(a, c.in(0), c.in_shape(0), c.in(1), ws, bias, c.output, c.output_shape[2], c.output_shape[3]);
  } else {
    const graph::Shape& s = c.in_shape(0);   // [N,H,W,C]
    const graph::Shape xs = {s[0], s[3], s[1], s[2]};
    const int64_t out_h = c.output_shape[1], out_w = c.output_shape[2];
    std::vector<float> x(static_cast<size_t>(graph::shape_numel(s)));
    std::vector<float> y(static_cast<size_t>(graph::shape_numel(c.output_shape)));
    nhwc_to_nchw(c.in(0), x.data(), s[0], s[1], s[2], s[3]);
    conv2d_nchw(a, x.data(), xs, c.in(1), ws, bias, y.data(), out_h, out_w);
    nchw_to_nhwc(y.data(), c.output, s[0], ws[0], out_h, out_w);
  }
  apply_epilogue(c);
}

}  // namespace litevit::runtime::reference
