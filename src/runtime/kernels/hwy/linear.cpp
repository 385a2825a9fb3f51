// linear_hwy: y = act(x W^T + b) + residual over the last axis, on our own
// register-blocked GEMM (gemm-inl.h), for small linears (MobileViT's
// transformers, Swin's and LeViT's narrow ones): there oneDNN's gemm:jit
// (AVX2) re-packs the weight on every call and has a fixed cost per call
// (4 us on 1 thread, 10 us on 2, timed on 8 x 8 linears; this kernel: 0.1
// us). With at most 192 features out and 288 in it takes 10-35% less time
// on 2 threads (numbers in linear_pays).
//
// W [N, K] is packed once into panels of output columns (panels.h), each
// [K][P]: P = 4 vectors on AVX-512 (WidePanelBlock, 6 x 4 accumulators in
// its 32 registers: 10 loads per 24 FMAs), 2 elsewhere (PanelBlock, 8 per
// 12). N is padded to whole vectors and the last panel is narrower when
// that leaves a remainder (with 16-float vectors, MobileViT's 80 and 144
// features stay 80 and 144, not 96 and 160). 4-vector panels against 2,
// kernel_ab 1 thread, min of 5 alternated passes, Xeon family 6 model 106:
// 0.85-0.95 on the MobileViT shapes (1024x64x64 0.92, 1024x128x64 0.88,
// 256x160x80 0.90, 64x96x192 0.86), MobileViT-xxs 2 threads about 0.97.
// x is read in place: a block of R <= 6 rows is R streams of K contiguous
// floats (a_stride = K).
// The rows are cut into chunks of at most kLinearMaxChunkRows, about equal
// and as many as a multiple of the threads; threads take contiguous pieces
// of whole chunks. Per chunk, panels outer and row blocks inner: a panel
// (K x 2 vectors, 10 KB at K = 160 on AVX2) stays in L1 while the chunk's
// rows (L1/L2) go past it, and the epilogue runs over the chunk's output
// while it is still in L2.
#include <algorithm>
#include <cstdint>

#include <hwy/aligned_allocator.h>

#include "runtime/kernels/hwy/common.h"
#include "runtime/kernels/hwy/hwy_kernels.h"
#include "runtime/kernels/hwy/panels.h"

// Once, not per target (foreach_target.h includes this file again for each).
#ifndef LITEVIT_HWY_LINEAR_ONCE_
#define LITEVIT_HWY_LINEAR_ONCE_
namespace litevit::simd {

// x [rows, in], y [rows, out]; weights in panels [in][P] (pack_panels) of
// out_pad = out rounded up to a vector, the last narrower when P does not
// divide out_pad, zero past out; bias [out_pad].
struct LinearShape {
  int64_t rows, in, out;
  graph::Epilogue epilogue;
};

// Rows [row_begin, row_end) of y in chunks of at most chunk_rows, epilogue included.
using LinearRowsFn = void (*)(const LinearShape& shape, const float* weights, const float* bias, const float* x,
                              const float* residual, float* y, int64_t row_begin, int64_t row_end,
                              int64_t chunk_rows);

// What the chosen target packs for (panel width P, out padded to whole vectors of `lanes`) and runs.
struct LinearTarget {
  int64_t panel_width, lanes;
  LinearRowsFn rows;
};

constexpr int64_t kLinearMaxChunkRows = 48;   // rows per chunk at most: 8 blocks of 6 (gemm-inl.h)

}  // namespace litevit::simd
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/linear.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

void LinearRows(const LinearShape& s, const float* weights, const float* bias, const float* x,
                const float* residual, float* y, int64_t row_begin, int64_t row_end, int64_t chunk_rows) {
  const hn::ScalableTag<float> d;
  const size_t width = kPanelVectors * hn::Lanes(d);
  const auto in = static_cast<size_t>(s.in), out = static_cast<size_t>(s.out);
  for (int64_t chunk = row_begin; chunk < row_end; chunk += chunk_rows) {
    const auto rows = static_cast<size_t>(std::min(chunk_rows, row_end - chunk));
    for (size_t col = 0; col < out; col += width) {
      const float* panel = weights + col * in;
      const size_t cols = std::min(width, out - col);
      // Blocks of 1-6 rows, split evenly (33 rows: 6+6+6+5+5+5, not 6+6+6+6+6+3).
      WithPanelVectors(d, cols, [&]<int kN>() __attribute__((always_inline)) {
        ForEvenBlocks(rows, [&]<int R>(size_t first) __attribute__((always_inline)) {
          const size_t r = static_cast<size_t>(chunk) + first;
          PanelBlockOf<R, kN>(d, x + r * in, in, panel, in, bias + col, y + r * out + col, out, cols);
        });
      });
    }
    runtime::hwy::apply_epilogue_at(s.epilogue, y, residual, chunk * s.out, static_cast<int64_t>(rows) * s.out);
  }
}

LinearTarget ChosenLinearTarget() {
  const hn::ScalableTag<float> d;
  return {static_cast<int64_t>(kPanelVectors * hn::Lanes(d)), static_cast<int64_t>(hn::Lanes(d)), &LinearRows};
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(ChosenLinearTarget);
LinearTarget chosen_target() { return HWY_DYNAMIC_DISPATCH(ChosenLinearTarget)(); }
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Where this kernel beats oneDNN's gemm:jit: at most 192 output and 288
// input features. kernel_bench linear/* vs linear_onednn/* (2 threads, best
// of 2 passes, EPYC Zen 3 AVX2, us; rows x in x out):
//   won:  64x96x96 13 vs 20, 256x80x80 33 vs 42, 256x160x80 60 vs 76,
//         64x192x96 23 vs 28, 1024x64x64 77 vs 96, 1024x192x96 294 vs 328,
//         64x144x144 26 vs 33, 1024x144x144 342 vs 388, 64x288x144 48 vs 55;
//   level: 1024x64x192 228 vs 237, 256x80x160 69 vs 70, 256x192x192 167 vs 160;
//   lost: wider or deeper weights, which no longer stay in L1/L2 while every
//         chunk of rows goes past them: 256x120x240 149 vs 134, 64x240x720
//         226 vs 212, DeiT-tiny's 197x192x576 420 vs 375, 197x768x192 465 vs 437.
// (Those times include plan.run's single-threaded copy of the output. Timing
// the node alone, with the weights warm from the previous iteration, this
// kernel is level or faster on nearly every zoo shape, DeiT's included:
// 197x192x576 252 vs 259, 197x768x192 325 vs 346. In the model, where each
// linear's weights come cold from L3 or memory and this kernel reads them
// once per chunk of rows, it is not: deit_tiny with every linear here, B/A
// 1.050; MobileViT-xs level at 1 and 2 threads.)
bool linear_pays(int64_t in, int64_t out) { return out <= 192 && in <= 288; }

bool supports_linear(const graph::Graph& g, const graph::Node& node) {
  if (!std::holds_alternative<graph::LinearAttrs>(node.attrs) || !weight_and_bias_bound(g, node)) return false;
  if (g.value(node.inputs[1]).shape.size() != 2) return false;
  const graph::Shape& w = g.value(node.inputs[1]).shape;   // [out, in]
  const int64_t rows = graph::shape_numel(g.value(node.output).shape) / std::max<int64_t>(1, w[0]);
  return w[0] > 0 && w[1] > 0 && rows > 0 && linear_pays(w[1], w[0]);
}

class LinearKernel final : public Kernel {
 public:
  LinearKernel(const graph::Graph& g, const graph::Node& node) : target_(simd::chosen_target()) {
    const graph::Shape& ws = g.value(node.inputs[1]).shape;   // [out, in]
    shape_ = {.rows = graph::shape_numel(g.value(node.output).shape) / ws[0], .in = ws[1], .out = ws[0],
              .epilogue = std::get<graph::LinearAttrs>(node.attrs).epilogue};
    // Outputs padded to whole vectors; the last panel may be narrower (pack_panels).
    const int64_t width = target_.panel_width, out_pad = round_up(shape_.out, target_.lanes);
    weights_ = pack_panels(g.value(node.inputs[1]).data->data(), shape_.out, shape_.in, out_pad, width);
    bias_ = padded(graph::has_bias(node) ? g.value(node.inputs[2]).data->data() : nullptr, shape_.out, out_pad);
  }

  const char* name() const override { return "linear_hwy"; }
  bool packed_input(size_t index) const override { return index == 1 || index == 2; }

  void run(const KernelContext& c) const override {
    const float* residual = shape_.epilogue.residual ? c.inputs.back().data : nullptr;
    // Chunks of about equal size, as many as a multiple of the threads, so
    // that parallel_for's contiguous pieces get about the same rows (197
    // rows on 2 threads: 6 chunks of 33 or 32, not 5 of 40 split 2 + 3).
    int64_t chunks = (shape_.rows + simd::kLinearMaxChunkRows - 1) / simd::kLinearMaxChunkRows;
    if (c.threads > 1) chunks = std::min(shape_.rows, round_up(chunks, c.threads));
    const int64_t chunk_rows = (shape_.rows + chunks - 1) / chunks;
    chunks = (shape_.rows + chunk_rows - 1) / chunk_rows;
    // Work per chunk in multiply-adds over 8 (a vector FMA on AVX2), as attention.cpp.
    const int64_t work = chunk_rows * shape_.in * shape_.out / 8;
    parallel_for(c.threads, chunks, work, [&](int64_t begin, int64_t end) {
      target_.rows(shape_, weights_.get(), bias_.get(), c.in(0), residual, c.output, begin * chunk_rows,
                   std::min(shape_.rows, end * chunk_rows), chunk_rows);
    });
  }

 private:
  simd::LinearTarget target_;   // the target the weights were packed for
  simd::LinearShape shape_;
  ::hwy::AlignedFreeUniquePtr<float[]> weights_, bias_;
};

std::unique_ptr<Kernel> create_linear(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<LinearKernel>(context.graph, node);
}

}  // namespace

const FastKernel kLinear{"linear_hwy", graph::OpKind::kLinear, supports_linear, create_linear};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
