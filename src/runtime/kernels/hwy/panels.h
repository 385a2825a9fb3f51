// Weights packed for the GEMM step of gemm-inl.h (PanelMulAdd), at kernel
// creation: shared by inverted_residual.cpp, conv2d.cpp and linear.cpp.
#pragma once

#include <hwy/aligned_allocator.h>

#include <algorithm>
#include <cstdint>

namespace litevit::runtime::hwy {

inline int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// w [n, depth] (a 1x1 conv's [O, C, 1, 1]) as panels of `width` columns of
// w^T: the panel of columns col.. is [depth][its width] at col * depth, zero
// past n. Every panel is `width` wide, but the last is narrower when n_pad
// is not a multiple of width (n_pad - col columns: the inverted-residual
// kernel's 1-vector last panel).
inline ::hwy::AlignedFreeUniquePtr<float[]> pack_panels(const float* w, int64_t n, int64_t depth, int64_t n_pad,
                                                        int64_t width) {
  auto packed = ::hwy::AllocateAligned<float>(static_cast<size_t>(n_pad * depth));
  for (int64_t col = 0; col < n_pad; col += width) {
    float* panel = packed.get() + col * depth;
    const int64_t panel_width = std::min(width, n_pad - col);
    for (int64_t c = 0; c < depth; ++c) {
      for (int64_t j = 0; j < panel_width; ++j) {
        panel[c * panel_width + j] = col + j < n ? w[(col + j) * depth + c] : 0.0f;
      }
    }
  }
  return packed;
}

// The first n of `values` (all zero when values is null), then zeros up to n_pad.
inline ::hwy::AlignedFreeUniquePtr<float[]> padded(const float* values, int64_t n, int64_t n_pad) {
  auto out = ::hwy::AllocateAligned<float>(static_cast<size_t>(n_pad));
  if (values != nullptr) std::copy(values, values + n, out.get());
  std::fill(out.get() + (values != nullptr ? n : 0), out.get() + n_pad, 0.0f);
  return out;
}

}  // namespace litevit::runtime::hwy
