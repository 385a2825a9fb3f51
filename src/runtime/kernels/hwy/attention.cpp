// Fused attention: out = softmax(scale q k^T [+ bias]) v per batch (attention.h).
//
// Query rows run along the vector lanes. A block of kV vectors of query rows
// (B = kV x lanes rows: 48 on AVX-512 with kV = 3, 16 on AVX2 with kV = 2)
// is done in three steps, with the scores kept transposed, S^T [m, B]:
//   1. S^T = k (scale q_block)^T (+ bias^T): per step over d, kV loads of a
//      row of the block's q^T (packed once per block) and, for a group of G
//      keys, one broadcast of k[j, c] straight from k's rows feeding kV FMAs;
//      G x kV accumulators. The running max per query row is a vector max
//      across groups; no horizontal reduction anywhere.
//   2. per chunk of kChunkKeys keys: p = exp(S^T - max) in place, summed per
//      lane; then the chunk's part of out^T[c, :] = sum_j v[j, c] p[j, :]
//      for groups of up to G value columns: kV loads of a row of p, one
//      broadcast of v[j, c] per column, G x kV accumulators (kept in a small
//      [dv, B] buffer between chunks).
//   3. out^T scaled by 1 / sum per lane and transposed into out's rows.
// q^T, out^T and a bias's rows move by TransposeBlock (transpose-inl.h, 4 x 4
// tiles; moved a float at a time they took 15% of MobileViT-xxs's 16x64x20).
// Loads per FMA: (kV + G) / (kV G), 11 / 24 for AVX-512's kV = 3, G = 8 (8 /
// 12 on AVX2). The rows-in-registers form it replaced (R query rows as
// broadcasts, keys and value columns along the lanes) needed 8 / 12 for the
// scores and, when v is one vector wide (MobileViT-xxs's d = 16 on
// AVX-512), 7 / 6 for the weighted sum; on a core that loads about one
// vector per cycle (Xeon family 6 model 106) that ran at half the FMA peak.
// Nothing is padded to whole vectors but the query rows of a block (d = 20
// costs 20 columns, not 32; m = 49 keys, 49). Measured against it (kernel_ab,
// 1 thread, min of 6 alternated passes; AVX-512, and AVX2 on the same
// core): MobileViT-xxs's 16x256x16 0.69 (0.94), 16x64x20 0.70 (0.84),
// 16x16x24 0.73 (0.75); -xs's 16x256x24 0.76 (0.91), 16x64x30 0.84 (0.91);
// -s's 16x256x36 0.80 (0.83), 16x64x48 0.98 (0.92); DeiT's 3x197x64 0.86
// (0.92); with a bias, Swin's 192x49x32 1.03 (0.85), BEiT's 12x197x64 1.00
// (0.98). Whole models, 2 threads (ab.py, 16 rounds): MobileViT-xxs 0.955,
// -xs 0.942, -s 0.967.
// q, k, v and out are read and written through their graph::BatchedRows
// (AttentionLayout): each batch's matrix at its own offset, rows any stride
// apart (q, k, v rows of a qkv projection's output, out rows tokens-major),
// columns contiguous.
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
struct AttentionScratch;   // thread_scratch's owner tag: a block's q^T, S^T and out^T
constexpr int kAttentionMaxBlockVectors = 3;   // vectors of query rows per block on any target
// Keys per chunk of step 2: the chunk's rows of S^T (128 x 48 floats, 24 KB
// on AVX-512) stay in L1 while every group of value columns reads them; all
// 256 of MobileViT's keys at once are 48 KB, past L1. Measured against one
// chunk of every key (1 thread, min of 6 alternated passes, 3 runs):
// 16x256x24 0.92-0.96; 16x256x16, 16x256x36 and DeiT's 3x197x64 level
// (0.95-1.05).
constexpr size_t kChunkKeys = 128;
// Vectors of query rows per task at most (4 blocks of 3 on AVX-512): tasks
// small enough to balance 2 threads over DeiT's 3 heads.
constexpr int64_t kTileVectors = 12;
}  // namespace litevit::simd
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/math-inl.h"
#include "runtime/kernels/hwy/transpose-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// Vectors of query rows per block at most, and keys (or value columns) per
// group for a block of kV vectors: G x kV accumulators, kV loaded vectors
// and a broadcast fit the registers (32 on AVX-512, 16 otherwise). On
// AVX-512, 3 x 8 measured level with 3 x 9 (28 registers rather than 31)
// and faster than blocks of at most 2 vectors (2 x 14: about 10% slower on
// MobileViT-xxs's 16x256x16 and DeiT's 3x197x64); on AVX2, 2 x 6 level
// with 3 x 4.
#if HWY_TARGET <= HWY_AVX3
constexpr int kMaxBlockVectors = 3;
template <int kV>
constexpr int GroupSize() {
  return kV == 3 ? 8 : kV == 2 ? 12 : 16;
}
#else
constexpr int kMaxBlockVectors = 2;
template <int kV>
constexpr int GroupSize() {
  return kV == 3 ? 4 : kV == 2 ? 6 : 8;
}
#endif
static_assert(kMaxBlockVectors <= kAttentionMaxBlockVectors);

// S^T rows of a group of G keys (k points at the first key's row, rows
// k_stride apart): st[g, :] = sum_c k[g, c] qt[c, :], max raised per lane.
template <int G, int kV, class D>
HWY_INLINE void ScoreGroup(D d, const float* HWY_RESTRICT qt, size_t depth, const float* HWY_RESTRICT k,
                           size_t k_stride, bool biased, float* HWY_RESTRICT st, hn::VFromD<D>* HWY_RESTRICT max) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  constexpr size_t kB = kV;   // vectors per S^T row
  V acc[G][kV];
  for (int g = 0; g < G; ++g) {
    for (int v = 0; v < kV; ++v) acc[g][v] = biased ? hn::Load(d, st + (g * kB + v) * lanes) : hn::Zero(d);
  }
  for (size_t c = 0; c < depth; ++c) {
    V qv[kV];
    for (int v = 0; v < kV; ++v) qv[v] = hn::Load(d, qt + (c * kB + v) * lanes);
    for (int g = 0; g < G; ++g) {
      const V kg = hn::Set(d, k[g * k_stride + c]);
      for (int v = 0; v < kV; ++v) acc[g][v] = hn::MulAdd(kg, qv[v], acc[g][v]);
    }
  }
  for (int g = 0; g < G; ++g) {
    for (int v = 0; v < kV; ++v) {
      hn::Store(acc[g][v], d, st + (g * kB + v) * lanes);
      max[v] = hn::Max(max[v], acc[g][v]);
    }
  }
}

// The last `left` (< G) keys: one ScoreGroup of that many (a template per
// group size, so every accumulator stays in a register).
template <int G, int kV, class D>
HWY_INLINE void ScoreRest(D d, size_t left, const float* HWY_RESTRICT qt, size_t depth, const float* HWY_RESTRICT k,
                          size_t k_stride, bool biased, float* HWY_RESTRICT st, hn::VFromD<D>* HWY_RESTRICT max) {
  if constexpr (G > 0) {
    if (left == G) {
      ScoreGroup<G, kV>(d, qt, depth, k, k_stride, biased, st, max);
    } else {
      ScoreRest<G - 1, kV>(d, left, qt, depth, k, k_stride, biased, st, max);
    }
  }
}

// sums[c, :] += sum_j v[j, c] p[j, :] over the m keys of a chunk, for C value
// columns (v points at column 0 of the group in the chunk's first row, rows
// v_stride apart); sums is [C, kV vectors] in memory, overwritten for the
// first chunk, accumulated into for the others.
template <int C, int kV, class D>
HWY_INLINE void WeightGroup(D d, const float* HWY_RESTRICT p, size_t m, const float* HWY_RESTRICT v,
                            size_t v_stride, bool first, float* HWY_RESTRICT sums) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  V acc[C][kV];
  for (int c = 0; c < C; ++c) {
    for (int i = 0; i < kV; ++i) acc[c][i] = first ? hn::Zero(d) : hn::Load(d, sums + (c * kV + i) * lanes);
  }
  for (size_t j = 0; j < m; ++j) {
    V pj[kV];
    for (int i = 0; i < kV; ++i) pj[i] = hn::Load(d, p + (j * kV + i) * lanes);
    for (int c = 0; c < C; ++c) {
      const V vc = hn::Set(d, v[j * v_stride + c]);
      for (int i = 0; i < kV; ++i) acc[c][i] = hn::MulAdd(vc, pj[i], acc[c][i]);
    }
  }
  for (int c = 0; c < C; ++c) {
    for (int i = 0; i < kV; ++i) hn::Store(acc[c][i], d, sums + (c * kV + i) * lanes);
  }
}

// One WeightGroup of `columns` (<= C) columns.
template <int C, int kV, class D>
HWY_INLINE void WeightColumns(D d, size_t columns, const float* HWY_RESTRICT p, size_t m, const float* HWY_RESTRICT v,
                              size_t v_stride, bool first, float* HWY_RESTRICT sums) {
  if constexpr (C > 0) {
    if (columns == C) {
      WeightGroup<C, kV>(d, p, m, v, v_stride, first, sums);
    } else {
      WeightColumns<C - 1, kV>(d, columns, p, m, v, v_stride, first, sums);
    }
  }
}

// One block of `rows` (<= kV x lanes) query rows of one batch: q and out
// point at the block's first row (rows q_stride and out_stride apart), k and
// v at the batch's first (k_stride, v_stride), bias at the block's first row
// of the batch's bias (rows m apart) or null. qt, st, sums: scratch of
// depth, m and dv rows of kV vectors.
template <int kV, class D>
HWY_INLINE void AttendBlock(D d, const float* HWY_RESTRICT q, size_t q_stride, const float* HWY_RESTRICT k,
                            size_t k_stride, const float* HWY_RESTRICT v, size_t v_stride, float* HWY_RESTRICT out,
                            size_t out_stride, size_t rows, size_t m, size_t depth, size_t dv, float scale,
                            const float* HWY_RESTRICT bias, float* HWY_RESTRICT qt, float* HWY_RESTRICT st,
                            float* HWY_RESTRICT sums) {
  using V = hn::VFromD<D>;
  const size_t lanes = hn::Lanes(d);
  const size_t block = kV * lanes;
  constexpr int G = GroupSize<kV>();
  // q^T of the block, scaled (d x B multiplies rather than m x B on the
  // scores; exact either way for the usual power-of-two scales); rows past
  // `rows` zero, so their lanes compute harmless finite values.
  TransposeBlock(q, static_cast<int64_t>(q_stride), qt, static_cast<int64_t>(block), static_cast<int64_t>(depth),
                 static_cast<int64_t>(rows));
  for (size_t c = 0; c < depth; ++c) {
    float* row = qt + c * block;
    for (size_t i = rows; i < block; ++i) row[i] = 0.0f;
    for (int i = 0; i < kV; ++i) hn::Store(hn::Mul(hn::Load(d, row + i * lanes), hn::Set(d, scale)), d, row + i * lanes);
  }
  V max[kV];
  for (int i = 0; i < kV; ++i) max[i] = hn::Set(d, -HUGE_VALF);
  size_t j = 0;
  // A bias starts S^T: its rows of the block, transposed (lanes past `rows` zero).
  const bool biased = bias != nullptr;
  if (biased) {
    TransposeBlock(bias, static_cast<int64_t>(m), st, static_cast<int64_t>(block), static_cast<int64_t>(m),
                   static_cast<int64_t>(rows));
    for (size_t key = 0; rows < block && key < m; ++key) std::fill(st + key * block + rows, st + (key + 1) * block, 0.0f);
  }
  for (; j + G <= m; j += G) ScoreGroup<G, kV>(d, qt, depth, k + j * k_stride, k_stride, biased, st + j * block, max);
  if (j < m) ScoreRest<G - 1, kV>(d, m - j, qt, depth, k + j * k_stride, k_stride, biased, st + j * block, max);

  // Per chunk of keys: the exp in place, then the chunk's part of the
  // weighted sum for every group of value columns, while the chunk is in L1
  // (kChunkKeys). The exp without its zeroing step (FastExpOfClamped): a
  // score more than 87 below its row's max gives about 2^-126 instead of 0,
  // which cannot move a sum holding the max's term of 1.
  const size_t groups = (dv + G - 1) / G;
  V sum[kV];
  for (int i = 0; i < kV; ++i) sum[i] = hn::Zero(d);
  for (size_t j0 = 0; j0 < m; j0 += kChunkKeys) {
    const size_t j1 = std::min(m, j0 + kChunkKeys);
    for (j = j0; j < j1; ++j) {
      for (int i = 0; i < kV; ++i) {
        float* s = st + (j * kV + i) * lanes;
        const V e = FastExpOfClamped<true>(d, hn::Sub(hn::Load(d, s), max[i]));
        sum[i] = hn::Add(sum[i], e);
        hn::Store(e, d, s);
      }
    }
    for (size_t g = 0, c0 = 0; g < groups; ++g) {
      const size_t columns = dv / groups + (g < dv % groups ? 1 : 0);
      WeightColumns<G, kV>(d, columns, st + j0 * block, j1 - j0, v + j0 * v_stride + c0, v_stride, j0 == 0,
                           sums + c0 * block);
      c0 += columns;
    }
  }
  // Scaled by 1 / sum per lane (query row) and written transposed.
  V inv_sum[kV];
  for (int i = 0; i < kV; ++i) inv_sum[i] = hn::Div(hn::Set(d, 1.0f), sum[i]);
  for (size_t c = 0; c < dv; ++c) {
    for (int i = 0; i < kV; ++i) {
      float* x = sums + (c * kV + i) * lanes;
      hn::Store(hn::Mul(hn::Load(d, x), inv_sum[i]), d, x);
    }
  }
  TransposeBlock(sums, static_cast<int64_t>(block), out, static_cast<int64_t>(out_stride), static_cast<int64_t>(rows),
                 static_cast<int64_t>(dv));
}

// Tasks [task_begin, task_end) of the (batch, row tile) grid, tiles of
// `tile_rows` query rows (a multiple of the lanes); all on the calling thread.
void AttentionTasks(const float* q, const float* k, const float* v, float* out, const runtime::hwy::AttentionLayout& at,
                    int64_t n, int64_t m, int64_t depth, int64_t dv, float scale, const float* bias,
                    int64_t bias_divisor, int64_t bias_count, int64_t tile_rows, int64_t task_begin,
                    int64_t task_end) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t block = kMaxBlockVectors * lanes;
  float* qt = runtime::thread_scratch<AttentionScratch>(static_cast<size_t>(block * (depth + m + dv)));
  float* st = qt + block * depth;
  float* sums = st + block * m;
  const int64_t tiles_per_batch = (n + tile_rows - 1) / tile_rows;
  for (int64_t task = task_begin; task < task_end; ++task) {
    const int64_t b = task / tiles_per_batch;
    const int64_t row_begin = task % tiles_per_batch * tile_rows;
    const int64_t row_end = std::min(n, row_begin + tile_rows);
    const float* bias_b = bias == nullptr ? nullptr : bias + (b / bias_divisor) % bias_count * n * m;
    // The tile's vectors of rows in near-equal blocks of at most
    // kMaxBlockVectors (16 vectors: 3 3 3 3 2 2, not five 3s and a 1).
    const int64_t tile_vectors = (row_end - row_begin + lanes - 1) / lanes;
    const int64_t blocks = (tile_vectors + kMaxBlockVectors - 1) / kMaxBlockVectors;
    for (int64_t index = 0, row = row_begin; index < blocks; ++index) {
      const int64_t vectors = tile_vectors / blocks + (index < tile_vectors % blocks ? 1 : 0);
      const int64_t rows = std::min(row_end - row, vectors * lanes);
      const auto attend = [&]<int kV>() {
        AttendBlock<kV>(d, q + at.q.start(b) + row * at.q.row_stride, static_cast<size_t>(at.q.row_stride),
                        k + at.k.start(b), static_cast<size_t>(at.k.row_stride), v + at.v.start(b),
                        static_cast<size_t>(at.v.row_stride), out + at.out.start(b) + row * at.out.row_stride,
                        static_cast<size_t>(at.out.row_stride), static_cast<size_t>(rows), static_cast<size_t>(m),
                        static_cast<size_t>(depth), static_cast<size_t>(dv), scale,
                        bias_b == nullptr ? nullptr : bias_b + row * m, qt, st, sums);
      };
      if constexpr (kMaxBlockVectors >= 3) {
        if (vectors == 3) attend.template operator()<3>();
      }
      if (vectors == 2) {
        attend.template operator()<2>();
      } else if (vectors == 1) {
        attend.template operator()<1>();
      }
      row += rows;
    }
  }
}

int64_t VectorLanes() { return static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())); }

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(AttentionTasks);
HWY_EXPORT(VectorLanes);
// Dispatch from here: inside litevit::runtime::hwy, HWY_DYNAMIC_DISPATCH's
// `hwy::` would name that namespace (common.h).
void attention_tasks(const float* q, const float* k, const float* v, float* out,
                     const runtime::hwy::AttentionLayout& layout, int64_t n, int64_t m, int64_t d, int64_t dv,
                     float scale, const runtime::hwy::AttentionBias& bias, int64_t tile_rows, int64_t task_begin,
                     int64_t task_end) {
  HWY_DYNAMIC_DISPATCH(AttentionTasks)(q, k, v, out, layout, n, m, d, dv, scale, bias.data, bias.batch_divisor,
                                       bias.batch_count, tile_rows, task_begin, task_end);
}
int64_t vector_lanes() { return HWY_DYNAMIC_DISPATCH(VectorLanes)(); }
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
  // Row tiles of at most kTileVectors vectors of rows, fewer when that
  // leaves threads idle, cut evenly in whole vectors (DeiT's 197 rows on
  // AVX-512: 112 + 85, not 192 + 5) so the contiguous pieces of parallel_for
  // get about equal work.
  const int64_t lanes = simd::vector_lanes();
  const int64_t vectors = (n + lanes - 1) / lanes;
  int64_t tiles = (vectors + simd::kTileVectors - 1) / simd::kTileVectors;
  if (batch * tiles < threads) tiles = std::min(vectors, (threads + batch - 1) / batch);
  const int64_t tile_rows = (vectors + tiles - 1) / tiles * lanes;
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
