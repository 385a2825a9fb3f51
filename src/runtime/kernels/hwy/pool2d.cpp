// 2-D average / max pooling on channels_last [N,H,W,C], vectorised over C:
// each output pixel is the sum (or max) of the window's input rows of C
// channels. Windows and divisors follow the reference (torch AvgPool2d /
// MaxPool2d: ceil_mode, count_include_pad). NCHW pooling (which assign_layout
// never leaves) runs the reference kernel.
#include <limits>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/pool2d.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// y[c] = sum (or max) over the window rows h in [h0, h1), w in [w0, w1) of
// x[(h * width + w) * channels + c], divided by `divisor` for an average.
void PoolPixel(const float* x, int64_t width, int64_t channels, int64_t h0, int64_t h1, int64_t w0, int64_t w1,
               bool is_max, float divisor, float* y) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(channels);
  const auto div = hn::Set(d, divisor);
  for (size_t i = 0; i < count; i += lanes) {
    const size_t rest = std::min(lanes, count - i);
    auto acc = is_max ? hn::Set(d, -std::numeric_limits<float>::infinity()) : hn::Zero(d);
    for (int64_t h = h0; h < h1; ++h) {
      const float* row = x + (h * width) * channels + static_cast<int64_t>(i);
      for (int64_t w = w0; w < w1; ++w) {
        const float* p = row + w * channels;
        const auto v = rest == lanes ? hn::LoadU(d, p) : LoadFirst(d, p, rest);
        acc = is_max ? hn::Max(acc, v) : hn::Add(acc, v);
      }
    }
    if (!is_max) acc = hn::Div(acc, div);
    if (rest == lanes) {
      hn::StoreU(acc, d, y + i);
    } else {
      StoreFirst(acc, d, y + i, rest);
    }
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(PoolPixel);
}  // namespace
using PoolPixelFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool, float, float*);
static PoolPixelFn pool_pixel_fn() { return HWY_DYNAMIC_DISPATCH(PoolPixel); }
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

void run_pool2d(const KernelContext& c) {
  const auto& a = std::get<graph::Pool2dAttrs>(c.node.attrs);
  const graph::Shape& s = c.in_shape(0);
  const int64_t height = s[1], width = s[2], channels = s[3];
  const int64_t out_h = c.output_shape[1], out_w = c.output_shape[2];
  const bool is_max = a.mode == graph::PoolMode::kMax;
  const auto fn = simd::pool_pixel_fn();
  const int64_t window = a.kernel[0] * a.kernel[1];
  parallel_for(c.threads, s[0] * out_h, out_w * channels * window, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t n = row / out_h, oh = row % out_h;
      const float* x = c.in(0) + n * height * width * channels;
      int64_t h0 = oh * a.stride[0] - a.padding[0];
      int64_t h1 = std::min(h0 + a.kernel[0], height + a.padding[0]);
      const int64_t padded_h = h1 - h0;
      h0 = std::max<int64_t>(h0, 0);
      h1 = std::min(h1, height);
      for (int64_t ow = 0; ow < out_w; ++ow) {
        int64_t w0 = ow * a.stride[1] - a.padding[1];
        int64_t w1 = std::min(w0 + a.kernel[1], width + a.padding[1]);
        const int64_t padded_w = w1 - w0;
        w0 = std::max<int64_t>(w0, 0);
        w1 = std::min(w1, width);
        const int64_t divisor = a.count_include_pad ? padded_h * padded_w : (h1 - h0) * (w1 - w0);
        fn(x, width, channels, h0, h1, w0, w1, is_max, static_cast<float>(divisor),
           c.output + (row * out_w + ow) * channels);
      }
    }
  });
}

bool supports_pool2d(const graph::Graph& g, const graph::Node& node) {
  const auto& a = std::get<graph::Pool2dAttrs>(node.attrs);
  return a.channels_last && g.value(node.inputs[0]).shape.size() == 4;
}

std::unique_ptr<Kernel> create_pool2d(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("pool2d_hwy", run_pool2d);
}

}  // namespace

const FastKernel kPool2d{"pool2d_hwy", graph::OpKind::kPool2d, supports_pool2d, create_pool2d};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
