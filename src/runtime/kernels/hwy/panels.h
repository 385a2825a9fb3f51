// Weights packed for the GEMM steps of gemm-inl.h (PanelBlock,
// WidePanelBlock), at kernel creation: shared by inverted_residual.cpp,
// conv2d.cpp, linear.cpp and winograd_conv.cpp.
#pragma once

#include <hwy/aligned_allocator.h>

#include <algorithm>
#include <cstdint>

namespace litevit::runtime::hwy {

inline int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// The layout of pack_panels: where w[o, c] (column o of w^T, depth c) goes.
// The panel of columns col.. (col a multiple of width) is [depth][its width]
// at col * depth; every panel is `width` wide but the last, which is
// narrower when n_pad is not a multiple of width (n_pad - col columns: a
// GEMM kernel's last panel of fewer vectors).
inline int64_t packed_index(int64_t o, int64_t c, int64_t depth, int64_t n_pad, int64_t width) {
  const int64_t col = o / width * width, panel_width = std::min(width, n_pad - col);
  return col * depth + c * panel_width + (o - col);
}

// w [n, depth] (a 1x1 conv's [O, C, 1, 1]) as panels of `width` columns of
// w^T (packed_index), zero past n.
inline ::hwy::AlignedFreeUniquePtr<float[]> pack_panels(const float* w, int64_t n, int64_t depth, int64_t n_pad,
                                                        int64_t width) {
  auto packed = ::hwy::AllocateAligned<float>(static_cast<size_t>(n_pad * depth));
  for (int64_t o = 0; o < n_pad; ++o) {
    for (int64_t c = 0; c < depth; ++c) {
      packed[static_cast<size_t>(packed_index(o, c, depth, n_pad, width))] = o < n ? w[o * depth + c] : 0.0f;
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
