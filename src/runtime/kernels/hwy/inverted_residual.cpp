// inverted_residual_hwy: the MobileNetV2 block (expand 1x1 -> act ->
// depthwise kxk -> act -> project 1x1 -> epilogue, NHWC) in one pass over
// the output rows, so the expanded tensor never goes through memory.
// MobileViT-xxs's first block expands 128x128x16 to 128x128x32 (2 MiB): as
// three oneDNN convs the expand and depthwise convs are memory-bound
// (24 and 12 GFLOP/s on one Zen 3 core).
//
// Per output row i a thread needs the k expanded input rows i*s - pad .. +k-1.
// It keeps them in a ring of k row buffers (each row computed once per run of
// consecutive output rows: s new rows per output row), then
//   1. expand: each new input row x[W, Cin] -> [W, Cm] by a small GEMM
//      against the packed w_expand, + bias, then the activation, in place;
//   2. depthwise: the k ring rows -> one row [Wo, Cm], + bias, activation;
//   3. project: [Wo, Cm] -> [Wo, Cout] by a GEMM against the packed
//      w_project, + bias, straight into the output row, then the epilogue
//      (activation, residual) over that row while it is in L1.
// A ring row is padded with `pad` zero pixels on each side and Cm is padded
// to whole vectors (Cm_pad), so the depthwise loop has no edge cases; input
// rows above or below the image are rows of zeros (the dw conv pads its
// input, which is the expand's activated output). Padded channels hold
// act(0) and meet zero weights in the depthwise and project steps.
//
// The GEMMs' weights are panels of 4 vectors of columns on AVX-512
// (WidePanelBlock: 10 loads per 24 FMAs), 2 elsewhere, and the last panel is
// narrower when Cm or Cout leaves a remainder (pack_panels; 1 vector wide:
// NarrowPanelMulAdd): with 16-float vectors (AVX-512) MobileViT-xxs's
// widths 16, 24, 48 and 80 would otherwise be padded to 32, 32, 64 and 96,
// a sixth to a half of the expand, SiLU, depthwise and project work spent
// on zeros. 4-vector panels against 2 (kernel_bench mv2, 1 thread, min of
// 6 alternated passes, Xeon family 6 model 106): xxs 24->48->48 s2 0.92,
// 48->96->64 s2 0.94, 64->128->80 s2 0.92; xs 32->128->48 s2 0.92,
// 48->192->48 0.91, 48->192->64 s2 0.90; s 64->256->64 0.93; blocks whose
// widths are at most 2 vectors level.
//
// A ring pixel is mid_pad floats, plus one cache line when mid_pad is a
// multiple of 8 lines (RingPixelStride): the depthwise step reads one channel
// vector of each pixel of a column block at a time, and with pixels 512 B
// apart its 3 x 34 lines all map to 8 of L1's 64 sets (1 KB apart: 4 sets),
// where they evict each other. MobileViT-s's 64->256->64 block (1 KB
// pixels), one thread: the depthwise step 25% -> 9% of the block, the block
// 4.7 -> 3.9 ms; xs's 32->128->48 stride 2 (512 B): 3.5 -> 3.2 ms; blocks
// with other widths level.
//
// Threads split the output rows (all images' rows in one range) into
// contiguous pieces; each recomputes the k - s expanded rows at its start.
// The scratch (ring + depthwise row: 50 + 16 KB for MobileViT-xxs's first
// block) is per thread and stays in L1/L2.
//
// Where the time goes (perf, that block, one thread): the two SiLUs 44%
// (apply_epilogue's FastExp + divide, the same code the oneDNN kernels run
// after their primitives), the expand and project GEMMs 16% each (~70% of
// the FMA peak), the depthwise conv 11%. The three convs' own work is ~1.7x
// faster than on oneDNN (about 0.7 vs 1.2 ms); the SiLUs cost the same either way.
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
#ifndef LITEVIT_HWY_INVERTED_RESIDUAL_ONCE_
#define LITEVIT_HWY_INVERTED_RESIDUAL_ONCE_
namespace litevit::simd {

// Sizes of one inverted_residual node; x is [batch, height, width, in_ch].
struct InvertedResidualShape {
  int64_t batch, height, width, in_ch, mid, mid_pad, out_ch;
  int64_t kernel, stride, padding, out_height, out_width;
  graph::Activation expand_act, depthwise_act;
  graph::Epilogue epilogue;
};

// The weights as the kernel reads them, packed at creation for a panel width
// P of the target (InvertedResidualTarget::panel_width: kPanelVectors
// vectors), the last panel of each GEMM narrower when P does not divide the padded width:
struct InvertedResidualWeights {
  const float* expand;           // panels [Cin][P] (pack_panels): the one at mid channel c.. starts at c * Cin
  const float* expand_bias;      // [Cm_pad], zero past Cm
  const float* depthwise;        // [k * k][Cm_pad]: tap (ky, kx) at row ky * k + kx, zero past Cm
  const float* depthwise_bias;   // [Cm_pad]
  const float* project;          // panels [Cm][P] of Cout_pad = Cout rounded up to a vector, zero past Cout
  const float* project_bias;     // [Cout_pad], zero past Cout
};

// Output rows [row_begin, row_end) of the batch's rows (row = n * Ho + i).
using InvertedResidualRowsFn = void (*)(const InvertedResidualShape& shape, const InvertedResidualWeights& weights,
                                        const float* x, const float* residual, float* y, int64_t row_begin,
                                        int64_t row_end);

// What the chosen target packs for and runs.
struct InvertedResidualTarget {
  int64_t panel_width, lanes;
  InvertedResidualRowsFn rows;
};

struct InvertedResidualScratch;   // thread_scratch's owner tag: the ring of expanded rows, a depthwise row

constexpr int kIrBlockRows = 6;           // GEMM rows (pixels) per microkernel block: 12 accumulators
constexpr int kIrDepthwisePixels = 4;     // output pixels per depthwise step (independent FMA chains)
constexpr int64_t kIrDepthwiseColumns = 32;   // output columns per depthwise block: its ring columns stay in L1

// Floats from one ring pixel to the next: mid_pad, or one cache line (16
// floats) more when mid_pad is a multiple of 8 lines (see the file comment).
inline size_t RingPixelStride(size_t mid_pad) { return mid_pad % (8 * 16) == 0 ? mid_pad + 16 : mid_pad; }

}  // namespace litevit::simd
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/inverted_residual.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// out[m, n] = a[m, depth] W + bias, W packed in panels [depth][kPanelVectors
// vectors] (pack_panels: the last one narrower when n rounded up to a vector
// leaves a remainder; zero past n), bias padded likewise; a rows a_stride
// apart, out rows out_stride apart. Panels outer: a (one image row, 8-16 KB)
// stays in L1 while each panel is read m / R times. The lambdas are forced
// inline: outlined, they kept the accumulators on the stack between the
// bias, the multiply-adds and the stores (MobileViT-xxs's first block 1.2x
// slower).
template <class D>
HWY_INLINE void RowGemm(D d, const float* a, size_t a_stride, size_t m, size_t depth, const float* packed,
                        const float* bias, size_t n, float* out, size_t out_stride) {
  const size_t width = kPanelVectors * hn::Lanes(d);
  for (size_t col = 0; col < n; col += width) {
    const float* panel = packed + col * depth;
    const size_t cols = std::min(width, n - col);
    WithPanelVectors(d, cols, [&]<int kN>() __attribute__((always_inline)) {
      size_t row = 0;
      while (row < m) {
        const size_t rows = std::min<size_t>(kIrBlockRows, m - row);
        WithBlockRows(rows, [&]<int R>() __attribute__((always_inline)) {
          PanelBlockOf<R, kN>(d, a + row * a_stride, a_stride, panel, depth, bias + col,
                              out + row * out_stride + col, out_stride, cols);
        });
        row += rows;
      }
    });
  }
}

// The depthwise conv of one output row, 3x3 with stride S: out[j, :] =
// bias + sum_{ky, kx} w[ky, kx, :] rows[ky][j S + kx, :] for j < wo (rows
// already padded: pixel 0 is input column -pad; pixels pixel_stride floats
// apart; out pixels mid_pad apart). Per channel vector the 9
// weights stay in registers; P output pixels are computed at once, and each
// loaded input vector feeds every one of the P pixels whose window covers
// it (for S = 1: 6 loads per row of taps instead of 12).
template <int S, class D>
HWY_INLINE void Depthwise3x3Row(D d, const float* const* rows, size_t pixel_stride, const float* HWY_RESTRICT w,
                                const float* HWY_RESTRICT bias, size_t mid_pad, size_t wo, float* HWY_RESTRICT out) {
  using V = hn::VFromD<D>;
  constexpr int K = 3, P = kIrDepthwisePixels, kSpan = (P - 1) * S + K;   // input pixels under P outputs
  const size_t lanes = hn::Lanes(d);
  for (size_t j0 = 0; j0 < wo; j0 += kIrDepthwiseColumns) {
    const size_t j1 = std::min(wo, j0 + kIrDepthwiseColumns);
    for (size_t ch = 0; ch < mid_pad; ch += lanes) {
      V wv[K * K];
      for (int t = 0; t < K * K; ++t) wv[t] = hn::Load(d, w + t * mid_pad + ch);
      const V b = hn::Load(d, bias + ch);
      size_t j = j0;
      for (; j + P <= j1; j += P) {
        V acc[P];
        for (int p = 0; p < P; ++p) acc[p] = b;
        for (int ky = 0; ky < K; ++ky) {
          const float* HWY_RESTRICT in = rows[ky] + j * S * pixel_stride + ch;
          for (int t = 0; t < kSpan; ++t) {
            const V v = hn::Load(d, in + t * pixel_stride);
            for (int p = 0; p < P; ++p) {
              const int kx = t - p * S;
              if (kx >= 0 && kx < K) acc[p] = hn::MulAdd(wv[ky * K + kx], v, acc[p]);
            }
          }
        }
        for (int p = 0; p < P; ++p) hn::Store(acc[p], d, out + (j + p) * mid_pad + ch);
      }
      for (; j < j1; ++j) {
        V acc = b;
        for (int ky = 0; ky < K; ++ky) {
          const float* HWY_RESTRICT in = rows[ky] + j * S * pixel_stride + ch;
          for (int kx = 0; kx < K; ++kx) acc = hn::MulAdd(wv[ky * K + kx], hn::Load(d, in + kx * pixel_stride), acc);
        }
        hn::Store(acc, d, out + j * mid_pad + ch);
      }
    }
  }
}

// Any kernel size and stride, one output pixel at a time (no zoo model uses
// one: MobileViT, EfficientViT and TinyViT have 3x3).
template <class D>
HWY_INLINE void DepthwiseRow(D d, const float* const* rows, size_t pixel_stride, const float* HWY_RESTRICT w,
                             const float* HWY_RESTRICT bias, size_t mid_pad, size_t wo, size_t k, size_t stride,
                             float* HWY_RESTRICT out) {
  const size_t lanes = hn::Lanes(d);
  for (size_t j = 0; j < wo; ++j) {
    for (size_t ch = 0; ch < mid_pad; ch += lanes) {
      auto acc = hn::Load(d, bias + ch);
      for (size_t ky = 0; ky < k; ++ky) {
        const float* HWY_RESTRICT in = rows[ky] + j * stride * pixel_stride + ch;
        for (size_t kx = 0; kx < k; ++kx) {
          acc = hn::MulAdd(hn::Load(d, w + (ky * k + kx) * mid_pad + ch), hn::Load(d, in + kx * pixel_stride), acc);
        }
      }
      hn::Store(acc, d, out + j * mid_pad + ch);
    }
  }
}

void InvertedResidualRows(const InvertedResidualShape& s, const InvertedResidualWeights& w, const float* x,
                          const float* residual, float* y, int64_t row_begin, int64_t row_end) {
  const hn::ScalableTag<float> d;
  const auto mid_pad = static_cast<size_t>(s.mid_pad), k = static_cast<size_t>(s.kernel);
  const auto width = static_cast<size_t>(s.width), out_width = static_cast<size_t>(s.out_width);
  const auto in_ch = static_cast<size_t>(s.in_ch), out_ch = static_cast<size_t>(s.out_ch);
  const size_t pixel_stride = RingPixelStride(mid_pad);
  const size_t ring_row = (width + 2 * static_cast<size_t>(s.padding)) * pixel_stride;
  float* ring = runtime::thread_scratch<InvertedResidualScratch>(k * ring_row + out_width * mid_pad);
  float* depthwise = ring + k * ring_row;
  std::fill(ring, ring + k * ring_row, 0.0f);   // the padding pixels stay zero

  runtime::hwy::RowRing slots(k);
  std::vector<const float*> rows(k);
  for (int64_t row = row_begin; row < row_end; ++row) {
    const int64_t n = row / s.out_height, i = row % s.out_height;
    slots.set_image(n);
    for (size_t ky = 0; ky < k; ++ky) {
      const int64_t r = i * s.stride - s.padding + static_cast<int64_t>(ky);
      const auto slot = slots.acquire(r);
      float* slot_data = ring + slot.index * ring_row;
      rows[ky] = slot_data;
      if (!slot.fill) continue;
      if (r < 0 || r >= s.height) {
        std::fill(slot_data, slot_data + ring_row, 0.0f);
        continue;
      }
      float* expanded = slot_data + static_cast<size_t>(s.padding) * pixel_stride;
      RowGemm(d, x + (n * s.height + r) * s.width * s.in_ch, in_ch, width, in_ch, w.expand, w.expand_bias, mid_pad,
              expanded, pixel_stride);
      // Over the extra line of each pixel too (never read): one call per row.
      runtime::hwy::apply_epilogue(s.expand_act, expanded, nullptr, static_cast<int64_t>(width * pixel_stride), 1);
    }
    if (k == 3 && s.stride == 1) {
      Depthwise3x3Row<1>(d, rows.data(), pixel_stride, w.depthwise, w.depthwise_bias, mid_pad, out_width, depthwise);
    } else if (k == 3 && s.stride == 2) {
      Depthwise3x3Row<2>(d, rows.data(), pixel_stride, w.depthwise, w.depthwise_bias, mid_pad, out_width, depthwise);
    } else {
      DepthwiseRow(d, rows.data(), pixel_stride, w.depthwise, w.depthwise_bias, mid_pad, out_width, k,
                   static_cast<size_t>(s.stride), depthwise);
    }
    runtime::hwy::apply_epilogue(s.depthwise_act, depthwise, nullptr, static_cast<int64_t>(out_width * mid_pad), 1);
    const int64_t out_offset = row * s.out_width * s.out_ch;
    RowGemm(d, depthwise, mid_pad, out_width, static_cast<size_t>(s.mid), w.project, w.project_bias, out_ch,
            y + out_offset, out_ch);
    runtime::hwy::apply_epilogue_at(s.epilogue, y, residual, out_offset, static_cast<int64_t>(out_width * out_ch));
  }
}

InvertedResidualTarget ChosenInvertedResidualTarget() {
  const hn::ScalableTag<float> d;
  return {static_cast<int64_t>(kPanelVectors * hn::Lanes(d)), static_cast<int64_t>(hn::Lanes(d)),
          &InvertedResidualRows};
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(ChosenInvertedResidualTarget);
InvertedResidualTarget chosen_target() { return HWY_DYNAMIC_DISPATCH(ChosenInvertedResidualTarget)(); }
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Measured in whole models (litevit profile, per node medians; EPYC Zen 3,
// AVX2, shared with other jobs; ms, fused vs oneDNN): with outputs of 128x128
// and 64x64 the fused kernel wins or ties (MobileViT's first blocks; mobilevit_s
// on 2 threads: 32->128->64 1.62-1.71 vs 2.45-2.55, the stride-2 one into 64x64
// 2.63-2.76 vs 2.71-3.54; kernel_bench mv2 vs mv2_unfused, one thread: xs
// 16->64->32 s1 3.62 vs 4.43, xs 32->128->48 s2 4.96 vs 7.42). Into 32x32 to
// 63x63 maps too, since ring pixels of 1 KB got their extra cache line
// (RingPixelStride): mobilevit_s's 64->256->96 from 64x64 into 32x32 1.31-1.52
// vs 1.47-1.64, TinyViT-5m's MBConvs (64->256->64 on 56x56) 4.38-4.63 vs
// 4.62-5.04 in all (whole-model A/B 0.985, 0.987). Into smaller maps it wins
// while the expanded tensor is narrow, up to 192 channels: mobilevit_xxs's
// 48->96->64 s2 on 32x32 0.16-0.18 vs 0.20-0.24 on 2 threads, 64->128->80 s2
// on 16x16 0.08-0.10 vs 0.10-0.14; EfficientViT-b0's 16->64->16 on 56x56 0.24
// vs 0.33. With wider ones on small maps oneDNN's GEMMs win or tie:
// mobilevit_s's 96->384->128 into 16x16 0.89-1.06 vs 0.94-1.00 and
// 128->512->160 into 8x8 level; EfficientViT-b0's 64->256->64 on 14x14 and
// 128->512->128 on 7x7 (whole model 1.043 with them fused).
bool fused_inverted_residual_pays(const graph::Graph& graph, const graph::Node& node) {
  const graph::Shape& y = graph.value(node.output).shape;
  const int64_t mid = graph.value(node.inputs[3]).shape[0];   // the depthwise conv's channels
  return y[1] * y[2] >= 32 * 32 || mid <= 192;
}

bool supports_inverted_residual(const graph::Graph& g, const graph::Node& node) {
  for (size_t i = 1; i <= 6; ++i) {
    if (!is_bound_constant(g, node.inputs[i])) return false;
  }
  return graph::shape_numel(g.value(node.output).shape) > 0 && fused_inverted_residual_pays(g, node);
}

class InvertedResidualKernel final : public Kernel {
 public:
  InvertedResidualKernel(const graph::Graph& g, const graph::Node& node) : target_(simd::chosen_target()) {
    const auto& a = std::get<graph::InvertedResidualAttrs>(node.attrs);
    const graph::Shape& xs = g.value(node.inputs[0]).shape;
    const graph::Shape& ys = g.value(node.output).shape;
    // Channels padded to whole vectors; the GEMMs' last panel may be narrower (pack_panels).
    const int64_t width = target_.panel_width, lanes = target_.lanes, mid = g.value(node.inputs[3]).shape[0];
    shape_ = {.batch = xs[0], .height = xs[1], .width = xs[2], .in_ch = xs[3], .mid = mid,
              .mid_pad = round_up(mid, lanes), .out_ch = ys[3], .kernel = g.value(node.inputs[3]).shape[2],
              .stride = a.stride, .padding = a.padding, .out_height = ys[1], .out_width = ys[2],
              .expand_act = a.expand_act, .depthwise_act = a.depthwise_act, .epilogue = a.epilogue};
    const auto data = [&](size_t input) { return g.value(node.inputs[input]).data->data(); };
    const int64_t taps = shape_.kernel * shape_.kernel, out_pad = round_up(shape_.out_ch, lanes);
    expand_ = pack_panels(data(1), mid, shape_.in_ch, shape_.mid_pad, width);
    expand_bias_ = padded(data(2), mid, shape_.mid_pad);
    depthwise_ = ::hwy::AllocateAligned<float>(static_cast<size_t>(taps * shape_.mid_pad));
    for (int64_t t = 0; t < taps; ++t) {   // [Cm, 1, k, k] -> [k * k, Cm_pad]
      float* tap = depthwise_.get() + t * shape_.mid_pad;
      for (int64_t c = 0; c < mid; ++c) tap[c] = data(3)[c * taps + t];
      std::fill(tap + mid, tap + shape_.mid_pad, 0.0f);
    }
    depthwise_bias_ = padded(data(4), mid, shape_.mid_pad);
    project_ = pack_panels(data(5), shape_.out_ch, mid, out_pad, width);
    project_bias_ = padded(data(6), shape_.out_ch, out_pad);
    weights_ = {expand_.get(), expand_bias_.get(), depthwise_.get(), depthwise_bias_.get(), project_.get(),
                project_bias_.get()};
  }

  const char* name() const override { return "inverted_residual_hwy"; }
  bool packed_input(size_t index) const override { return index >= 1 && index <= 6; }

  void run(const KernelContext& c) const override {
    const float* residual = shape_.epilogue.residual ? c.inputs.back().data : nullptr;
    const int64_t rows = shape_.batch * shape_.out_height;
    // Work per output row in multiply-adds over 8 (a vector FMA on AVX2), as attention.cpp.
    const int64_t work = shape_.out_width * shape_.mid *
                         (shape_.stride * shape_.in_ch + shape_.kernel * shape_.kernel + shape_.out_ch) / 8;
    parallel_for(c.threads, rows, work, [&](int64_t begin, int64_t end) {
      target_.rows(shape_, weights_, c.in(0), residual, c.output, begin, end);
    });
  }

 private:
  simd::InvertedResidualTarget target_;   // the target the weights were packed for
  simd::InvertedResidualShape shape_;
  ::hwy::AlignedFreeUniquePtr<float[]> expand_, expand_bias_, depthwise_, depthwise_bias_, project_, project_bias_;
  simd::InvertedResidualWeights weights_;
};

std::unique_ptr<Kernel> create_inverted_residual(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<InvertedResidualKernel>(context.graph, node);
}

}  // namespace

const FastKernel kInvertedResidual{"inverted_residual_hwy", graph::OpKind::kInvertedResidual,
                                   supports_inverted_residual, create_inverted_residual};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
