// Fused attention: out = softmax(scale q k^T [+ bias]) v per batch (attention.h).
//
// Work is split into tasks of (batch index, tile of query rows). A thread
// packs k^T and v of the current batch once into thread-local scratch, in
// zero-padded panels of 2 vectors of columns (PackKeys, transposing in 4 x 4
// blocks, and PackValues; k^T's last panel is 1 vector wide when that covers
// m, so m is padded to a whole vector, not two: Swin's 49 to 56, not 64),
// then walks its query rows in blocks of R = 6 (4 when v is 2 or an odd
// number >= 3 of vectors wide, BlockRows; fewer at the end of a tile):
//   1. S[R, m_pad] = scale q_rows k^T (Scores): per step over d, one
//      broadcast of q per row times two vectors of a k^T panel, R x 2
//      accumulators (12 for R = 6). The bias is added and the row max taken
//      on the accumulators before they are stored; padded columns are stored
//      as -inf.
//   2. per row, one pass: p = exp(s - max) kept unnormalised, and the sum of p;
//   3. O[R, dv] = P v: broadcast p[r, j] times two vectors of v row j,
//      R x 2 accumulators again (three and 4 x 3 in the last panel when v is
//      an odd number of vectors wide), scaled by 1 / sum at the store.
// q, k, v and out are read and written through their graph::BatchedRows (AttentionLayout):
// each batch's matrix at its own offset, rows any stride apart (q, k, v rows
// of a qkv projection's output, out rows tokens-major), columns contiguous.
// S of one block is R x m floats (6 KB at m = 256), so it never leaves L1; k^T
// and v of one batch stay in L1/L2 across all its row blocks.
// On one Zen 3 core the two matmuls run at about 80% of the FMA peak (a
// broadcast from memory per two FMAs costs that much there, measured); the
// exp takes about 10 cycles per vector (a long dependency chain of 16
// operations), a third of the time at d = 16 (MobileViT-xxs) and a sixth at
// d = 64 (DeiT).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "runtime/kernels/hwy/attention.h"
#include "runtime/kernels/hwy/common.h"
#include "runtime/kernels/thread_scratch.h"

// Once, not per target (foreach_target.h includes this file again for each).
#ifndef LITEVIT_HWY_ATTENTION_CONSTANTS_
#define LITEVIT_HWY_ATTENTION_CONSTANTS_
namespace litevit::simd {
struct AttentionScratch;   // thread_scratch's owner tag: packed k^T and v, a block's scores and q rows
// Query rows per block at most: R x 2 accumulators plus two loaded vectors
// and a broadcast fit the 16 AVX2 registers for R <= 6 (R = 8 spills). R = 6
// loads each k^T / v vector for 6 rows instead of 4, less L1/L2 traffic per
// FMA (DeiT's k^T and v are 50 KB each, above L1). BlockRows picks 4 when v
// is 2 vectors wide (d = 16 on AVX2): measured on Zen 3, MobileViT-xxs's
// 16 x 256 x 256 x 16 takes 6% less time with R = 4 than 6; and when it is
// an odd number >= 3 (d = 20, 24, 36), for 4 x 3 accumulators in the weighted
// sum's last panel. Other shapes measure the same or better with 6 (N = 16:
// 10% better). With AVX-512's 32 registers BlockRows keeps 6 for every width:
// 4 rows there measured slower (1 thread, min of 10 alternated passes, Xeon
// family 6 model 207; 6 / 4 rows): 16x64x20 0.90, 16x256x24 0.90, 16x64x30
// 0.92, 16x256x36 0.93, 16x64x48 0.88.
constexpr int kAttentionBlockRows = 6;
constexpr int64_t kAttentionTileRows = 60;   // query rows per task at most: 10 blocks
}  // namespace litevit::simd
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/gemm-inl.h"
#include "runtime/kernels/hwy/math-inl.h"
#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

constexpr int kBlockRows = kAttentionBlockRows;

// Columns j.. (one panel of kVectors vectors of k^T, at kc) of
// s[r, :] = q[r, :] k^T (+ bias[r, :]) for R rows, and max[r] raised to
// their maximum. kLast: the panel holds the end of the row; its columns past
// m are stored as -inf, so they do not raise the max and their exp is 0.
template <int R, int kVectors, bool kLast, class D>
HWY_INLINE void ScorePanel(D d, const float* HWY_RESTRICT q, size_t depth, const float* HWY_RESTRICT kc, size_t j,
                           size_t m, size_t m_pad, const float* HWY_RESTRICT bias, float* HWY_RESTRICT s,
                           hn::VFromD<D>* HWY_RESTRICT max) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  V acc[R][kVectors];
  for (int r = 0; r < R; ++r) {
    for (int i = 0; i < kVectors; ++i) acc[r][i] = hn::Zero(d);
  }
  for (size_t c = 0; c < depth; ++c, kc += kVectors * lanes) {
    V k[kVectors];
    for (int i = 0; i < kVectors; ++i) k[i] = hn::Load(d, kc + i * lanes);
    for (int r = 0; r < R; ++r) {
      const V qr = hn::Set(d, q[r * depth + c]);
      for (int i = 0; i < kVectors; ++i) acc[r][i] = hn::MulAdd(qr, k[i], acc[r][i]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int i = 0; i < kVectors; ++i) {
      const size_t column = j + i * lanes;
      // Real columns in this vector: all but in the last panel, and at least
      // one there (m_pad is m rounded up to a whole vector).
      const size_t real = kLast ? std::min(lanes, m - column) : lanes;
      if (bias != nullptr) {
        const float* HWY_RESTRICT b = bias + r * m + column;
        acc[r][i] = hn::Add(acc[r][i], kLast ? LoadUpTo(d, b, real) : hn::LoadU(d, b));
      }
      if (kLast) acc[r][i] = hn::IfThenElse(hn::FirstN(d, real), acc[r][i], hn::Set(d, -HUGE_VALF));
      hn::Store(acc[r][i], d, s + r * m_pad + column);
    }
    V panel_max = acc[r][0];
    for (int i = 1; i < kVectors; ++i) panel_max = hn::Max(panel_max, acc[r][i]);
    max[r] = hn::Max(max[r], panel_max);
  }
}

// s[r, :] = q[r, :] k^T (+ bias[r, :]) for R rows (q already scaled) and all
// m_pad columns, padded columns -inf; row_max[r] = the max of row r. kt holds
// k^T in panels of 2 vectors of columns (the last may be 1 vector), each
// [depth, its width] contiguous (see PackKeys); bias rows are m floats apart
// (or bias is null). The bias and the max are applied to the accumulators
// before they are stored, so the row is not read again before the exp.
template <int R, class D>
HWY_INLINE void Scores(D d, const float* HWY_RESTRICT q, size_t depth, const float* HWY_RESTRICT kt, size_t m,
                       size_t m_pad, const float* HWY_RESTRICT bias, float* HWY_RESTRICT s,
                       float* HWY_RESTRICT row_max) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  V max[R];
  for (int r = 0; r < R; ++r) max[r] = hn::Set(d, -HUGE_VALF);
  size_t j = 0;
  for (; j + 2 * lanes <= m; j += 2 * lanes) {
    ScorePanel<R, 2, false>(d, q, depth, kt + j * depth, j, m, m_pad, bias, s, max);
  }
  if (m_pad - j == 2 * lanes) {
    ScorePanel<R, 2, true>(d, q, depth, kt + j * depth, j, m, m_pad, bias, s, max);
  } else if (m_pad - j == lanes) {
    ScorePanel<R, 1, true>(d, q, depth, kt + j * depth, j, m, m_pad, bias, s, max);
  }
  for (int r = 0; r < R; ++r) row_max[r] = hn::GetLane(hn::MaxOfLanes(d, max[r]));
}

// In place over one score row of m_pad stored columns: p = exp(s - row_max),
// unnormalised; returns 1 / sum p. One pass: the max is known from Scores.
template <class D>
HWY_INLINE float ExpRow(D d, float* HWY_RESTRICT s, size_t m_pad, float row_max) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  const V max = hn::Set(d, row_max);
  // One exp per step: FastExp's constants take most of the 16 AVX2 registers,
  // and two in flight spill the sum to the stack.
  V sum = hn::Zero(d);
  for (size_t j = 0; j < m_pad; j += lanes) {
    const V e = FastExpOfClamped<true>(d, hn::Sub(hn::Load(d, s + j), max));
    sum = hn::Add(sum, e);
    hn::Store(e, d, s + j);
  }
  // The exp without its zeroing step (FastExpOfClamped, 2 fewer operations
  // per vector): a padded column's -inf, or a score more than 87 below the
  // max, gives about 2^-126 (1.6e-38 on AVX-512, never a denormal) instead of
  // 0. Against the max's term of 1 that cannot move the sum, and WeightedSum
  // never reads the padded columns. (Measured, 1 thread, min of 16
  // alternated passes: DeiT's 3x197x64 level, MobileViT-xxs's 16x256x16 2%
  // faster.)
  return 1.0f / hn::GetLane(hn::SumOfLanes(d, sum));
}

// Columns c.. (one panel of kVectors vectors of v, at panel) of
// out[r, :] = inv_sum[r] * sum_j p[r, j] v[j, :] for R rows.
template <int R, int kVectors, class D>
HWY_INLINE void WeightedPanel(D d, const float* HWY_RESTRICT p, size_t m_pad, size_t m,
                              const float* HWY_RESTRICT panel, size_t dv, size_t c, const float* inv_sum,
                              float* HWY_RESTRICT out, size_t out_stride) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  V acc[R][kVectors];
  for (int r = 0; r < R; ++r) {
    for (int i = 0; i < kVectors; ++i) acc[r][i] = hn::Zero(d);
  }
  for (size_t j = 0; j < m; ++j) {
    V vj[kVectors];
    for (int i = 0; i < kVectors; ++i) vj[i] = hn::Load(d, panel + (j * kVectors + i) * lanes);
    for (int r = 0; r < R; ++r) {
      const V pr = hn::Set(d, p[r * m_pad + j]);
      for (int i = 0; i < kVectors; ++i) acc[r][i] = hn::MulAdd(pr, vj[i], acc[r][i]);
    }
  }
  for (int r = 0; r < R; ++r) {
    const V scale = hn::Set(d, inv_sum[r]);
    for (int i = 0; i < kVectors; ++i) {   // each vector has a real column: dv_pad is dv rounded up to one
      const size_t column = c + i * lanes;
      StoreUpTo(hn::Mul(acc[r][i], scale), d, out + r * out_stride + column, dv - column);
    }
  }
}

// Vectors in the panel of packed v that starts `vectors_left` vectors from
// its end: 2, and 3 for the last of an odd count (d = 17..24 and 33..40 on
// AVX2), in blocks of 4 rows: 4 broadcasts per 12 FMAs instead of a single
// vector that needs a broadcast per FMA. 1 only when v is 1 vector wide.
HWY_INLINE int64_t ValuePanelVectors(int64_t vectors_left) { return vectors_left == 3 ? 3 : std::min<int64_t>(2, vectors_left); }

// out[r, :] = inv_sum[r] * sum_j p[r, j] v[j, :] for R rows, out rows
// out_stride floats apart; v packed in panels of ValuePanelVectors (PackValues).
template <int R, class D>
HWY_INLINE void WeightedSum(D d, const float* HWY_RESTRICT p, size_t m_pad, size_t m, const float* HWY_RESTRICT v,
                            size_t dv_pad, size_t dv, const float* inv_sum, float* HWY_RESTRICT out,
                            size_t out_stride) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  size_t c = 0;
  for (; c < dv_pad; ) {
    const auto vectors = static_cast<size_t>(ValuePanelVectors(static_cast<int64_t>((dv_pad - c) / lanes)));
    if (vectors == 1) break;
    if (vectors == 3) {
      WeightedPanel<R, 3>(d, p, m_pad, m, v + c * m, dv, c, inv_sum, out, out_stride);
    } else {
      WeightedPanel<R, 2>(d, p, m_pad, m, v + c * m, dv, c, inv_sum, out, out_stride);
    }
    c += vectors * lanes;
  }
  if (c < dv_pad) {
    // v is one vector wide (dv <= 8 on AVX2, <= 16 on AVX-512): the GEMM
    // step for a 1-vector panel (gemm-inl.h), R x 2 FMA chains over even and odd j.
    V acc0[R], acc1[R];
    for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = hn::Zero(d);
    NarrowPanelMulAdd<R>(d, p, m_pad, v + c * m, m, acc0, acc1);
    for (int r = 0; r < R; ++r) {
      StoreUpTo(hn::Mul(hn::Add(acc0[r], acc1[r]), hn::Set(d, inv_sum[r])), d, out + r * out_stride + c, dv - c);
    }
  }
}

#if HWY_TARGET != HWY_SCALAR
// to[i * to_stride + r] = from[r * from_stride + i] for a 4 x 4 block, in
// 128-bit vectors (every target but scalar has them): 4 loads, 8 shuffles, 4
// stores instead of 16 scalar loads and stores.
HWY_INLINE void Transpose4x4(const float* HWY_RESTRICT from, int64_t from_stride, float* HWY_RESTRICT to,
                             int64_t to_stride) {
  const hn::FixedTag<float, 4> d4;
  const auto r0 = hn::LoadU(d4, from), r1 = hn::LoadU(d4, from + from_stride);
  const auto r2 = hn::LoadU(d4, from + 2 * from_stride), r3 = hn::LoadU(d4, from + 3 * from_stride);
  const auto low01 = hn::InterleaveLower(d4, r0, r1), low23 = hn::InterleaveLower(d4, r2, r3);   // columns 0, 1
  const auto high01 = hn::InterleaveUpper(d4, r0, r1), high23 = hn::InterleaveUpper(d4, r2, r3);  // columns 2, 3
  hn::StoreU(hn::ConcatLowerLower(d4, low23, low01), d4, to);
  hn::StoreU(hn::ConcatUpperUpper(d4, low23, low01), d4, to + to_stride);
  hn::StoreU(hn::ConcatLowerLower(d4, high23, high01), d4, to + 2 * to_stride);
  hn::StoreU(hn::ConcatUpperUpper(d4, high23, high01), d4, to + 3 * to_stride);
}
#endif

// k [m, depth] to k^T in panels of `width` columns (the last may be
// narrower, down to m_pad's last vector): the panel of columns j.. is
// [depth, its width] at kt + j * depth, columns past m zero. Scores then
// reads one contiguous stream per panel rather than depth rows m_pad floats
// apart (DeiT: 64 lines 832 bytes apart per panel, from L2). In 4 x 4 blocks
// where the columns and depth allow: scalar, packing took 1/8 of the time
// at Swin's 49 x 32 and 1/4 at MobileViT's N = 16.
HWY_INLINE void PackKeys(const float* HWY_RESTRICT k, int64_t k_stride, int64_t m, int64_t m_pad, int64_t depth,
                         int64_t width, float* HWY_RESTRICT kt) {
  for (int64_t j0 = 0; j0 < m_pad; j0 += width) {
    float* panel = kt + j0 * depth;
    const int64_t panel_width = std::min(width, m_pad - j0);
    const int64_t columns = std::min(panel_width, m - j0);
    int64_t c = 0;
#if HWY_TARGET != HWY_SCALAR
    if (columns % 4 == 0) {
      for (; c + 4 <= depth; c += 4) {
        for (int64_t j = 0; j < columns; j += 4) {
          Transpose4x4(k + (j0 + j) * k_stride + c, k_stride, panel + c * panel_width + j, panel_width);
        }
      }
    }
#endif
    for (; c < depth; ++c) {
      for (int64_t j = 0; j < columns; ++j) panel[c * panel_width + j] = k[(j0 + j) * k_stride + c];
    }
    if (columns < panel_width) {
      for (c = 0; c < depth; ++c) std::fill(panel + c * panel_width + columns, panel + (c + 1) * panel_width, 0.0f);
    }
  }
}

// v [m, dv] in panels of ValuePanelVectors vectors of `lanes` columns: the
// panel of columns c.. is [m, its width] at v_packed + c * m, columns past dv
// zero. WeightedSum then reads each panel as one contiguous stream, and every
// load is a whole aligned vector.
HWY_INLINE void PackValues(const float* HWY_RESTRICT v, int64_t v_stride, int64_t m, int64_t dv, int64_t dv_pad,
                           int64_t lanes, float* HWY_RESTRICT v_packed) {
  for (int64_t c0 = 0, panel_width = 0; c0 < dv_pad; c0 += panel_width) {
    panel_width = ValuePanelVectors((dv_pad - c0) / lanes) * lanes;
    const int64_t columns = std::min(panel_width, dv - c0);
    float* panel = v_packed + c0 * m;
    for (int64_t j = 0; j < m; ++j) {
      std::copy(v + j * v_stride + c0, v + j * v_stride + c0 + columns, panel + j * panel_width);
      std::fill(panel + j * panel_width + columns, panel + (j + 1) * panel_width, 0.0f);
    }
  }
}

// R query rows (q and out point at the first, rows q_stride and out_stride
// apart) of one batch whose k^T and v are packed; bias points at the first
// row's bias (rows m apart) or is null. The rows of q are scaled into
// q_scaled (R x depth floats) first
// rather than the scores after: R x depth multiplies instead of R x m (exact
// either way for the usual power-of-two scales 1/4, 1/8).
template <int R, class D>
HWY_INLINE void AttendRows(D d, const float* HWY_RESTRICT q, size_t q_stride, const float* HWY_RESTRICT kt,
                           const float* HWY_RESTRICT v, float* HWY_RESTRICT q_scaled, float* HWY_RESTRICT s,
                           float* HWY_RESTRICT out, size_t out_stride, size_t m, size_t m_pad, size_t depth, size_t dv,
                           size_t dv_pad, float scale, const float* HWY_RESTRICT bias) {
  for (int r = 0; r < R; ++r) {
    for (size_t c = 0; c < depth; ++c) q_scaled[r * depth + c] = scale * q[r * q_stride + c];
  }
  float row_max[R], inv_sum[R];
  Scores<R>(d, q_scaled, depth, kt, m, m_pad, bias, s, row_max);
  for (int r = 0; r < R; ++r) inv_sum[r] = ExpRow(d, s + r * m_pad, m_pad, row_max[r]);
  WeightedSum<R>(d, s, m_pad, m, v, dv_pad, dv, inv_sum, out, out_stride);
}

// Query rows per block for values of dv columns (see kAttentionBlockRows).
int64_t BlockRows(int64_t dv) {
#if HWY_TARGET <= HWY_AVX3
  // 32 registers: 6 x 3 accumulators fit, and 6 rows measured faster for
  // every width (kAttentionBlockRows).
  (void)dv;
  return kBlockRows;
#else
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t vectors = (dv + lanes - 1) / lanes;
  return vectors == 2 || (vectors >= 3 && vectors % 2 == 1) ? 4 : kBlockRows;
#endif
}

// Tasks [task_begin, task_end) of the (batch, row tile) grid, tiles of
// `tile_rows` query rows; all on the calling thread.
void AttentionTasks(const float* q, const float* k, const float* v, float* out, const runtime::hwy::AttentionLayout& at,
                    int64_t n, int64_t m, int64_t depth, int64_t dv, float scale, const float* bias,
                    int64_t bias_divisor, int64_t bias_count, int64_t tile_rows, int64_t task_begin, int64_t task_end) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t m_pad = (m + lanes - 1) / lanes * lanes;
  const int64_t dv_pad = (dv + lanes - 1) / lanes * lanes;
  float* kt = runtime::thread_scratch<AttentionScratch>(
      static_cast<size_t>(depth * m_pad + m * dv_pad + kBlockRows * (m_pad + depth)));
  float* v_packed = kt + depth * m_pad;
  float* s = v_packed + m * dv_pad;
  float* q_scaled = s + kBlockRows * m_pad;

  const int64_t block_rows = BlockRows(dv);
  const int64_t tiles_per_batch = (n + tile_rows - 1) / tile_rows;
  int64_t packed_batch = -1;
  for (int64_t task = task_begin; task < task_end; ++task) {
    const int64_t b = task / tiles_per_batch;
    const int64_t row_begin = task % tiles_per_batch * tile_rows;
    const int64_t row_end = std::min(n, row_begin + tile_rows);
    if (b != packed_batch) {
      PackKeys(k + at.k.start(b), at.k.row_stride, m, m_pad, depth, 2 * lanes, kt);
      PackValues(v + at.v.start(b), at.v.row_stride, m, dv, dv_pad, lanes, v_packed);
      packed_batch = b;
    }
    const float* bias_b = bias == nullptr ? nullptr : bias + (b / bias_divisor) % bias_count * n * m;
    const auto attend = [&]<int R>(int64_t row) {
      AttendRows<R>(d, q + at.q.start(b) + row * at.q.row_stride, static_cast<size_t>(at.q.row_stride), kt, v_packed,
                    q_scaled, s, out + at.out.start(b) + row * at.out.row_stride,
                    static_cast<size_t>(at.out.row_stride), static_cast<size_t>(m), static_cast<size_t>(m_pad),
                    static_cast<size_t>(depth), static_cast<size_t>(dv), static_cast<size_t>(dv_pad), scale,
                    bias_b == nullptr ? nullptr : bias_b + row * m);
    };
    int64_t row = row_begin;
    if (block_rows == 4) {
      for (; row + 4 <= row_end; row += 4) attend.template operator()<4>(row);
    } else {
      for (; row + kBlockRows <= row_end; row += kBlockRows) attend.template operator()<kBlockRows>(row);
    }
    switch (row_end - row) {
      case 5: attend.template operator()<5>(row); break;
      case 4: attend.template operator()<4>(row); break;
      case 3: attend.template operator()<3>(row); break;
      case 2: attend.template operator()<2>(row); break;
      case 1: attend.template operator()<1>(row); break;
      default: break;
    }
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(AttentionTasks);
HWY_EXPORT(BlockRows);
// Dispatch from here: inside litevit::runtime::hwy, HWY_DYNAMIC_DISPATCH's
// `hwy::` would name that namespace (common.h).
void attention_tasks(const float* q, const float* k, const float* v, float* out,
                     const runtime::hwy::AttentionLayout& layout, int64_t n, int64_t m, int64_t d, int64_t dv,
                     float scale, const runtime::hwy::AttentionBias& bias, int64_t tile_rows, int64_t task_begin,
                     int64_t task_end) {
  HWY_DYNAMIC_DISPATCH(AttentionTasks)(q, k, v, out, layout, n, m, d, dv, scale, bias.data, bias.batch_divisor,
                                       bias.batch_count, tile_rows, task_begin, task_end);
}
int64_t block_rows(int64_t dv) { return HWY_DYNAMIC_DISPATCH(BlockRows)(dv); }
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {

void attention(const float* q, const float* k, const float* v, float* out, int64_t batch, int64_t n,
               int64_t m, int64_t d, int64_t dv, float scale, int threads, const AttentionBias& bias,
               const AttentionLayout* layout) {
  if (batch <= 0 || n <= 0 || dv <= 0) return;
  const AttentionLayout at = layout != nullptr ? *layout
                                               : AttentionLayout{.q = graph::BatchedRows::contiguous(n, d),
                                                                 .k = graph::BatchedRows::contiguous(m, d),
                                                                 .v = graph::BatchedRows::contiguous(m, dv),
                                                                 .out = graph::BatchedRows::contiguous(n, dv)};
  if (m <= 0) {   // no keys: an empty weighted sum
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t r = 0; r < n; ++r) std::fill_n(out + at.out.start(b) + r * at.out.row_stride, dv, 0.0f);
    }
    return;
  }
  // Row tiles of at most kTileRows rows, smaller when that leaves threads
  // idle, cut evenly in whole blocks (197 rows: 54/54/54/35, not 60/60/60/17)
  // so the contiguous pieces of parallel_for get about equal work. A thread
  // packs k and v once per batch in its piece, whatever the tile size.
  const int64_t block = simd::block_rows(dv);
  int64_t tiles = (n + simd::kAttentionTileRows - 1) / simd::kAttentionTileRows;
  if (batch * tiles < threads) tiles = std::min((n + block - 1) / block, (threads + batch - 1) / batch);
  const int64_t tile_rows = ((n + tiles - 1) / tiles + block - 1) / block * block;
  tiles = (n + tile_rows - 1) / tile_rows;
  // Work per task in multiply-adds over 8: a vector FMA does 8 on AVX2, at
  // about the cost of moving one element through memory (kMinParallelWork).
  const int64_t work = tile_rows * m * (d + dv) / 8;
  parallel_for(threads, batch * tiles, work, [&](int64_t begin, int64_t end) {
    simd::attention_tasks(q, k, v, out, at, n, m, d, dv, scale, bias, tile_rows, begin, end);
  });
}

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
