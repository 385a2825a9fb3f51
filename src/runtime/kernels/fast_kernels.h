// Declarations of the fast kernels listed in registry.cpp. Each kernel file
// (kernels/onednn/<op>.cpp, kernels/hwy/<op>.cpp) defines its FastKernel.
#pragma once

#include "runtime/kernels/registry.h"

namespace litevit::runtime {

// Supports nothing; keeps the list non-empty until the first fast kernel lands.
extern const FastKernel kFastKernelPlaceholder;

}  // namespace litevit::runtime
