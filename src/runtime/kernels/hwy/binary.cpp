// add / mul / sub / div for the broadcasts our NHWC graphs have: equal shapes, and one
// operand that has the output's shape while the other is broadcast along one
// contiguous run of axes: [B,N,C] + [C] (bias), [B,N,C] + [1,N,C] (position
// embedding), [B,H,W,C] * [B,1,1,C] (per-sample channel scale),
// [B,N,C] * [B,N,1] (per-row scalar). Anything else (both operands broadcast)
// runs the reference kernel. sub and div are not commutative: when the full
// operand is input 1 the row-broadcast loop computes op(small, full) through
// the reversed op (RSub / RDiv).
#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/binary.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/partial-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

struct AddOp {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const { return hn::Add(a, b); }
};
struct MulOp {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const { return hn::Mul(a, b); }
};
struct SubOp {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const { return hn::Sub(a, b); }
};
struct DivOp {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const { return hn::Div(a, b); }
};
struct RSubOp {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const { return hn::Sub(b, a); }
};
struct RDivOp {
  template <class V>
  HWY_INLINE V operator()(V a, V b) const { return hn::Div(b, a); }
};

// y[i] = op(a[i], b[i]) for i < n.
template <class Op>
HWY_INLINE void SameShapeLoop(const float* a, const float* b, float* y,
                              int64_t n, const Op& op) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  const auto count = static_cast<size_t>(n);
  size_t i = 0;
  for (; i + lanes <= count; i += lanes) hn::StoreU(op(hn::LoadU(d, a + i), hn::LoadU(d, b + i)), d, y + i);
  if (i < count) {
    const size_t rest = count - i;
    StoreFirst(op(LoadFirst(d, a + i, rest), LoadFirst(d, b + i, rest)), d, y + i, rest);
  }
}

// y[r * m + k] = op(a[r * m + k], row[k]) for r < rows, k < m.
template <class Op>
HWY_INLINE void RowBroadcastLoop(const float* a, const float* row, float* y,
                                 int64_t rows, int64_t m, const Op& op) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d);
  if (m == 1) {   // a scalar over the whole range: one flat loop
    const auto s = hn::Set(d, row[0]);
    const auto count = static_cast<size_t>(rows);
    size_t i = 0;
    for (; i + lanes <= count; i += lanes) hn::StoreU(op(hn::LoadU(d, a + i), s), d, y + i);
    if (i < count) StoreFirst(op(LoadFirst(d, a + i, count - i), s), d, y + i, count - i);
    return;
  }
  const auto count = static_cast<size_t>(m);
  const size_t full = count - count % lanes;
  for (int64_t r = 0; r < rows; ++r) {
    const float* ar = a + r * m;
    float* yr = y + r * m;
    for (size_t i = 0; i < full; i += lanes) hn::StoreU(op(hn::LoadU(d, ar + i), hn::LoadU(d, row + i)), d, yr + i);
    if (full < count) {
      const size_t rest = count - full;
      StoreFirst(op(LoadFirst(d, ar + full, rest), LoadFirst(d, row + full, rest)), d, yr + full, rest);
    }
  }
}

void AddSameShape(const float* a, const float* b, float* y, int64_t n) { SameShapeLoop(a, b, y, n, AddOp{}); }
void MulSameShape(const float* a, const float* b, float* y, int64_t n) { SameShapeLoop(a, b, y, n, MulOp{}); }
void SubSameShape(const float* a, const float* b, float* y, int64_t n) { SameShapeLoop(a, b, y, n, SubOp{}); }
void DivSameShape(const float* a, const float* b, float* y, int64_t n) { SameShapeLoop(a, b, y, n, DivOp{}); }
void SubRowBroadcast(const float* a, const float* row, float* y, int64_t rows, int64_t m) {
  RowBroadcastLoop(a, row, y, rows, m, SubOp{});
}
void DivRowBroadcast(const float* a, const float* row, float* y, int64_t rows, int64_t m) {
  RowBroadcastLoop(a, row, y, rows, m, DivOp{});
}
void RSubRowBroadcast(const float* a, const float* row, float* y, int64_t rows, int64_t m) {
  RowBroadcastLoop(a, row, y, rows, m, RSubOp{});
}
void RDivRowBroadcast(const float* a, const float* row, float* y, int64_t rows, int64_t m) {
  RowBroadcastLoop(a, row, y, rows, m, RDivOp{});
}
void AddRowBroadcast(const float* a, const float* row, float* y, int64_t rows, int64_t m) {
  RowBroadcastLoop(a, row, y, rows, m, AddOp{});
}
void MulRowBroadcast(const float* a, const float* row, float* y, int64_t rows, int64_t m) {
  RowBroadcastLoop(a, row, y, rows, m, MulOp{});
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <optional>

namespace litevit::simd {
namespace {
HWY_EXPORT(AddSameShape);
HWY_EXPORT(MulSameShape);
HWY_EXPORT(AddRowBroadcast);
HWY_EXPORT(MulRowBroadcast);
HWY_EXPORT(SubSameShape);
HWY_EXPORT(DivSameShape);
HWY_EXPORT(SubRowBroadcast);
HWY_EXPORT(DivRowBroadcast);
HWY_EXPORT(RSubRowBroadcast);
HWY_EXPORT(RDivRowBroadcast);

enum class BinaryOp { kAdd, kMul, kSub, kDiv };

using SameShapeFn = void (*)(const float*, const float*, float*, int64_t);
using RowBroadcastFn = void (*)(const float*, const float*, float*, int64_t, int64_t);
// The chosen target's function, looked up once per run rather than per row.
SameShapeFn same_shape_fn(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd: return HWY_DYNAMIC_DISPATCH(AddSameShape);
    case BinaryOp::kMul: return HWY_DYNAMIC_DISPATCH(MulSameShape);
    case BinaryOp::kSub: return HWY_DYNAMIC_DISPATCH(SubSameShape);
    case BinaryOp::kDiv: break;
  }
  return HWY_DYNAMIC_DISPATCH(DivSameShape);
}
// op(full row, small row); `reversed`: op(small row, full row).
RowBroadcastFn row_broadcast_fn(BinaryOp op, bool reversed) {
  switch (op) {
    case BinaryOp::kAdd: return HWY_DYNAMIC_DISPATCH(AddRowBroadcast);
    case BinaryOp::kMul: return HWY_DYNAMIC_DISPATCH(MulRowBroadcast);
    case BinaryOp::kSub:
      return reversed ? HWY_DYNAMIC_DISPATCH(RSubRowBroadcast) : HWY_DYNAMIC_DISPATCH(SubRowBroadcast);
    case BinaryOp::kDiv: break;
  }
  return reversed ? HWY_DYNAMIC_DISPATCH(RDivRowBroadcast) : HWY_DYNAMIC_DISPATCH(DivRowBroadcast);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

using simd::BinaryOp;

// How the operands map onto the output [outer, middle, inner]: either both
// have the output's shape, or input `full` does and the other one is
// [outer, 1, inner] (broadcast along the middle axes).
struct BroadcastPlan {
  bool same_shape = false;
  size_t full = 0;
  int64_t outer = 1, middle = 1, inner = 1;
};

std::optional<BroadcastPlan> plan_broadcast(const graph::Shape& a, const graph::Shape& b, const graph::Shape& out) {
  auto aligned = [&](const graph::Shape& s) {   // numpy rule: pad with leading 1s
    graph::Shape r(out.size() - s.size(), 1);
    r.insert(r.end(), s.begin(), s.end());
    return r;
  };
  const graph::Shape sa = aligned(a), sb = aligned(b);
  BroadcastPlan plan;
  if (sa == out && sb == out) {
    plan.same_shape = true;
    return plan;
  }
  if (sa != out && sb != out) return std::nullopt;
  plan.full = sa == out ? 0 : 1;
  const graph::Shape& small = plan.full == 0 ? sb : sa;
  size_t first = 0, last = out.size();   // [first, last): the broadcast axes
  while (small[first] == out[first]) ++first;
  while (small[last - 1] == out[last - 1]) --last;
  for (size_t d = first; d < last; ++d) {
    if (small[d] != 1) return std::nullopt;
  }
  for (size_t d = 0; d < first; ++d) plan.outer *= out[d];
  for (size_t d = first; d < last; ++d) plan.middle *= out[d];
  for (size_t d = last; d < out.size(); ++d) plan.inner *= out[d];
  return plan;
}

std::optional<BroadcastPlan> plan_of(const graph::Graph& g, const graph::Node& node) {
  return plan_broadcast(g.value(node.inputs[0]).shape, g.value(node.inputs[1]).shape, g.value(node.output).shape);
}

class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(const char* name, BinaryOp op, const BroadcastPlan& plan) : name_(name), op_(op), plan_(plan) {}

  void run(const KernelContext& c) const override {
    if (plan_.same_shape) {
      const auto fn = simd::same_shape_fn(op_);
      parallel_for(c.threads, graph::shape_numel(c.output_shape), 1, [&](int64_t begin, int64_t end) {
        fn(c.in(0) + begin, c.in(1) + begin, c.output + begin, end - begin);
      });
      return;
    }
    const auto fn = simd::row_broadcast_fn(op_, plan_.full == 1);
    const float* full = c.in(plan_.full);
    const float* small = c.in(1 - plan_.full);
    const int64_t inner = plan_.inner, middle = plan_.middle;
    // Rows of `inner` elements; rows r with the same r / middle share one row of `small`.
    parallel_for(c.threads, plan_.outer * middle, inner, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end;) {
        const int64_t o = r / middle;
        const int64_t run_end = std::min(end, (o + 1) * middle);
        fn(full + r * inner, small + o * inner, c.output + r * inner, run_end - r, inner);
        r = run_end;
      }
    });
  }
  const char* name() const override { return name_; }

 private:
  const char* name_;
  BinaryOp op_;
  BroadcastPlan plan_;
};

bool supports_binary(const graph::Graph& g, const graph::Node& node) { return plan_of(g, node).has_value(); }

std::unique_ptr<Kernel> create_add(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<BinaryKernel>("add_hwy", BinaryOp::kAdd, *plan_of(context.graph, node));
}
std::unique_ptr<Kernel> create_mul(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<BinaryKernel>("mul_hwy", BinaryOp::kMul, *plan_of(context.graph, node));
}
std::unique_ptr<Kernel> create_sub(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<BinaryKernel>("sub_hwy", BinaryOp::kSub, *plan_of(context.graph, node));
}
std::unique_ptr<Kernel> create_div(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<BinaryKernel>("div_hwy", BinaryOp::kDiv, *plan_of(context.graph, node));
}

}  // namespace

const FastKernel kAdd{"add_hwy", graph::OpKind::kAdd, supports_binary, create_add};
const FastKernel kMul{"mul_hwy", graph::OpKind::kMul, supports_binary, create_mul};
const FastKernel kSub{"sub_hwy", graph::OpKind::kSub, supports_binary, create_sub};
const FastKernel kDiv{"div_hwy", graph::OpKind::kDiv, supports_binary, create_div};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
