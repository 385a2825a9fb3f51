// For tests of Highway kernels: run a check once per SIMD target.
#pragma once

#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <functional>

namespace litevit::testing_util {

// Runs body once per Highway target this CPU supports (AVX-512, AVX2, SSE4,
// scalar: different vector lengths, so different padding and tails), with
// dispatch forced to it, then restores the normal choice.
inline void for_each_target(const std::function<void()>& body) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace litevit::testing_util
