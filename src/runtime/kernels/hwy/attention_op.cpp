// attention_hwy: the graph's attention op (made by passes/fuse_attention) on
// the fused SIMD kernel of attention.cpp. The leading dims (batch, heads) are
// one batch; q, k, v are contiguous (views of the head-split permute). A bias
// must vary along one contiguous run of the leading dims (per head, per
// window, per batch x head; AttentionBias): others run the reference kernel.
#include <optional>

#include "runtime/kernels/hwy/attention.h"
#include "runtime/kernels/hwy/common.h"

namespace litevit::runtime::hwy {
namespace {

// The bias's batch mapping (AttentionBias divisor and count) for scores with
// q's leading dims, or nullopt when the bias varies along two separate runs.
std::optional<AttentionBias> bias_layout(const graph::Shape& bias, const graph::Shape& q) {
  const graph::Shape lead(q.begin(), q.end() - 2);
  const size_t skip = lead.size() - (bias.size() - 2);
  int64_t divisor = 1, count = 1;
  bool in_run = false, run_done = false;
  for (size_t i = lead.size(); i-- > 0;) {   // innermost first
    if (lead[i] == 1) continue;                // neither splits nor extends a run
    const bool varies = i >= skip && bias[i - skip] != 1;
    if (varies && run_done) return std::nullopt;
    if (varies) {
      in_run = true;
      count *= lead[i];
    } else {
      if (in_run) run_done = true;
      if (!in_run) divisor *= lead[i];
    }
  }
  return AttentionBias{.data = nullptr, .batch_divisor = in_run ? divisor : 1, .batch_count = count};
}

bool supports_attention(const graph::Graph& g, const graph::Node& node) {
  return node.inputs.size() == 3 || bias_layout(g.value(node.inputs[3]).shape, g.value(node.inputs[0]).shape);
}

void run_attention(const KernelContext& c) {
  const graph::Shape& q = c.in_shape(0);
  const int64_t n = q.end()[-2], d = q.back();
  const int64_t m = c.in_shape(1).end()[-2], dv = c.output_shape.back();
  if (graph::shape_numel(c.output_shape) == 0) return;
  const int64_t batch = graph::shape_numel(c.output_shape) / (n * dv);
  AttentionBias bias;
  if (c.inputs.size() == 4) {
    bias = *bias_layout(c.in_shape(3), q);
    bias.data = c.in(3);
  }
  attention(c.in(0), c.in(1), c.in(2), c.output, batch, n, m, d, dv, std::get<graph::ScaleAttrs>(c.node.attrs).alpha,
            c.threads, bias);
}

std::unique_ptr<Kernel> create_attention(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("attention_hwy", run_attention);
}

}  // namespace

const FastKernel kAttention{"attention_hwy", graph::OpKind::kAttention, supports_attention, create_attention};

}  // namespace litevit::runtime::hwy
