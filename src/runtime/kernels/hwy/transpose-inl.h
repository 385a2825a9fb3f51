// A transpose of a block of floats between strided rows, shared by
// layout.cpp (permute's batched 2-D transposes: NCHW <-> NHWC, [B,N,C] <->
// [B,C,N]) and attention.cpp (q^T, out^T and the bias's rows, per block of
// query rows). Included once per SIMD target, hence the toggle guard instead
// of #pragma once.
#if defined(LITEVIT_HWY_TRANSPOSE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LITEVIT_HWY_TRANSPOSE_INL_H_
#undef LITEVIT_HWY_TRANSPOSE_INL_H_
#else
#define LITEVIT_HWY_TRANSPOSE_INL_H_
#endif

#include <cstdint>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// out[a * ldo + b] = in[a + b * ld] for a < rows, b < cols: `cols` input rows
// (stride ld) become the columns of `rows` output rows (stride ldo).
inline void TransposeBlock(const float* HWY_RESTRICT in, int64_t ld, float* HWY_RESTRICT out, int64_t ldo, int64_t rows,
                    int64_t cols) {
  int64_t a = 0;
#if HWY_TARGET != HWY_SCALAR
  if (cols >= 2 && cols <= 4 && ldo == cols) {
    // A few input rows (an image's RGB planes) interleave into contiguous
    // output: one full vector of each row per step, no 4x4 tiles to fill.
    const hn::ScalableTag<float> df;
    const auto lanes = static_cast<int64_t>(hn::Lanes(df));
    for (; a + lanes <= rows; a += lanes) {
      const float* src = in + a;
      float* dst = out + a * cols;
      const auto v0 = hn::LoadU(df, src), v1 = hn::LoadU(df, src + ld);
      if (cols == 2) {
        hn::StoreInterleaved2(v0, v1, df, dst);
      } else if (cols == 3) {
        hn::StoreInterleaved3(v0, v1, hn::LoadU(df, src + 2 * ld), df, dst);
      } else {
        hn::StoreInterleaved4(v0, v1, hn::LoadU(df, src + 2 * ld), hn::LoadU(df, src + 3 * ld), df, dst);
      }
    }
  }
  const hn::Full128<float> d;
  for (; a + 4 <= rows; a += 4) {
    int64_t b = 0;
    for (; b + 4 <= cols; b += 4) {
      // r_k = in[a .. a+3, row b+k]; output row a+j gets lane j of r_0..r_3.
      const float* src = in + a + b * ld;
      const auto r0 = hn::LoadU(d, src), r1 = hn::LoadU(d, src + ld);
      const auto r2 = hn::LoadU(d, src + 2 * ld), r3 = hn::LoadU(d, src + 3 * ld);
      const auto t0 = hn::InterleaveLower(d, r0, r1);      // r0[0] r1[0] r0[1] r1[1]
      const auto t1 = hn::InterleaveLower(d, r2, r3);      // r2[0] r3[0] r2[1] r3[1]
      const auto t2 = hn::InterleaveUpper(d, r0, r1);      // r0[2] r1[2] r0[3] r1[3]
      const auto t3 = hn::InterleaveUpper(d, r2, r3);      // r2[2] r3[2] r2[3] r3[3]
      float* dst = out + a * ldo + b;
      hn::StoreU(hn::ConcatLowerLower(d, t1, t0), d, dst);
      hn::StoreU(hn::ConcatUpperUpper(d, t1, t0), d, dst + ldo);
      hn::StoreU(hn::ConcatLowerLower(d, t3, t2), d, dst + 2 * ldo);
      hn::StoreU(hn::ConcatUpperUpper(d, t3, t2), d, dst + 3 * ldo);
    }
    for (; b < cols; ++b) {
      for (int64_t j = 0; j < 4; ++j) out[(a + j) * ldo + b] = in[a + j + b * ld];
    }
  }
#endif
  for (; a < rows; ++a) {
    for (int64_t b = 0; b < cols; ++b) out[a * ldo + b] = in[a + b * ld];
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // LITEVIT_HWY_TRANSPOSE_INL_H_
