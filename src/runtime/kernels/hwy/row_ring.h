// Which input row each buffer of a ring of k row buffers holds, for kernels
// that walk output rows and need the k input rows under each one (conv2d.cpp
// copies them padded, inverted_residual.cpp computes their expansion): input
// row r lives in slot r mod k, and is filled once per run of consecutive
// output rows of one image.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace litevit::runtime::hwy {

class RowRing {
 public:
  explicit RowRing(size_t slots) : held_(slots, kNone) {}

  // Forgets what the slots hold when the output rows move on to another image.
  void set_image(int64_t image) {
    if (image == image_) return;
    std::fill(held_.begin(), held_.end(), kNone);
    image_ = image;
  }

  struct Slot {
    size_t index;   // which buffer holds input row r
    bool fill;      // it held another row: the caller must fill it with row r
  };
  // The slot of input row r (rows above the image, r < 0, have slots too).
  Slot acquire(int64_t r) {
    const auto k = static_cast<int64_t>(held_.size());
    const auto index = static_cast<size_t>((r % k + k) % k);
    const bool fill = held_[index] != r;
    held_[index] = r;
    return {index, fill};
  }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  std::vector<int64_t> held_;
  int64_t image_ = -1;
};

}  // namespace litevit::runtime::hwy
