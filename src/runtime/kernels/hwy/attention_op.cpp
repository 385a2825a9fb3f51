// attention_hwy: the graph's attention op (made by passes/fuse_attention) on
// the fused SIMD kernel of attention.cpp. The leading dims (batch, heads) are
// one batch; q, k, v and the output are contiguous or strided views whose
// batch dims reduce to two strides (fold_attention_views). A bias
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

// Where an operand's matrices sit: its strided view's (when it reduces to
// the two batch levels the kernel reads), or contiguous [batch, rows, cols].
std::optional<graph::BatchedRows> matrix_batch(const std::optional<graph::StridedView>& view,
                                               const graph::Shape& shape) {
  if (!view) return graph::BatchedRows::contiguous(shape.end()[-2], shape.back());
  return graph::batched_rows(*view);
}

std::optional<AttentionLayout> layout_of(const graph::AttentionAttrs& attrs, const graph::Shape& q,
                                         const graph::Shape& k, const graph::Shape& v, const graph::Shape& out) {
  const auto lq = matrix_batch(attrs.input_views[0], q), lk = matrix_batch(attrs.input_views[1], k);
  const auto lv = matrix_batch(attrs.input_views[2], v), lo = matrix_batch(attrs.output_view, out);
  if (!lq || !lk || !lv || !lo) return std::nullopt;
  return AttentionLayout{.q = *lq, .k = *lk, .v = *lv, .out = *lo};
}

bool supports_attention(const graph::Graph& g, const graph::Node& node) {
  const auto& attrs = std::get<graph::AttentionAttrs>(node.attrs);
  const graph::Shape q = graph::attention_operand_shape(g, node, 0);
  if (!layout_of(attrs, q, graph::attention_operand_shape(g, node, 1), graph::attention_operand_shape(g, node, 2),
                 graph::attention_operand_shape(g, node, 3))) {
    return false;
  }
  return node.inputs.size() == 3 || bias_layout(g.value(node.inputs[3]).shape, q);
}

// Everything but the data is fixed by the graph: sizes, layouts and the
// bias's batch mapping are worked out once, when the plan is compiled.
class AttentionKernel final : public Kernel {
 public:
  AttentionKernel(const graph::Graph& g, const graph::Node& node)
      : alpha_(std::get<graph::AttentionAttrs>(node.attrs).alpha) {
    const auto& attrs = std::get<graph::AttentionAttrs>(node.attrs);
    const graph::Shape q = graph::attention_operand_shape(g, node, 0);
    const graph::Shape k = graph::attention_operand_shape(g, node, 1);
    const graph::Shape v = graph::attention_operand_shape(g, node, 2);
    const graph::Shape out = graph::attention_operand_shape(g, node, 3);
    n_ = q.end()[-2];
    d_ = q.back();
    m_ = k.end()[-2];
    dv_ = out.back();
    batch_ = n_ * dv_ == 0 ? 0 : graph::shape_numel(out) / (n_ * dv_);
    layout_ = *layout_of(attrs, q, k, v, out);
    if (node.inputs.size() == 4) bias_ = *bias_layout(g.value(node.inputs[3]).shape, q);
  }

  void run(const KernelContext& c) const override {
    AttentionBias bias = bias_;
    if (c.inputs.size() == 4) bias.data = c.in(3);
    attention(c.in(0), c.in(1), c.in(2), c.output, batch_, n_, m_, d_, dv_, alpha_, c.threads, bias, &layout_);
  }
  const char* name() const override { return "attention_hwy"; }

 private:
  float alpha_;
  int64_t batch_ = 0, n_ = 0, m_ = 0, d_ = 0, dv_ = 0;
  AttentionLayout layout_;
  AttentionBias bias_;   // data null; set per run
};

std::unique_ptr<Kernel> create_attention(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<AttentionKernel>(context.graph, node);
}

}  // namespace

const FastKernel kAttention{"attention_hwy", graph::OpKind::kAttention, supports_attention, create_attention};

}  // namespace litevit::runtime::hwy
