// attention_hwy: the graph's attention op (made by passes/fuse_attention) on
// the fused SIMD kernel of attention.cpp. The leading dims (batch, heads) are
// one batch; q, k, v are contiguous (views of the head-split permute).
#include "runtime/kernels/hwy/attention.h"
#include "runtime/kernels/hwy/common.h"

namespace litevit::runtime::hwy {
namespace {

bool supports_attention(const graph::Graph&, const graph::Node&) { return true; }

void run_attention(const KernelContext& c) {
  const graph::Shape& q = c.in_shape(0);
  const int64_t n = q.end()[-2], d = q.back();
  const int64_t m = c.in_shape(1).end()[-2], dv = c.output_shape.back();
  if (graph::shape_numel(c.output_shape) == 0) return;
  const int64_t batch = graph::shape_numel(c.output_shape) / (n * dv);
  attention(c.in(0), c.in(1), c.in(2), c.output, batch, n, m, d, dv,
            std::get<graph::ScaleAttrs>(c.node.attrs).alpha, c.threads);
}

std::unique_ptr<Kernel> create_attention(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("attention_hwy", run_attention);
}

}  // namespace

const FastKernel kAttention{"attention_hwy", graph::OpKind::kAttention, supports_attention, create_attention};

}  // namespace litevit::runtime::hwy
