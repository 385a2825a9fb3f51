// Fast kernels on Highway SIMD (elementwise, norms, softmax, data movement), in order of preference.
#pragma once

#include <span>

#include "runtime/kernels/registry.h"

namespace litevit::runtime::hwy {

std::span<const FastKernel* const> kernels();

}  // namespace litevit::runtime::hwy
