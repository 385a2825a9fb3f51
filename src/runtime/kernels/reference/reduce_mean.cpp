// y = mean of x over the reduced axes (kept axes in order).
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void reduce_mean(const KernelContext& c) {
  const auto& a = std::get<graph::ReduceAttrs>(c.node.attrs);
  const graph::Shape& in = c.in_shape(0);
  std::vector<bool> reduced(in.size(), false);
  int64_t count = 1;
  for (int64_t axis : a.axes) {
    reduced[static_cast<size_t>(axis)] = true;
    count *= in[static_cast<size_t>(axis)];
  }
  const int64_t out_n = graph::shape_numel(c.output_shape);
  std::vector<double> sums(static_cast<size_t>(out_n), 0.0);
  // Walk the input; map each index to its output index by dropping reduced axes.
  std::vector<int64_t> index(in.size(), 0);
  const int64_t n = graph::shape_numel(in);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < in.size(); ++d) {
      if (!reduced[d]) o = o * in[d] + index[d];
    }
    sums[static_cast<size_t>(o)] += c.in(0)[i];
    for (size_t d = in.size(); d-- > 0;) {
      if (++index[d] < in[d]) break;
      index[d] = 0;
    }
  }
  for (int64_t o = 0; o < out_n; ++o) {
    c.output[o] = static_cast<float>(sums[static_cast<size_t>(o)] / static_cast<double>(count));
  }
}

}  // namespace litevit::runtime::reference
