// GroupNorm: the C channels split into G groups of C/G consecutive channels;
// per sample and group, y = (x - mean) / sqrt(var + eps) * weight[c] + bias[c],
// mean and the biased variance taken over the group's channels and all
// spatial positions. A channels_last node ([N,...,C]) is the same computation
// with the channel as the fastest axis.
#include <cmath>

#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime::reference {

void group_norm(const KernelContext& c) {
  const auto& a = std::get<graph::GroupNormAttrs>(c.node.attrs);
  const graph::Shape& s = c.in_shape(0);
  const int64_t batch = s[0];
  const int64_t channels = a.channels_last ? s.back() : s[1];
  const int64_t spatial = graph::shape_numel(s) / (batch * channels);
  const int64_t group_size = channels / a.num_groups;
  // Element (n, ch, p) sits at n*C*P + (channels_last ? p*C + ch : ch*P + p).
  auto at = [&](int64_t n, int64_t ch, int64_t p) {
    return n * channels * spatial + (a.channels_last ? p * channels + ch : ch * spatial + p);
  };
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t g = 0; g < a.num_groups; ++g) {
      double sum = 0.0;
      for (int64_t ch = g * group_size; ch < (g + 1) * group_size; ++ch) {
        for (int64_t p = 0; p < spatial; ++p) sum += c.in(0)[at(n, ch, p)];
      }
      const double count = static_cast<double>(group_size * spatial);
      const double mean = sum / count;
      double sq = 0.0;
      for (int64_t ch = g * group_size; ch < (g + 1) * group_size; ++ch) {
        for (int64_t p = 0; p < spatial; ++p) {
          const double d = c.in(0)[at(n, ch, p)] - mean;
          sq += d * d;
        }
      }
      const double inv_std = 1.0 / std::sqrt(sq / count + a.eps);
      for (int64_t ch = g * group_size; ch < (g + 1) * group_size; ++ch) {
        for (int64_t p = 0; p < spatial; ++p) {
          const int64_t i = at(n, ch, p);
          c.output[i] = static_cast<float>((c.in(0)[i] - mean) * inv_std * c.in(1)[ch] + c.in(2)[ch]);
        }
      }
    }
  }
}

}  // namespace litevit::runtime::reference
