#include "runtime/kernels/onednn/onednn_kernels.h"

#include <array>

#include "runtime/kernels/onednn/common.h"

namespace litevit::runtime::onednn {

std::span<const FastKernel* const> kernels() {
  static const std::array<const FastKernel*, 4> all = {&kConv2dOnednn, &kLinearOnednn, &kMatMulOnednn,
                                                       &kInvertedResidualOnednn};
  return all;
}

std::string implementation_of(const Kernel& kernel) {
  const auto* primitive = dynamic_cast<const PrimitiveKernel*>(&kernel);
  return primitive != nullptr ? primitive->implementation() : std::string();
}

}  // namespace litevit::runtime::onednn
