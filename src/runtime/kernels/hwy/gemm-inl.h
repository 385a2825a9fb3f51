// The multiply-add step of a register-blocked GEMM, shared by the kernels
// that run small GEMMs of their own (inverted_residual.cpp, conv2d.cpp,
// linear.cpp, winograd_conv.cpp): R rows of a times one packed panel of 2
// vectors of columns (PanelBlock), or of 3-4 on AVX-512 (WidePanelBlock). Included once
// per SIMD target, hence the toggle guard instead of #pragma once.
#if defined(LITEVIT_HWY_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LITEVIT_HWY_GEMM_INL_H_
#undef LITEVIT_HWY_GEMM_INL_H_
#else
#define LITEVIT_HWY_GEMM_INL_H_
#endif

#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// acc0[r], acc1[r] += a[r * a_stride + c] * panel[c][0 .. 2 vectors) over
// c < depth, for the R rows of a. panel is [depth][2 vectors], aligned.
// Per step: 2 loads of the panel, R broadcasts of a, 2R FMAs (for R = 6,
// 12 accumulators + 3 of the 16 AVX2 registers).
template <int R, class D, class V = hn::VFromD<D>>
HWY_INLINE void PanelMulAdd(D d, const float* HWY_RESTRICT a, size_t a_stride, const float* HWY_RESTRICT panel,
                            size_t depth, V (&acc0)[R], V (&acc1)[R]) {
  const size_t lanes = hn::Lanes(d);
  const float* HWY_RESTRICT w = panel;
  for (size_t c = 0; c < depth; ++c, w += 2 * lanes) {
    const V w0 = hn::Load(d, w);
    const V w1 = hn::Load(d, w + lanes);
    for (int r = 0; r < R; ++r) {
      const V ar = hn::Set(d, a[r * a_stride + c]);
      acc0[r] = hn::MulAdd(ar, w0, acc0[r]);
      acc1[r] = hn::MulAdd(ar, w1, acc1[r]);
    }
  }
}

// acc[r] += a[r * a_stride + c] * panel[c][0 .. 1 vector) over c < depth,
// for a panel one vector wide: even and odd c go to separate accumulators
// (acc0, acc1), so there are 2R independent FMA chains as in PanelMulAdd.
template <int R, class D, class V = hn::VFromD<D>>
HWY_INLINE void NarrowPanelMulAdd(D d, const float* HWY_RESTRICT a, size_t a_stride,
                                  const float* HWY_RESTRICT panel, size_t depth, V (&acc0)[R], V (&acc1)[R]) {
  const size_t lanes = hn::Lanes(d);
  size_t c = 0;
  for (; c + 2 <= depth; c += 2) {
    const V w0 = hn::Load(d, panel + c * lanes);
    const V w1 = hn::Load(d, panel + (c + 1) * lanes);
    for (int r = 0; r < R; ++r) {
      acc0[r] = hn::MulAdd(hn::Set(d, a[r * a_stride + c]), w0, acc0[r]);
      acc1[r] = hn::MulAdd(hn::Set(d, a[r * a_stride + c + 1]), w1, acc1[r]);
    }
  }
  if (c < depth) {
    const V w0 = hn::Load(d, panel + c * lanes);
    for (int r = 0; r < R; ++r) acc0[r] = hn::MulAdd(hn::Set(d, a[r * a_stride + c]), w0, acc0[r]);
  }
}

// Stores the R x 2 accumulators as R rows of out (out_stride apart), each
// the first `cols` (1 .. 2 vectors) columns.
template <int R, class D, class V = hn::VFromD<D>>
HWY_INLINE void StoreRows(D d, const V (&acc0)[R], const V (&acc1)[R], float* HWY_RESTRICT out, size_t out_stride,
                          size_t cols) {
  const size_t lanes = hn::Lanes(d);
  for (int r = 0; r < R; ++r) {
    StoreUpTo(acc0[r], d, out + r * out_stride, cols);
    if (cols > lanes) StoreUpTo(acc1[r], d, out + r * out_stride + lanes, cols - lanes);
  }
}

// A block of R rows against one panel of pack_panels, in three steps
// (PanelBlock, or conv2d.cpp's ConvBlock with a step per tap row): the panel
// is 2 vectors wide, or 1 vector wide when its columns `cols` fit one vector
// (the last panel of an odd number of vectors). For a 2-vector panel acc1
// holds the second vector of columns; for a 1-vector panel it holds the
// odd-depth half of the sums (NarrowPanelMulAdd).

// acc0, acc1 = bias (pointing at the panel's first column, padded like the
// panel; null for none).
template <int R, class D, class V = hn::VFromD<D>>
HWY_INLINE void PanelStart(D d, const float* HWY_RESTRICT bias, size_t cols, V (&acc0)[R], V (&acc1)[R]) {
  const size_t lanes = hn::Lanes(d);
  const V bias0 = bias != nullptr ? hn::Load(d, bias) : hn::Zero(d);
  const V bias1 = bias != nullptr && cols > lanes ? hn::Load(d, bias + lanes) : hn::Zero(d);
  for (int r = 0; r < R; ++r) {
    acc0[r] = bias0;
    acc1[r] = bias1;
  }
}

// acc += a[R, depth] panel.
template <int R, class D, class V = hn::VFromD<D>>
HWY_INLINE void PanelAccumulate(D d, const float* HWY_RESTRICT a, size_t a_stride, const float* HWY_RESTRICT panel,
                                size_t depth, size_t cols, V (&acc0)[R], V (&acc1)[R]) {
  if (cols <= hn::Lanes(d)) {
    NarrowPanelMulAdd<R>(d, a, a_stride, panel, depth, acc0, acc1);
  } else {
    PanelMulAdd<R>(d, a, a_stride, panel, depth, acc0, acc1);
  }
}

// The R rows' first `cols` columns into out, rows out_stride apart.
template <int R, class D, class V = hn::VFromD<D>>
HWY_INLINE void PanelFinish(D d, const V (&acc0)[R], const V (&acc1)[R], float* HWY_RESTRICT out, size_t out_stride,
                            size_t cols) {
  if (cols <= hn::Lanes(d)) {
    for (int r = 0; r < R; ++r) StoreUpTo(hn::Add(acc0[r], acc1[r]), d, out + r * out_stride, cols);
  } else {
    StoreRows<R>(d, acc0, acc1, out, out_stride, cols);
  }
}

// out[R, cols] = bias + a[R, depth] panel for R rows of a (a_stride apart)
// and one panel (either width), rows of out out_stride apart.
template <int R, class D>
HWY_INLINE void PanelBlock(D d, const float* HWY_RESTRICT a, size_t a_stride, const float* HWY_RESTRICT panel,
                           size_t depth, const float* HWY_RESTRICT bias, float* HWY_RESTRICT out, size_t out_stride,
                           size_t cols) {
  hn::VFromD<D> acc0[R], acc1[R];
  PanelStart<R>(d, bias, cols, acc0, acc1);
  PanelAccumulate<R>(d, a, a_stride, panel, depth, cols, acc0, acc1);
  PanelFinish<R>(d, acc0, acc1, out, out_stride, cols);
}

// out[R, cols] = bias + a[R, depth] panel for a panel of kN vectors of
// columns ([depth][kN vectors], aligned; `cols` of them real, the rest
// zero-padded): R x kN accumulators, and per step kN loads and R broadcasts
// for kN R FMAs. For AVX-512's 32 registers (R = 6, kN = 4: 24 accumulators,
// 10 loads per 24 FMAs instead of PanelBlock's 8 per 12).
template <int R, int kN, class D>
HWY_INLINE void WidePanelBlock(D d, const float* HWY_RESTRICT a, size_t a_stride, const float* HWY_RESTRICT panel,
                               size_t depth, const float* HWY_RESTRICT bias, float* HWY_RESTRICT out,
                               size_t out_stride, size_t cols) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  V acc[R][kN];
  for (int i = 0; i < kN; ++i) {
    const V b = bias != nullptr ? hn::Load(d, bias + i * lanes) : hn::Zero(d);
    for (int r = 0; r < R; ++r) acc[r][i] = b;
  }
  const float* HWY_RESTRICT w = panel;
  for (size_t c = 0; c < depth; ++c, w += kN * lanes) {
    V wv[kN];
    for (int i = 0; i < kN; ++i) wv[i] = hn::Load(d, w + i * lanes);
    for (int r = 0; r < R; ++r) {
      const V ar = hn::Set(d, a[r * a_stride + c]);
      for (int i = 0; i < kN; ++i) acc[r][i] = hn::MulAdd(ar, wv[i], acc[r][i]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int i = 0; i < kN; ++i) {
      const size_t column = i * lanes;
      if (column < cols) StoreUpTo(acc[r][i], d, out + r * out_stride + column, cols - column);
    }
  }
}

// Vectors of columns per panel for the kernels that pack panels of any
// width (linear.cpp, inverted_residual.cpp): 4 with AVX-512's 32 registers
// (WidePanelBlock), 2 with AVX2's 16 (PanelBlock).
#if HWY_TARGET <= HWY_AVX3
constexpr size_t kPanelVectors = 4;
#else
constexpr size_t kPanelVectors = 2;
#endif

// body.template operator()<kN>() with kN the block form for a panel of
// pack_panels with kPanelVectors-vector panels whose `cols` columns are real
// (the last panel may be narrower): 4 or 3 for WidePanelBlock, 2 for
// PanelBlock (a 2- or 1-vector panel). Chosen once per panel, outside the
// loop over row blocks, so each block's code holds one form.
template <class D, class Body>
HWY_INLINE void WithPanelVectors(D d, size_t cols, const Body& body) {
  if constexpr (kPanelVectors == 4) {
    const size_t lanes = hn::Lanes(d), vectors = (cols + lanes - 1) / lanes;
    if (vectors == 4) return body.template operator()<4>();
    if (vectors == 3) return body.template operator()<3>();
  }
  body.template operator()<2>();
}

// PanelBlock (kN = 2) or WidePanelBlock<R, kN>, as WithPanelVectors chose.
template <int R, int kN, class D>
HWY_INLINE void PanelBlockOf(D d, const float* HWY_RESTRICT a, size_t a_stride, const float* HWY_RESTRICT panel,
                             size_t depth, const float* HWY_RESTRICT bias, float* HWY_RESTRICT out,
                             size_t out_stride, size_t cols) {
  if constexpr (kN <= 2) {
    PanelBlock<R>(d, a, a_stride, panel, depth, bias, out, out_stride, cols);
  } else {
    WidePanelBlock<R, kN>(d, a, a_stride, panel, depth, bias, out, out_stride, cols);
  }
}

// block.template operator()<R>() with R = rows (1 .. 6) as a compile-time
// constant: the microkernel instance for a block of that many rows.
template <class Block>
HWY_INLINE void WithBlockRows(size_t rows, const Block& block) {
  switch (rows) {
    case 6: block.template operator()<6>(); break;
    case 5: block.template operator()<5>(); break;
    case 4: block.template operator()<4>(); break;
    case 3: block.template operator()<3>(); break;
    case 2: block.template operator()<2>(); break;
    case 1: block.template operator()<1>(); break;
    default: break;
  }
}

// Rows per block at most: 6 x 2 accumulators + 3 of the 16 AVX2 registers.
constexpr size_t kMaxBlockRows = 6;

// [0, count) as blocks of 1 .. kMaxBlockRows rows, split evenly (33 rows:
// 6+6+6+5+5+5, not 6+6+6+6+6+3): block.template operator()<R>(first) per
// block, R its row count as a compile-time constant.
template <class Block>
HWY_INLINE void ForEvenBlocks(size_t count, const Block& block) {
  const size_t blocks = (count + kMaxBlockRows - 1) / kMaxBlockRows;
  size_t first = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t rows = count / blocks + (b < count % blocks ? 1 : 0);
    WithBlockRows(rows, [&]<int R>() { block.template operator()<R>(first); });
    first += rows;
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // LITEVIT_HWY_GEMM_INL_H_
