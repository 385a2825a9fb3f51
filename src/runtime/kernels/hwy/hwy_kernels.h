// Fast kernels on Highway SIMD (elementwise, norms, softmax, data movement), in order of preference.
#pragma once

#include <span>

#include "runtime/kernels/registry.h"

namespace litevit::runtime::hwy {

std::span<const FastKernel* const> kernels();

// The SIMD target Highway's dynamic dispatch picked on this CPU ("AVX3",
// "AVX2", ...): the instruction set these kernels run with.
const char* simd_target_name();

}  // namespace litevit::runtime::hwy
