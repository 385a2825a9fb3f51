// The Highway kernel list, and which SIMD target dynamic dispatch chose.
#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/hwy_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {

// Compiled once per target; dispatch calls the instance of the chosen one.
const char* TargetName() { return ::hwy::TargetName(HWY_TARGET); }

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "runtime/kernels/hwy/hwy_kernels.h"

namespace litevit::simd {
HWY_EXPORT(TargetName);
static const char* chosen_target_name() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }
}  // namespace litevit::simd

namespace litevit::runtime::hwy {

std::span<const FastKernel* const> kernels() {
  static const FastKernel* const all[] = {
      &kLayerNorm, &kSoftmax, &kBatchNorm, &kGroupNorm,         // norms
      &kGelu, &kSilu, &kRelu, &kScale, &kAdd, &kMul,            // elementwise
      &kSigmoid, &kRelu6, &kHardSigmoid, &kHardSwish, &kSub, &kDiv,
      &kReshape, &kPermute, &kConcat, &kSlice, &kExpand,        // layout
      &kPad, &kIndexSelect,
      &kReduceMean, &kInterpolate, &kPool2d,
      &kAttention,
  };
  return all;
}

std::span<const FastKernel* const> preferred_kernels() {
  static const FastKernel* const all[] = {&kWinogradConv2d, &kConv2d, &kInvertedResidual, &kLinear};
  return all;
}

const char* simd_target_name() { return simd::chosen_target_name(); }

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
