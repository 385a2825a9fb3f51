// conv2d_hwy: dense (groups = 1) NHWC convolution as an implicit GEMM, for
// the k x k convs where oneDNN is slow on AVX2: on MobileViT's conv_kxk and
// conv_fusion (3x3, 32x32 and smaller maps, 48-192 channels) oneDNN's jit:avx2
// NHWC kernel hardly uses a second thread (conv_fusion of mobilevit_xxs on 2
// threads: 1.04-1.41 ms, ORT's NCHWc kernel 0.68 ms, this kernel 0.71-0.81).
//
// out[i, j, o] = bias[o] + sum_{ky, kx, c} w[o, c, ky, kx] x[i s - p + ky, j s - p + kx, c]
//
// is, per output row i, a GEMM whose k x k x Cin long rows of a are never
// built: the part of output pixel j's row for tap row ky is input row
// i s - p + ky, columns j s - p .. j s - p + kw - 1, every channel: kw Cin
// contiguous floats. So a block of R output pixels of one row reads, per tap
// row, R runs of kw Cin floats, s Cin floats apart (PanelMulAdd's a_stride),
// against a panel of the weights packed [ky][kx][c][2 vectors of output channels].
//
// Columns outside the image: the k input rows an output row needs are
// copied into a per-thread ring of rows padded with p zero pixels on each
// side (each input row copied once per run of consecutive output rows, like
// inverted_residual.cpp's ring); without column padding the kernel reads the
// input rows in place. Rows outside the image are skipped (their taps add 0).
//
// Threads split the output rows of all images into contiguous pieces. Per
// output row, panels outer and pixel blocks inner: a panel (k k Cin x 2
// vectors, 55 KB for conv_fusion's 96 -> 48) streams from L2 while the k
// input rows (39 KB) stay in L1/L2. The epilogue (activation, residual) runs
// over each output row while it is in L1.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <hwy/aligned_allocator.h>

#include "runtime/kernels/hwy/common.h"
#include "runtime/kernels/hwy/hwy_kernels.h"
#include "runtime/kernels/hwy/panels.h"
#include "runtime/kernels/hwy/row_ring.h"
#include "runtime/kernels/thread_scratch.h"

// Once, not per target (foreach_target.h includes this file again for each).
#ifndef LITEVIT_HWY_CONV2D_ONCE_
#define LITEVIT_HWY_CONV2D_ONCE_
namespace litevit::simd {

// Sizes of one conv2d node; x is [batch, height, width, in_ch], y [batch, out_height, out_width, out_ch].
struct DenseConvShape {
  int64_t batch, height, width, in_ch, out_ch;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, out_height, out_width;
  graph::Epilogue epilogue;
};

// Output rows [row_begin, row_end) of the batch's rows (row = n * Ho + i).
// weights: panels [kh][kw][Cin][P] (pack_panels) of Cout_pad = Cout rounded
// up to a vector, the last 1 vector wide when Cout_pad is an odd number of
// vectors, zero past Cout; bias [Cout_pad].
using DenseConvRowsFn = void (*)(const DenseConvShape& shape, const float* weights, const float* bias,
                                 const float* x, const float* residual, float* y, int64_t row_begin,
                                 int64_t row_end);

// What the chosen target packs for (panel width P = 2 vectors) and runs.
struct DenseConvTarget {
  int64_t panel_width;
  DenseConvRowsFn rows;
};

struct DenseConvScratch;   // thread_scratch's owner tag: the ring of padded input rows

}  // namespace litevit::simd
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/conv2d.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// R output pixels of one row (the first at padded input column `column`,
// the next s Cin floats further on each input row) x one panel of output
// channels (either width, gemm-inl.h): out[r, 0..cols) = bias + sum over
// taps. rows[ky] is the padded input row of tap row ky, or null (outside the
// image: skipped).
template <int R, class D>
HWY_INLINE void ConvBlock(D d, const float* const* rows, const DenseConvShape& s, size_t column,
                          const float* HWY_RESTRICT panel, const float* HWY_RESTRICT bias, float* HWY_RESTRICT out,
                          size_t cols) {
  const size_t lanes = hn::Lanes(d), in_ch = static_cast<size_t>(s.in_ch);
  const size_t kw = static_cast<size_t>(s.kernel_w), a_stride = static_cast<size_t>(s.stride_w) * in_ch;
  const size_t tap_floats = in_ch * (cols <= lanes ? lanes : 2 * lanes);   // one tap of the panel
  hn::VFromD<D> acc0[R], acc1[R];
  PanelStart<R>(d, bias, cols, acc0, acc1);
  // Per tap row ky, the kw taps of a pixel are kw Cin contiguous floats of
  // the input row (columns j s .. j s + kw - 1, every channel), in the order
  // the panel holds them: one GEMM step of depth kw Cin.
  for (int64_t ky = 0; ky < s.kernel_h; ++ky) {
    if (rows[ky] == nullptr) continue;
    PanelAccumulate<R>(d, rows[ky] + column * in_ch, a_stride, panel + static_cast<size_t>(ky) * kw * tap_floats,
                       kw * in_ch, cols, acc0, acc1);
  }
  PanelFinish<R>(d, acc0, acc1, out, static_cast<size_t>(s.out_ch), cols);
}

// One output row: every panel, the row's pixels in blocks of 4-6 (wo split
// evenly by ForEvenBlocks, so a 32-pixel row is 6+6+5+5+5+5, not 6+6+6+6+6+2).
template <class D>
HWY_INLINE void ConvRow(D d, const float* const* rows, const DenseConvShape& s, const float* weights,
                        const float* bias, float* out) {
  const size_t width = 2 * hn::Lanes(d);
  const auto wo = static_cast<size_t>(s.out_width), out_ch = static_cast<size_t>(s.out_ch);
  const auto depth = static_cast<size_t>(s.kernel_h * s.kernel_w * s.in_ch);
  const size_t stride = static_cast<size_t>(s.stride_w);
  for (size_t col = 0; col < out_ch; col += width) {
    const float* panel = weights + col * depth;
    const size_t cols = std::min(width, out_ch - col);
    ForEvenBlocks(wo, [&]<int R>(size_t j) {
      ConvBlock<R>(d, rows, s, j * stride, panel, bias + col, out + j * out_ch + col, cols);
    });
  }
}

void DenseConvRows(const DenseConvShape& s, const float* weights, const float* bias, const float* x,
                   const float* residual, float* y, int64_t row_begin, int64_t row_end) {
  const hn::ScalableTag<float> d;
  const auto kh = static_cast<size_t>(s.kernel_h), in_ch = static_cast<size_t>(s.in_ch);
  const size_t row_floats = static_cast<size_t>(s.width) * in_ch;
  const size_t ring_row = static_cast<size_t>(s.width + 2 * s.pad_w) * in_ch;
  const size_t pad_floats = static_cast<size_t>(s.pad_w) * in_ch;
  float* ring = s.pad_w > 0 ? runtime::thread_scratch<DenseConvScratch>(kh * ring_row) : nullptr;
  if (ring != nullptr) std::fill(ring, ring + kh * ring_row, 0.0f);   // the padding pixels stay zero

  runtime::hwy::RowRing slots(kh);
  std::vector<const float*> rows(kh);
  for (int64_t row = row_begin; row < row_end; ++row) {
    const int64_t n = row / s.out_height, i = row % s.out_height;
    slots.set_image(n);
    for (size_t ky = 0; ky < kh; ++ky) {
      const int64_t r = i * s.stride_h - s.pad_h + static_cast<int64_t>(ky);
      if (r < 0 || r >= s.height) {
        rows[ky] = nullptr;
        continue;
      }
      const float* input_row = x + (n * s.height + r) * static_cast<int64_t>(row_floats);
      if (ring == nullptr) {
        rows[ky] = input_row;
        continue;
      }
      const auto slot = slots.acquire(r);
      float* slot_data = ring + slot.index * ring_row;
      rows[ky] = slot_data;
      if (slot.fill) std::copy(input_row, input_row + row_floats, slot_data + pad_floats);
    }
    const int64_t out_offset = row * s.out_width * s.out_ch;
    ConvRow(d, rows.data(), s, weights, bias, y + out_offset);
    runtime::hwy::apply_epilogue_at(s.epilogue, y, residual, out_offset, s.out_width * s.out_ch);
  }
}

DenseConvTarget ChosenDenseConvTarget() {
  const hn::ScalableTag<float> d;
  return {static_cast<int64_t>(2 * hn::Lanes(d)), &DenseConvRows};
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(ChosenDenseConvTarget);
DenseConvTarget chosen_target() { return HWY_DYNAMIC_DISPATCH(ChosenDenseConvTarget)(); }
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// mobilevit_xxs, litevit profile per-node medians (EPYC Zen 3, AVX2, shared
// with other jobs; ms, conv2d_hwy vs oneDNN). On 2 threads oneDNN's NHWC
// jit:avx2 conv barely uses the second thread on these maps: conv_fusion
// 96->48 on 32x32 0.71-0.81 vs 1.39-1.41, conv_kxk 48->48 0.37-0.44 vs 0.66,
// the six 3x3 convs 1.7-2.3 vs 4.1-4.3 in all. On one thread they are level
// (conv_fusion 1.36 vs 1.36, all six 3.1-3.5 vs 3.85). The 1x1 convs, the
// 3-channel stem and DeiT's 16x16 patch embedding are level (2 threads: the
// stem 0.26-0.31 vs 0.28-0.30, the 1x1 convs 0.03-0.08 vs 0.04-0.08, the
// patch embedding 0.60-0.83 vs 0.57-0.74), so they stay on oneDNN.
bool dense_conv_pays(const graph::Graph& graph, const graph::Node& node) {
  if (dense_nhwc_conv(graph, node) == nullptr) return false;
  const graph::Shape& w = graph.value(node.inputs[1]).shape;
  return w[2] * w[3] > 1;
}

bool supports_conv2d(const graph::Graph& g, const graph::Node& node) {
  if (!weight_and_bias_bound(g, node)) return false;
  return graph::shape_numel(g.value(node.output).shape) > 0 && dense_conv_pays(g, node);
}

class DenseConvKernel final : public Kernel {
 public:
  DenseConvKernel(const graph::Graph& g, const graph::Node& node) : target_(simd::chosen_target()) {
    const auto& a = std::get<graph::Conv2dAttrs>(node.attrs);
    const graph::Shape& xs = g.value(node.inputs[0]).shape;   // [N,H,W,C]
    const graph::Shape& ws = g.value(node.inputs[1]).shape;   // [O,C,kh,kw]
    const graph::Shape& ys = g.value(node.output).shape;      // [N,Ho,Wo,O]
    shape_ = {.batch = xs[0], .height = xs[1], .width = xs[2], .in_ch = xs[3], .out_ch = ys[3],
              .kernel_h = ws[2], .kernel_w = ws[3], .stride_h = a.stride[0], .stride_w = a.stride[1],
              .pad_h = a.padding[0], .pad_w = a.padding[1], .out_height = ys[1], .out_width = ys[2],
              .epilogue = a.epilogue};
    // Outputs padded to whole vectors; the last panel may be 1 vector wide (pack_panels).
    const int64_t width = target_.panel_width, out_pad = round_up(shape_.out_ch, width / 2);
    const int64_t taps = shape_.kernel_h * shape_.kernel_w, depth = taps * shape_.in_ch;
    // [O, C, kh, kw] -> [O, kh, kw, C]: the depth order of the packed panels.
    const float* w = g.value(node.inputs[1]).data->data();
    std::vector<float> tap_major(static_cast<size_t>(shape_.out_ch * depth));
    for (int64_t o = 0; o < shape_.out_ch; ++o) {
      for (int64_t c = 0; c < shape_.in_ch; ++c) {
        for (int64_t t = 0; t < taps; ++t) {
          tap_major[(o * taps + t) * shape_.in_ch + c] = w[(o * shape_.in_ch + c) * taps + t];
        }
      }
    }
    weights_ = pack_panels(tap_major.data(), shape_.out_ch, depth, out_pad, width);
    bias_ = padded(graph::has_bias(node) ? g.value(node.inputs[2]).data->data() : nullptr, shape_.out_ch, out_pad);
  }

  const char* name() const override { return "conv2d_hwy"; }
  bool packed_input(size_t index) const override { return index == 1 || index == 2; }

  void run(const KernelContext& c) const override {
    const float* residual = shape_.epilogue.residual ? c.inputs.back().data : nullptr;
    const int64_t rows = shape_.batch * shape_.out_height;
    // Work per output row in multiply-adds over 8 (a vector FMA on AVX2), as attention.cpp.
    const int64_t work =
        shape_.out_width * shape_.out_ch * shape_.kernel_h * shape_.kernel_w * shape_.in_ch / 8;
    parallel_for(c.threads, rows, work, [&](int64_t begin, int64_t end) {
      target_.rows(shape_, weights_.get(), bias_.get(), c.in(0), residual, c.output, begin, end);
    });
  }

 private:
  simd::DenseConvTarget target_;   // the target the weights were packed for
  simd::DenseConvShape shape_;
  ::hwy::AlignedFreeUniquePtr<float[]> weights_, bias_;
};

std::unique_ptr<Kernel> create_conv2d(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<DenseConvKernel>(context.graph, node);
}

}  // namespace

const FastKernel kConv2d{"conv2d_hwy", graph::OpKind::kConv2d, supports_conv2d, create_conv2d};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
