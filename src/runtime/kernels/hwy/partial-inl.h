// Loads and stores of the first `count` lanes of a vector, for the tail of a
// row shorter than a vector (LoadUpTo, StoreUpTo: of a whole vector or fewer
// lanes). They never touch memory past `count` elements (the row may end at
// the end of a buffer). Included once per SIMD target.
#if defined(LITEVIT_HWY_PARTIAL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef LITEVIT_HWY_PARTIAL_INL_H_
#undef LITEVIT_HWY_PARTIAL_INL_H_
#else
#define LITEVIT_HWY_PARTIAL_INL_H_
#endif

#include <cstring>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// AVX2 and AVX-512 have fault-free masked loads and stores. Highway 1.0.3's
// MaskedLoad on SSE4 and older loads the whole vector, so those targets go
// through a stack buffer instead.
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2
#define LITEVIT_HWY_HAS_MASKED_MEMORY 1
#else
#define LITEVIT_HWY_HAS_MASKED_MEMORY 0
#endif

// The first `count` (< Lanes(d)) floats at p; the other lanes are zero.
template <class D>
HWY_INLINE hn::VFromD<D> LoadFirst(D d, const float* HWY_RESTRICT p, size_t count) {
#if LITEVIT_HWY_HAS_MASKED_MEMORY
  return hn::MaskedLoad(hn::FirstN(d, count), d, p);
#else
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)] = {};
  std::memcpy(buffer, p, count * sizeof(float));
  return hn::Load(d, buffer);
#endif
}

// Stores the first `count` (< Lanes(d)) lanes of v to p.
template <class D>
HWY_INLINE void StoreFirst(hn::VFromD<D> v, D d, float* HWY_RESTRICT p, size_t count) {
#if LITEVIT_HWY_HAS_MASKED_MEMORY
  hn::BlendedStore(v, hn::FirstN(d, count), d, p);
#else
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, buffer);
  std::memcpy(p, buffer, count * sizeof(float));
#endif
}

#undef LITEVIT_HWY_HAS_MASKED_MEMORY

// The `count` floats at p (count >= 1, may be below a vector), the other
// lanes zero.
template <class D>
HWY_INLINE hn::VFromD<D> LoadUpTo(D d, const float* HWY_RESTRICT p, size_t count) {
  return count >= hn::Lanes(d) ? hn::LoadU(d, p) : LoadFirst(d, p, count);
}

// Stores v to the `count` floats at p; count >= 1, may be below a vector.
template <class D>
HWY_INLINE void StoreUpTo(hn::VFromD<D> v, D d, float* HWY_RESTRICT p, size_t count) {
  if (count >= hn::Lanes(d)) {
    hn::StoreU(v, d, p);
  } else {
    StoreFirst(v, d, p, count);
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // LITEVIT_HWY_PARTIAL_INL_H_
