// A dense fp32 tensor in row-major (C) order: what goes into and comes out of
// a model. Images are [N, C, H, W] like PyTorch's.
#pragma once

#include <cstdint>
#include <vector>

namespace litevit {

struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;   // product(shape) values

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

}  // namespace litevit
