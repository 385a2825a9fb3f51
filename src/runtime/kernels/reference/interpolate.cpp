// Resize of NCHW maps as torch.nn.functional.interpolate.
// mode='bilinear':
//   align_corners=False: src = (dst + 0.5) * in/out - 0.5, clamped at 0
//   align_corners=True:  src = dst * (in - 1) / (out - 1)
// then y = lerp over the two nearest rows and columns (the upper index clamped).
// mode='bicubic', antialias=True (PyTorch's separable AA filter): for output i,
//   scale = in/out, support = 2 * max(scale, 1), center = scale * (i + 0.5),
//   taps j in [max(int(center - support + 0.5), 0), min(int(center + support + 0.5), in)),
//   w_j = cubic((j - center + 0.5) / max(scale, 1)) with a = -0.5, normalised to sum 1;
// applied along the width, then along the height.
// A channels_last node is computed the same way between two layout copies.
#include <algorithm>
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

double cubic_aa(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

struct Taps {
  int64_t first;
  std::vector<double> weights;
};

std::vector<Taps> bicubic_aa_taps(int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double stretch = std::max(scale, 1.0);
  const double support = 2.0 * stretch;
  std::vector<Taps> taps(static_cast<size_t>(out_size));
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = scale * (static_cast<double>(i) + 0.5);
    const auto lo = std::max(static_cast<int64_t>(center - support + 0.5), int64_t{0});
    const auto hi = std::min(static_cast<int64_t>(center + support + 0.5), in_size);
    Taps& t = taps[static_cast<size_t>(i)];
    t.first = lo;
    double total = 0.0;
    for (int64_t j = lo; j < hi; ++j) {
      t.weights.push_back(cubic_aa((static_cast<double>(j) - center + 0.5) / stretch));
      total += t.weights.back();
    }
    if (total != 0.0) {
      for (double& w : t.weights) w /= total;
    }
  }
  return taps;
}

void bicubic_aa_nchw(const float* input, const graph::Shape& in, float* output, int64_t out_h, int64_t out_w) {
  const int64_t planes = in[0] * in[1], in_h = in[2], in_w = in[3];
  const auto cols = bicubic_aa_taps(in_w, out_w), rows = bicubic_aa_taps(in_h, out_h);
  std::vector<double> wide(static_cast<size_t>(in_h * out_w));   // after the horizontal pass
  for (int64_t p = 0; p < planes; ++p) {
    const float* x = input + p * in_h * in_w;
    for (int64_t r = 0; r < in_h; ++r) {
      for (int64_t j = 0; j < out_w; ++j) {
        const Taps& t = cols[static_cast<size_t>(j)];
        double acc = 0.0;
        for (size_t k = 0; k < t.weights.size(); ++k) acc += t.weights[k] * x[r * in_w + t.first + static_cast<int64_t>(k)];
        wide[static_cast<size_t>(r * out_w + j)] = acc;
      }
    }
    float* y = output + p * out_h * out_w;
    for (int64_t i = 0; i < out_h; ++i) {
      const Taps& t = rows[static_cast<size_t>(i)];
      for (int64_t j = 0; j < out_w; ++j) {
        double acc = 0.0;
        for (size_t k = 0; k < t.weights.size(); ++k) {
          acc += t.weights[k] * wide[static_cast<size_t>((t.first + static_cast<int64_t>(k)) * out_w + j)];
        }
        y[i * out_w + j] = static_cast<float>(acc);
      }
    }
  }
}

void resize_nchw(const graph::InterpolateAttrs& a, const float* input, const graph::Shape& in, float* output) {
  if (a.mode == graph::InterpolationMode::kBicubicAntialias) {
    bicubic_aa_nchw(input, in, output, a.size[0], a.size[1]);
  } else {
    interpolate_nchw(a, input, in, output);
  }
}

}  // namespace

void interpolate(const KernelContext& c) {
  const auto& a = std::get<graph::InterpolateAttrs>(c.node.attrs);
  const graph::Shape& s = c.in_shape(0);
  if (!a.channels_last) {
    resize_nchw(a, c.in(0), s, c.output);
    return;
  }
  std::vector<float> x(static_cast<size_t>(graph::shape_numel(s)));
  std::vector<float> y(static_cast<size_t>(graph::shape_numel(c.output_shape)));
  nhwc_to_nchw(c.in(0), x.data(), s[0], s[1], s[2], s[3]);
  resize_nchw(a, x.data(), {s[0], s[3], s[1], s[2]}, y.data());
  nchw_to_nhwc(y.data(), c.output, s[0], s[3], a.size[0], a.size[1]);
}

}  // namespace litevit::runtime::reference
