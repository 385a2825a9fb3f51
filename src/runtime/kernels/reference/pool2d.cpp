// 2-D average and max pooling with torch's semantics (AvgPool2d / MaxPool2d).
// Window (oh, ow) covers rows [oh*stride - pad, oh*stride - pad + kernel), clipped
// to the padded input [-pad, H + pad) and then to the input [0, H). An average
// divides by the window clipped to the padded input (count_include_pad) or by the
// number of input elements it covers; a max takes the input elements only.
// A channels_last node is computed the same way between two layout copies.
#include <algorithm>
#include <limits>
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {
namespace {

void pool_nchw(const graph::Pool2dAttrs& a, const float* x, const graph::Shape& s, float* y, int64_t out_h,
               int64_t out_w) {
  const int64_t planes = s[0] * s[1], height = s[2], width = s[3];
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = x + p * height * width;
    for (int64_t oh = 0; oh < out_h; ++oh) {
      for (int64_t ow = 0; ow < out_w; ++ow) {
        int64_t h0 = oh * a.stride[0] - a.padding[0], w0 = ow * a.stride[1] - a.padding[1];
        int64_t h1 = std::min(h0 + a.kernel[0], height + a.padding[0]);
        int64_t w1 = std::min(w0 + a.kernel[1], width + a.padding[1]);
        const int64_t padded_count = (h1 - h0) * (w1 - w0);
        h0 = std::max<int64_t>(h0, 0);
        w0 = std::max<int64_t>(w0, 0);
        h1 = std::min(h1, height);
        w1 = std::min(w1, width);
        float result = 0.0f;
        if (a.mode == graph::PoolMode::kMax) {
          float best = -std::numeric_limits<float>::infinity();
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) best = std::max(best, plane[h * width + w]);
          }
          result = best;
        } else {
          double sum = 0.0;
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) sum += plane[h * width + w];
          }
          const int64_t count = a.count_include_pad ? padded_count : (h1 - h0) * (w1 - w0);
          result = static_cast<float>(sum / static_cast<double>(count));
        }
        y[(p * out_h + oh) * out_w + ow] = result;
      }
    }
  }
}

}  // namespace

void pool2d(const KernelContext& c) {
  const auto& a = std::get<graph::Pool2dAttrs>(c.node.attrs);
  const graph::Shape& s = c.in_shape(0);
  if (!a.channels_last) {
    pool_nchw(a, c.in(0), s, c.output, c.output_shape[2], c.output_shape[3]);
    return;
  }
  const int64_t out_h = c.output_shape[1], out_w = c.output_shape[2];
  std::vector<float> x(static_cast<size_t>(graph::shape_numel(s)));
  std::vector<float> y(static_cast<size_t>(graph::shape_numel(c.output_shape)));
  nhwc_to_nchw(c.in(0), x.data(), s[0], s[1], s[2], s[3]);
  pool_nchw(a, x.data(), {s[0], s[3], s[1], s[2]}, y.data(), out_h, out_w);
  nchw_to_nhwc(y.data(), c.output, s[0], s[3], out_h, out_w);
}

}  // namespace litevit::runtime::reference
