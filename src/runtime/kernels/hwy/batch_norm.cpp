// Eval-mode batch norm with channels last (axis == last, as assign_layout
// leaves it in NHWC graphs): y = (x - mean) * (gamma / sqrt(var + eps)) + beta.
// The per-channel factors are computed once at creation from the constant
// parameters, so a run is one streaming pass of rows of C channels.
// (Most batch norms are folded into the preceding conv by fold_batchnorm;
// this is for the rest.)
#include <cmath>
#include <vector>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/batch_norm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// y[r, k] = (x[r, k] - mean[k]) * scale[k] + shift[k]
void ChannelAffineRows(const float* x, const float* mean, const float* scale,
                       const float* shift, float* y, int64_t rows, int64_t channels) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(channels);
  const size_t full = count - count % lanes;
  const size_t tail = count - full;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    for (size_t i = 0; i < full; i += lanes) {
      const auto centered = hn::Sub(hn::LoadU(d, xr + i), hn::LoadU(d, mean + i));
      hn::StoreU(hn::MulAdd(centered, hn::LoadU(d, scale + i), hn::LoadU(d, shift + i)), d, yr + i);
    }
    if (tail != 0) {
      const auto centered = hn::Sub(LoadFirst(d, xr + full, tail), LoadFirst(d, mean + full, tail));
      StoreFirst(hn::MulAdd(centered, LoadFirst(d, scale + full, tail), LoadFirst(d, shift + full, tail)), d,
                 yr + full, tail);
    }
  }
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(ChannelAffineRows);
void channel_affine_rows(const float* x, const float* mean, const float* scale, const float* shift, float* y,
                         int64_t rows, int64_t channels) {
  HWY_DYNAMIC_DISPATCH(ChannelAffineRows)(x, mean, scale, shift, y, rows, channels);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Inputs: x, weight (gamma), bias (beta), running_mean, running_var.
class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(const graph::Graph& g, const graph::Node& node) {
    const float eps = std::get<graph::NormAttrs>(node.attrs).eps;
    const auto& gamma = *g.value(node.inputs[1]).data;
    const auto& beta = *g.value(node.inputs[2]).data;
    const auto& mean = *g.value(node.inputs[3]).data;
    const auto& var = *g.value(node.inputs[4]).data;
    mean_ = mean;
    shift_ = beta;
    scale_.resize(gamma.size());
    // Same fp32 1/sqrt as the reference kernel.
    for (size_t k = 0; k < gamma.size(); ++k) scale_[k] = 1.0f / std::sqrt(var[k] + eps) * gamma[k];
  }

  void run(const KernelContext& c) const override {
    const auto channels = static_cast<int64_t>(scale_.size());
    if (channels == 0) return;
    const int64_t rows = graph::shape_numel(c.in_shape(0)) / channels;
    parallel_for(c.threads, rows, channels, [&](int64_t begin, int64_t end) {
      simd::channel_affine_rows(c.in(0) + begin * channels, mean_.data(), scale_.data(), shift_.data(),
                                c.output + begin * channels, end - begin, channels);
    });
  }
  const char* name() const override { return "batch_norm_hwy"; }

 private:
  std::vector<float> mean_, scale_, shift_;
};

bool supports_batch_norm(const graph::Graph& g, const graph::Node& node) {
  const graph::Shape& x = g.value(node.inputs[0]).shape;
  if (std::get<graph::NormAttrs>(node.attrs).axis != static_cast<int64_t>(x.size()) - 1) return false;
  for (size_t i = 1; i < 5; ++i) {
    if (!is_bound_constant(g, node.inputs[i])) return false;
  }
  return true;
}

std::unique_ptr<Kernel> create_batch_norm(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<BatchNormKernel>(context.graph, node);
}

}  // namespace

const FastKernel kBatchNorm{"batch_norm_hwy", graph::OpKind::kBatchNorm, supports_batch_norm, create_batch_norm};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
