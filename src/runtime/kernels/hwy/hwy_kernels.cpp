#include "runtime/kernels/hwy/hwy_kernels.h"

namespace litevit::runtime::hwy {

std::span<const FastKernel* const> kernels() { return {}; }

}  // namespace litevit::runtime::hwy
