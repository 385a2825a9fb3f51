// Fast kernels on oneDNN (conv2d, linear, matmul), in order of preference.
#pragma once

#include <span>
#include <string>

#include "runtime/kernels/registry.h"

namespace litevit::runtime::onednn {

std::span<const FastKernel* const> kernels();

// One file each: conv2d.cpp (NHWC only), linear.cpp, matmul.cpp, and
// inverted_residual.cpp (three conv2d_onednn, where the fused Highway kernel is slower).
extern const FastKernel kConv2dOnednn;
extern const FastKernel kLinearOnednn;
extern const FastKernel kMatMulOnednn;
extern const FastKernel kInvertedResidualOnednn;

// The oneDNN implementation a kernel of this backend runs ("brg:avx512_core",
// "brdgmm_dw:avx512_core", ...); empty for any other kernel. For tests and
// profiles: "ref" in it means oneDNN found no optimised kernel.
std::string implementation_of(const Kernel& kernel);

}  // namespace litevit::runtime::onednn
