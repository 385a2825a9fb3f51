// Working memory a kernel needs while it runs (packed panels, a ring of rows,
// intermediates), per thread so that concurrent runs of one plan and the
// OpenMP threads of one run never share it.
#pragma once

#include <hwy/aligned_allocator.h>

#include <cstddef>

namespace litevit::runtime {

// `floats` floats of the calling thread's scratch for `Owner`, aligned for any
// SIMD target (HWY_ALIGNMENT, at least 64 bytes). Each Owner (a tag type per
// kernel) has its own buffer, so a kernel that runs another while it holds
// its scratch never hands it over. The buffer only grows: after the first run
// of a shape there is no allocation.
template <typename Owner>
float* thread_scratch(size_t floats) {
  thread_local ::hwy::AlignedFreeUniquePtr<float[]> buffer;
  thread_local size_t capacity = 0;
  if (capacity < floats) {
    buffer = ::hwy::AllocateAligned<float>(floats);
    capacity = floats;
  }
  return buffer.get();
}

}  // namespace litevit::runtime
