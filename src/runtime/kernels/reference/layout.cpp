// Ops that move elements without arithmetic: reshape (copy), permute,
// concat, slice, expand, pad, index_select.
#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/kernels/reference/reference_kernels.h"
#include "util/check.h"

namespace litevit::runtime::reference {
namespace {

using graph::contiguous_strides;

// Calls f(i, offset) for every index of `shape` in row-major order: i its
// flat position, offset = sum_d index[d] * strides[d].
template <typename F>
void walk_strided(const graph::Shape& shape, const std::vector<int64_t>& strides, F f) {
  const int64_t n = graph::shape_numel(shape);
  std::vector<int64_t> index(shape.size(), 0);
  int64_t offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, offset);
    for (size_t d = shape.size(); d-- > 0;) {
      ++index[d];
      offset += strides[d];
      if (index[d] < shape[d]) break;
      offset -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace

void gather_strided(const float* in, const std::vector<int64_t>& in_strides, float* out,
                    const graph::Shape& out_shape) {
  walk_strided(out_shape, in_strides, [&](int64_t i, int64_t offset) { out[i] = in[offset]; });
}

void scatter_strided(const float* in, const graph::Shape& in_shape, float* out,
                     const std::vector<int64_t>& out_strides) {
  walk_strided(in_shape, out_strides, [&](int64_t i, int64_t offset) { out[offset] = in[i]; });
}

void copy(const KernelContext& c) {
  std::memcpy(c.output, c.in(0), static_cast<size_t>(graph::shape_numel(c.output_shape)) * sizeof(float));
}

// out[i0, i1, ...] = in[..., i_k at axis perm[k], ...]
void permute(const KernelContext& c) {
  const auto& perm = std::get<graph::PermuteAttrs>(c.node.attrs).perm;
  const auto in_strides = contiguous_strides(c.in_shape(0));
  std::vector<int64_t> strides(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) strides[k] = in_strides[static_cast<size_t>(perm[k])];
  gather_strided(c.in(0), strides, c.output, c.output_shape);
}

void concat(const KernelContext& c) {
  const auto axis = static_cast<size_t>(std::get<graph::AxisAttrs>(c.node.attrs).axis);
  const graph::Shape& out = c.output_shape;
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= out[d];
  for (size_t d = axis + 1; d < out.size(); ++d) inner *= out[d];
  int64_t offset = 0;   // along the concat axis
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const int64_t len = c.in_shape(i)[axis];
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(c.output + (o * out[axis] + offset) * inner, c.in(i) + o * len * inner,
                  static_cast<size_t>(len * inner) * sizeof(float));
    }
    offset += len;
  }
}

// out[..., k, ...] = in[..., start + k * step, ...] along one axis
void slice(const KernelContext& c) {
  const auto& a = std::get<graph::SliceAttrs>(c.node.attrs);
  auto strides = contiguous_strides(c.in_shape(0));
  const int64_t base = a.start * strides[static_cast<size_t>(a.axis)];
  strides[static_cast<size_t>(a.axis)] *= a.step;
  gather_strided(c.in(0) + base, strides, c.output, c.output_shape);
}

// torch.expand: size-1 axes are repeated (stride 0).
void expand(const KernelContext& c) {
  auto strides = contiguous_strides(c.in_shape(0));
  for (size_t d = 0; d < strides.size(); ++d) {
    if (c.in_shape(0)[d] == 1) strides[d] = 0;
  }
  gather_strided(c.in(0), strides, c.output, c.output_shape);
}

// out = value everywhere, then out[i + before] = in[i] for every index i of the input.
void pad(const KernelContext& c) {
  const auto& a = std::get<graph::PadAttrs>(c.node.attrs);
  const graph::Shape& in = c.in_shape(0);
  std::fill(c.output, c.output + graph::shape_numel(c.output_shape), a.value);
  const auto out_strides = contiguous_strides(c.output_shape);
  int64_t base = 0;
  for (size_t d = 0; d < in.size(); ++d) base += a.pads[d][0] * out_strides[d];
  scatter_strided(c.in(0), in, c.output + base, out_strides);   // the input into a window of the output
}

// out[..., k, ...] = in[..., indices[k], ...] along one axis (indices stored as floats).
void index_select(const KernelContext& c) {
  const auto axis = static_cast<size_t>(std::get<graph::AxisAttrs>(c.node.attrs).axis);
  const graph::Shape& in = c.in_shape(0);
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= in[d];
  for (size_t d = axis + 1; d < in.size(); ++d) inner *= in[d];
  const int64_t count = c.in_shape(1)[0];
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < count; ++k) {
      const auto index = static_cast<int64_t>(c.in(1)[k]);
      LITEVIT_ASSERT(index >= 0 && index < in[axis], "index_select index out of range");
      std::memcpy(c.output + (o * count + k) * inner, c.in(0) + (o * in[axis] + index) * inner,
                  static_cast<size_t>(inner) * sizeof(float));
    }
  }
}

}  // namespace litevit::runtime::reference
