// Fast kernels on oneDNN (conv2d, linear, matmul), in order of preference.
#pragma once

#include <span>

#include "runtime/kernels/registry.h"

namespace litevit::runtime::onednn {

std::span<const FastKernel* const> kernels();

}  // namespace litevit::runtime::onednn
