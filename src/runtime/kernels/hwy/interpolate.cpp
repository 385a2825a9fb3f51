// Bilinear resize with channels last ([N,H,W,C] -> [N,h,w,C]), with the
// reference kernel's source index math (torch's, align_corners either way).
// Each output pixel blends four input pixels whose C channels are contiguous,
// so the SIMD loop runs over channels with the four weights broadcast. The
// taps of every output row and column depend only on the shapes: computed
// once at creation. NCHW nodes run the reference kernel.
#include <algorithm>
#include <vector>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/interpolate.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// One output row: out[j, :] for j < out_w from input rows `upper` and `lower`
// ([in_w, C] each), lower weighted by row_frac; column j blends input columns
// col_lo[j] and col_hi[j], the latter weighted by col_frac[j]. Same order of
// operations as the reference: lerp along the row first, then between rows.
void BilinearRow(const float* HWY_RESTRICT upper, const float* HWY_RESTRICT lower, float row_frac,
                 const int64_t* HWY_RESTRICT col_lo, const int64_t* HWY_RESTRICT col_hi,
                 const float* HWY_RESTRICT col_frac, int64_t out_w, int64_t channels, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(channels);
  const size_t full = count - count % lanes;
  const size_t tail = count - full;
  const auto r1 = hn::Set(d, row_frac), r0 = hn::Set(d, 1.0f - row_frac);
  for (int64_t j = 0; j < out_w; ++j) {
    const float* HWY_RESTRICT p00 = upper + col_lo[j] * channels;
    const float* HWY_RESTRICT p01 = upper + col_hi[j] * channels;
    const float* HWY_RESTRICT p10 = lower + col_lo[j] * channels;
    const float* HWY_RESTRICT p11 = lower + col_hi[j] * channels;
    float* HWY_RESTRICT y = out + j * channels;
    const auto q1 = hn::Set(d, col_frac[j]), q0 = hn::Set(d, 1.0f - col_frac[j]);
    for (size_t k = 0; k < full; k += lanes) {
      const auto top = hn::MulAdd(q1, hn::LoadU(d, p01 + k), hn::Mul(q0, hn::LoadU(d, p00 + k)));
      const auto bottom = hn::MulAdd(q1, hn::LoadU(d, p11 + k), hn::Mul(q0, hn::LoadU(d, p10 + k)));
      hn::StoreU(hn::MulAdd(r1, bottom, hn::Mul(r0, top)), d, y + k);
    }
    if (tail != 0) {
      const auto top = hn::MulAdd(q1, LoadFirst(d, p01 + full, tail), hn::Mul(q0, LoadFirst(d, p00 + full, tail)));
      const auto bottom =
          hn::MulAdd(q1, LoadFirst(d, p11 + full, tail), hn::Mul(q0, LoadFirst(d, p10 + full, tail)));
      StoreFirst(hn::MulAdd(r1, bottom, hn::Mul(r0, top)), d, y + full, tail);
    }
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(BilinearRow);
void bilinear_row(const float* upper, const float* lower, float row_frac, const int64_t* col_lo,
                  const int64_t* col_hi, const float* col_frac, int64_t out_w, int64_t channels, float* out) {
  HWY_DYNAMIC_DISPATCH(BilinearRow)(upper, lower, row_frac, col_lo, col_hi, col_frac, out_w, channels, out);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Source taps of output positions 0..out_size-1 along one axis: indices lo and
// hi, and the weight of hi. The index math of reference/interpolate.cpp:
//   align_corners=True:  src = dst * (in - 1) / (out - 1)
//   align_corners=False: src = max((dst + 0.5) * in / out - 0.5, 0)
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<float> frac;

  Taps(int64_t in_size, int64_t out_size, bool align_corners) {
    for (int64_t dst = 0; dst < out_size; ++dst) {
      float src;
      if (align_corners) {
        const float scale =
            out_size > 1 ? static_cast<float>(in_size - 1) / static_cast<float>(out_size - 1) : 0.0f;
        src = scale * static_cast<float>(dst);
      } else {
        const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
        src = std::max(scale * (static_cast<float>(dst) + 0.5f) - 0.5f, 0.0f);
      }
      const auto low = std::min(static_cast<int64_t>(src), in_size - 1);
      lo.push_back(low);
      hi.push_back(std::min(low + 1, in_size - 1));
      frac.push_back(src - static_cast<float>(low));
    }
  }
};

class InterpolateKernel final : public Kernel {
 public:
  InterpolateKernel(const graph::Shape& in, const graph::InterpolateAttrs& a)
      : in_(in), rows_(in[1], a.size[0], a.align_corners), cols_(in[2], a.size[1], a.align_corners) {}

  void run(const KernelContext& c) const override {
    const int64_t batch = in_[0], in_h = in_[1], in_w = in_[2], channels = in_[3];
    const auto out_h = static_cast<int64_t>(rows_.lo.size()), out_w = static_cast<int64_t>(cols_.lo.size());
    parallel_for(c.threads, batch * out_h, 4 * out_w * channels, [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / out_h, i = item % out_h;
        const float* image = c.in(0) + n * in_h * in_w * channels;
        const auto row = static_cast<size_t>(i);
        simd::bilinear_row(image + rows_.lo[row] * in_w * channels, image + rows_.hi[row] * in_w * channels,
                           rows_.frac[row], cols_.lo.data(), cols_.hi.data(), cols_.frac.data(), out_w, channels,
                           c.output + item * out_w * channels);
      }
    });
  }
  const char* name() const override { return "interpolate_hwy"; }

 private:
  graph::Shape in_;
  Taps rows_, cols_;
};

bool supports_interpolate(const graph::Graph& g, const graph::Node& node) {
  const auto& a = std::get<graph::InterpolateAttrs>(node.attrs);
  return a.channels_last && a.mode == graph::InterpolationMode::kBilinear &&
         g.value(node.inputs[0]).shape.size() == 4;
}

std::unique_ptr<Kernel> create_interpolate(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<InterpolateKernel>(context.graph.value(node.inputs[0]).shape,
                                             std::get<graph::InterpolateAttrs>(node.attrs));
}

}  // namespace

const FastKernel kInterpolate{"interpolate_hwy", graph::OpKind::kInterpolate, supports_interpolate,
                              create_interpolate};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
