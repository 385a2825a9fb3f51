// Bilinear resize of NCHW maps, as torch.nn.functional.interpolate(mode='bilinear'):
//   align_corners=False: src = (dst + 0.5) * in/out - 0.5, clamped at 0
//   align_corners=True:  src = dst * (in - 1) / (out - 1)
// then y = lerp over the two nearest rows and columns (the upper index clamped).
// A channels_last node is computed the same way between two layout copies.
#include <cmath>
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {
namespace {

struct Tap {
  int64_t lo, hi;
  float frac;   // weight of hi
};

Tap source_tap(int64_t dst, int64_t in_size, int64_t out_size, bool align_corners) {
  float src;
  if (align_corners) {
    const float scale = out_size > 1 ? static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1) : 0.0f;
    src = scale * static_cast<float>(dst);
  } else {
    const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
    src = std::max(scale * (static_cast<float>(dst) + 0.5f) - 0.5f, 0.0f);
  }
  const auto lo = std::min(static_cast<int64_t>(src), in_size - 1);
  const int64_t hi = std::min(lo + 1, in_size - 1);
  return {lo, hi, src - static_cast<float>(lo)};
}

void interpolate_nchw(const graph::InterpolateAttrs& a, const float* input, const graph::Shape& in, float* output) {
  const int64_t planes = in[0] * in[1], in_h = in[2], in_w = in[3];
  const int64_t out_h = a.size[0], out_w = a.size[1];
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = input + p * in_h * in_w;
    float* y = output + p * out_h * out_w;
    for (int64_t i = 0; i < out_h; ++i) {
      const Tap r = source_tap(i, in_h, out_h, a.align_corners);
      for (int64_t j = 0; j < out_w; ++j) {
        const Tap q = source_tap(j, in_w, out_w, a.align_corners);
        const float top = (1.0f - q.frac) * x[r.lo * in_w + q.lo] + q.frac * x[r.lo * in_w + q.hi];
        const float bottom = (1.0f - q.frac) * x[r.hi * in_w + q.lo] + q.frac * x[r.hi * in_w + q.hi];
        y[i * out_w + j] = (1.0f - r.frac) * top + r.frac * bottom;
      }
    }
  }
}

}  // namespace

void interpolate(const KernelContext& c) {
  const auto& a = std::get<graph::InterpolateAttrs>(c.node.attrs);
  const graph::Shape& s = c.in_shape(0);
  if (!a.channels_last) {
    interpolate_nchw(a, c.in(0), s, c.output);
    return;
  }
  std::vector<float> x(static_cast<size_t>(graph::shape_numel(s)));
  std::vector<float> y(static_cast<size_t>(graph::shape_numel(c.output_shape)));
  nhwc_to_nchw(c.in(0), x.data(), s[0], s[1], s[2], s[3]);
  interpolate_nchw(a, x.data(), {s[0], s[3], s[1], s[2]}, y.data());
  nchw_to_nhwc(y.data(), c.output, s[0], s[3], a.size[0], a.size[1]);
}

}  // namespace litevit::runtime::reference
