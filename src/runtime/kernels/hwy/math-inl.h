// Fast fp32 exp, sigmoid-based SiLU and erf-based GELU on Highway vectors,
// shared by softmax.cpp and activations.cpp. Included once per SIMD target
// (foreach_target.h), hence the toggle guard instead of #pragma once.
//
// Why our own: Highway's contrib hn::Exp is more accurate than fp32 softmax
// needs and 1.6x slower (anchors/substrate.md sec. 4).
#if defined(LITEVIT_HWY_MATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LITEVIT_HWY_MATH_INL_H_
#undef LITEVIT_HWY_MATH_INL_H_
#else
#define LITEVIT_HWY_MATH_INL_H_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// exp(x) = 2^n 2^f with n = round(x log2 e) and f = x log2 e - n, |f| <= 1/2.
// f comes from one FMA (the product exact, one rounding); 2^f is a degree-5
// polynomial, a minimax fit for relative error on [-1/2, 1/2]. Relative error
// (measured against double exp on AVX2): 2.4e-7 for |x| <= 1, 3.5e-7 for
// |x| <= 10, 1.4e-6 at the ends of the range, growing with |x| because log2 e
// is rounded to fp32 (1.3e-8 |x|). Where softmax and SiLU use exp, terms that
// far out weigh e^-10 or less; SiLU's own error stays 1.8e-7 on [-10, 10].
// A Cody-Waite reduction (e^r, r = x - n ln 2 in two steps, degree-7
// polynomial) is ~1.2e-7 everywhere but makes SiLU 24-30% slower on one
// Zen 3 core (AVX2 loop over 4096 values in L1, best of 60 interleaved
// passes: 0.45 vs 0.34 and 0.58 vs 0.45 ns per value). Model outputs stay as
// close to PyTorch's as before (mobilevit_xxs/xs/s 6-7e-7, DeiT 1.0-1.2e-6).
template <class D, class V = hn::VFromD<D>>
HWY_INLINE V Exp2Fraction(D d, V xc, V n) {
  const V f = hn::MulSub(xc, hn::Set(d, 1.44269504088896341f), n);
  V p = hn::Set(d, 1.3276472454890609e-3f);
  p = hn::MulAdd(p, f, hn::Set(d, 9.675541892647743e-3f));
  p = hn::MulAdd(p, f, hn::Set(d, 5.550713092088699e-2f));
  p = hn::MulAdd(p, f, hn::Set(d, 2.4022120237350464e-1f));
  p = hn::MulAdd(p, f, hn::Set(d, 6.931469440460205e-1f));
  return hn::MulAdd(p, f, hn::Set(d, 1.0000001192092896f));
}

// Generic targets: x is clamped to [ln 2^-126, 127.5 ln 2] so 2^n is a normal
// float, built in the exponent field. n comes from the "magic number" round:
// t = x / ln 2 + (1.5 * 2^23 + 127) rounds to a whole number (fp32 has no
// fraction bits at 2^23), and t's low mantissa bits are then n + 127, which
// shifted into the exponent field give 2^n. 6 fewer instructions than
// round + convert + add + clamp: softmax of 16x256x256 (MobileViT's attention)
// 2.8 -> 2.0 ms on one AVX2 core. Below the clamp (x < -87.34, where expf
// turns denormal) the result is 0, so softmax of -inf gives exactly 0; above
// it (x > 88.38) it saturates near 2^127 instead of overflowing to inf.
// AVX-512 builds 2^n with vscalefps instead (inf above, like expf), from x
// clamped to [kExpLowestAvx512, 89], and gives 0 below -87 rather than a
// denormal: on Intel cores (Xeon family 6 model 207) a vector with a
// denormal result costs a microcode assist. Softmax rows padded with -inf
// (DeiT's 197 keys in 13 vectors) made one per row: the exp was 23% of
// DeiT's attention kernel with denormals, 10.5% without (1 thread, cycle
// counts per phase). At x >= -87, x log2 e >= -125.6, so 2^n p is normal.
// n is rounded with the same magic-number add (an FMA and a subtract) rather
// than vrndscaleps, which is 2 uops on port 0 on those cores, as are
// vscalefps and the divide of a SiLU: SiLU 4.6% faster, MobileViT-xxs's
// 16x256x16 attention 2.3% (1 thread, min of 10 alternated passes).
//
// kNonPositive: the caller guarantees x <= 0 (softmax's x - max), so the
// upper clamp is skipped; the results are the same as FastExp's.
constexpr float kExpLowest = -87.33654475f;   // ln 2^-126
constexpr float kExpLowestAvx512 = -87.0f;     // above ln 2^-126, so the scalef result is never denormal

// FastExp without its last step: below the clamp it gives about 2^-126, not 0.
template <bool kNonPositive = false, class D, class V = hn::VFromD<D>>
HWY_INLINE V FastExpOfClamped(D d, V x) {
  const hn::RebindToSigned<D> di;
  const V lowest = hn::Set(d, kExpLowest);
  const V xc = kNonPositive ? hn::Max(x, lowest) : hn::Min(hn::Max(x, lowest), hn::Set(d, 88.37626266f));
  const V magic = hn::Set(d, 12583039.0f);   // 1.5 * 2^23 + 127
  const V t = hn::MulAdd(xc, hn::Set(d, 1.44269504088896341f), magic);
  const V n = hn::Sub(t, magic);
  const V pow2n = hn::BitCast(d, hn::ShiftLeft<23>(hn::BitCast(di, t)));
  return hn::Mul(Exp2Fraction(d, xc, n), pow2n);
}

template <bool kNonPositive = false, class D, class V = hn::VFromD<D>>
HWY_INLINE V FastExp(D d, V x) {
  return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, kExpLowest)), FastExpOfClamped<kNonPositive>(d, x));
}
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
// AVX-512: below the clamp about exp(-87) = 1.6e-38, a normal float.
template <bool kNonPositive = false, class D>
HWY_INLINE hn::Vec512<float> FastExpOfClamped(D d, hn::Vec512<float> x) {
  const auto low = hn::Max(x, hn::Set(d, kExpLowestAvx512));
  const auto xc = kNonPositive ? low : hn::Min(low, hn::Set(d, 89.0f));
  const auto magic = hn::Set(d, 12582912.0f);   // 1.5 * 2^23
  const auto n = hn::Sub(hn::MulAdd(xc, hn::Set(d, 1.44269504088896341f), magic), magic);
  return hn::Vec512<float>{_mm512_scalef_ps(Exp2Fraction(d, xc, n).raw, n.raw)};
}

template <bool kNonPositive = false, class D>
HWY_INLINE hn::Vec512<float> FastExp(D d, hn::Vec512<float> x) {
  return hn::IfThenZeroElse(hn::Lt(x, hn::Set(d, kExpLowestAvx512)), FastExpOfClamped<kNonPositive>(d, x));
}
#endif

// 1 + exp(x), for sigmoid and SiLU. FastExp's last step (zero below the
// clamp) is left out (FastExpOfClamped): there exp(x) is about 2^-126
// (1.6e-38 on AVX-512) instead of 0, which rounds away against 1, so the sum
// is the same bits. Two of FastExp's ~20 operations, ~15% of a SiLU on one
// Zen 3 core.
template <class D, class V = hn::VFromD<D>>
HWY_INLINE V OnePlusFastExp(D d, V x) {
  return hn::Add(hn::Set(d, 1.0f), FastExpOfClamped(d, x));
}

// silu(x) = x sigmoid(x) = x / (1 + exp(-x)). For x < -88, where exp(-x)
// overflows (or saturates), the result is -0 or a tiny negative number; the
// reference's is a tiny negative number too.
template <class D, class V = hn::VFromD<D>>
HWY_INLINE V Silu(D d, V x) {
  return hn::Div(x, OnePlusFastExp(d, hn::Neg(x)));
}

// gelu(x) = x/2 (1 + erf(x / sqrt 2)), erf(z) = z P(z^2) / Q(z^2) on z clamped
// to [-4, 4] (erf(4) = 1 - 1.5e-8 rounds to 1 in fp32). P has degree 6 and Q
// degree 4 in z^2 (Eigen's fp32 erf coefficients): absolute error ~1e-7.
template <class D, class V = hn::VFromD<D>>
HWY_INLINE V Gelu(D d, V x) {
  const V z = hn::Clamp(hn::Mul(x, hn::Set(d, 0.70710678118654752f)), hn::Set(d, -4.0f), hn::Set(d, 4.0f));
  const V z2 = hn::Mul(z, z);
  V p = hn::MulAdd(z2, hn::Set(d, -2.72614225801306e-10f), hn::Set(d, 2.77068142495902e-08f));
  p = hn::MulAdd(z2, p, hn::Set(d, -2.10102402082508e-06f));
  p = hn::MulAdd(z2, p, hn::Set(d, -5.69250639462346e-05f));
  p = hn::MulAdd(z2, p, hn::Set(d, -7.34990630326855e-04f));
  p = hn::MulAdd(z2, p, hn::Set(d, -2.95459980854025e-03f));
  p = hn::MulAdd(z2, p, hn::Set(d, -1.60960333262415e-02f));
  p = hn::Mul(z, p);
  V q = hn::MulAdd(z2, hn::Set(d, -1.45660718464996e-05f), hn::Set(d, -2.13374055278905e-04f));
  q = hn::MulAdd(z2, q, hn::Set(d, -1.68282697438203e-03f));
  q = hn::MulAdd(z2, q, hn::Set(d, -7.37332916720468e-03f));
  q = hn::MulAdd(z2, q, hn::Set(d, -1.42647390514189e-02f));
  const V half_x = hn::Mul(hn::Set(d, 0.5f), x);
  return hn::MulAdd(half_x, hn::Div(p, q), half_x);
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // LITEVIT_HWY_MATH_INL_H_
