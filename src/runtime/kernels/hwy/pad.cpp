// Constant pad and index_select: pure data movement (fills and memcpy of
// contiguous runs), so no per-target SIMD code; they live with the Highway
// kernels because they share its threading and registration.
//
// pad writes every output row (the last axis) once: rows inside the padded
// window get [value x before, input row, value x after], the others are filled.
// index_select copies rows of `inner` elements.
#include <cstring>
#include <vector>

#include "runtime/kernels/hwy/common.h"
#include "util/check.h"

namespace litevit::runtime::hwy {
namespace {

void run_pad(const KernelContext& c) {
  const auto& a = std::get<graph::PadAttrs>(c.node.attrs);
  const graph::Shape& in = c.in_shape(0);
  const graph::Shape& out = c.output_shape;
  const size_t rank = out.size();
  const int64_t out_row = out[rank - 1], in_row = in[rank - 1];
  const int64_t before = a.pads[rank - 1][0], after = a.pads[rank - 1][1];
  const int64_t rows = graph::shape_numel(out) / std::max<int64_t>(out_row, 1);
  if (out_row == 0) return;
  parallel_for(c.threads, rows, out_row, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* y = c.output + r * out_row;
      // The row's index along each leading axis, and the input row it maps to.
      int64_t rest = r, in_index = 0, in_stride = 1;
      bool inside = true;
      for (size_t d = rank - 1; d-- > 0;) {
        const int64_t i = rest % out[d] - a.pads[d][0];
        rest /= out[d];
        if (i < 0 || i >= in[d]) {
          inside = false;
          break;
        }
        in_index += i * in_stride;
        in_stride *= in[d];
      }
      if (!inside || in_row == 0) {
        std::fill(y, y + out_row, a.value);
        continue;
      }
      std::fill(y, y + before, a.value);
      std::memcpy(y + before, c.in(0) + in_index * in_row, static_cast<size_t>(in_row) * sizeof(float));
      std::fill(y + before + in_row, y + before + in_row + after, a.value);
    }
  });
}

void run_index_select(const KernelContext& c) {
  const auto axis = static_cast<size_t>(std::get<graph::AxisAttrs>(c.node.attrs).axis);
  const graph::Shape& in = c.in_shape(0);
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= in[d];
  for (size_t d = axis + 1; d < in.size(); ++d) inner *= in[d];
  const int64_t count = c.in_shape(1)[0];
  const float* indices = c.in(1);
  parallel_for(c.threads, outer * count, inner, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t o = r / count, k = r % count;
      const auto index = static_cast<int64_t>(indices[k]);
      LITEVIT_ASSERT(index >= 0 && index < in[axis], "index_select index out of range");
      std::memcpy(c.output + r * inner, c.in(0) + (o * in[axis] + index) * inner,
                  static_cast<size_t>(inner) * sizeof(float));
    }
  });
}

bool supports_any(const graph::Graph&, const graph::Node&) { return true; }

std::unique_ptr<Kernel> create_pad(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("pad_hwy", run_pad);
}
std::unique_ptr<Kernel> create_index_select(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("index_select_hwy", run_index_select);
}

}  // namespace

const FastKernel kPad{"pad_hwy", graph::OpKind::kPad, supports_any, create_pad};
const FastKernel kIndexSelect{"index_select_hwy", graph::OpKind::kIndexSelect, supports_any, create_index_select};

}  // namespace litevit::runtime::hwy
