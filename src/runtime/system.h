// What the runtime runs on, for `litevit info --system`.
#pragma once

#include <string>

namespace litevit::runtime {

// The SIMD target Highway's dynamic dispatch picked on this CPU ("AVX3", "AVX2", ...).
std::string simd_target_name();
// oneDNN's version and the CPU ISA its kernels use here.
std::string onednn_description();

}  // namespace litevit::runtime
