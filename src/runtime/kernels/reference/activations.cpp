// Elementwise unary ops.
#include <algorithm>
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {
namespace {

template <typename F>
void unary(const KernelContext& c, F f) {
  const int64_t n = graph::shape_numel(c.output_shape);
  for (int64_t i = 0; i < n; ++i) c.output[i] = f(c.in(0)[i]);
}

}  // namespace

// gelu(x) = x/2 * (1 + erf(x / sqrt(2)))   (exact form, torch approximate='none')
void gelu(const KernelContext& c) {
  unary(c, [](float x) {
    return static_cast<float>(0.5 * x * (1.0 + std::erf(static_cast<double>(x) * M_SQRT1_2)));
  });
}

// silu(x) = x * sigmoid(x) = x / (1 + exp(-x))
void silu(const KernelContext& c) {
  unary(c, [](float x) { return static_cast<float>(x / (1.0 + std::exp(-static_cast<double>(x)))); });
}

void relu(const KernelContext& c) {
  unary(c, [](float x) { return x > 0.0f ? x : 0.0f; });
}

// sigmoid(x) = 1 / (1 + exp(-x))
void sigmoid(const KernelContext& c) {
  unary(c, [](float x) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x)))); });
}

// hard_sigmoid(x) = relu6(x + 3) / 6
void hard_sigmoid(const KernelContext& c) {
  unary(c, [](float x) { return std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; });
}

// hard_swish(x) = x relu6(x + 3) / 6   (torch computes x * relu6(x + 3) first, then / 6)
void hard_swish(const KernelContext& c) {
  unary(c, [](float x) { return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f; });
}

void relu6(const KernelContext& c) {
  unary(c, [](float x) { return std::min(std::max(x, 0.0f), 6.0f); });
}

void scale(const KernelContext& c) {
  const float alpha = std::get<graph::ScaleAttrs>(c.node.attrs).alpha;
  unary(c, [alpha](float x) { return x * alpha; });
}

}  // namespace litevit::runtime::reference
