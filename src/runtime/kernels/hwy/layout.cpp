// Ops that move elements: reshape (copy), permute, slice, expand (all three as
// one strided copy), concat. A strided copy first drops size-1 axes and merges
// axes that are contiguous in the input, then picks its inner loop by the
// input stride of the innermost output axis:
//   1        rows copied with memcpy (the innermost axis stays innermost:
//            head split, NHWC patch (un)folding, slices of outer axes)
//   0        rows filled with one value (expand along the last axis)
//   other    if the next axis out has input stride 1, a batched 2-D transpose
//            in 4x4 SIMD tiles ([B,N,C] <-> [B,C,N], NCHW <-> NHWC), or by
//            interleaving whole vectors when 2-4 rows become the columns (RGB);
//            otherwise a strided gather.
#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "runtime/kernels/hwy/common.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/layout.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/transpose-inl.h"   // TransposeBlock, per target

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(TransposeBlock);
void transpose_block(const float* in, int64_t ld, float* out, int64_t ldo, int64_t rows, int64_t cols) {
  HWY_DYNAMIC_DISPATCH(TransposeBlock)(in, ld, out, ldo, rows, cols);
}
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

constexpr size_t kMaxRank = 6;
// Output rows per transpose work item: 16 floats of each input row = one cache line.
constexpr int64_t kTransposeStrip = 16;
// Output rows per work item when only 2-4 input rows interleave (NCHW images -> NHWC).
constexpr int64_t kInterleaveStrip = 1024;

using Dims = std::array<int64_t, kMaxRank>;

using graph::contiguous_strides;

// Walks the row-major multi-index of `rank` outer axes from flat index
// `start`, keeping the input offset sum_d index[d] * strides[d].
class Odometer {
 public:
  Odometer(const Dims& dims, const Dims& strides, size_t rank, int64_t start)
      : dims_(dims), strides_(strides), rank_(rank) {
    for (size_t d = rank_; d-- > 0;) {
      index_[d] = start % dims_[d];
      start /= dims_[d];
      offset_ += index_[d] * strides_[d];
    }
  }
  int64_t offset() const { return offset_; }
  void next() {
    for (size_t d = rank_; d-- > 0;) {
      offset_ += strides_[d];
      if (++index_[d] < dims_[d]) return;
      offset_ -= strides_[d] * dims_[d];
      index_[d] = 0;
    }
  }

 private:
  const Dims& dims_;
  const Dims& strides_;
  size_t rank_;
  Dims index_{};
  int64_t offset_ = 0;
};

// out (contiguous, shape dims[0..rank)) [i_0, ..] = in[offset + sum_d i_d * strides[d]]
class StridedCopy {
 public:
  StridedCopy(const graph::Shape& out_shape, const std::vector<int64_t>& in_strides, int64_t offset)
      : offset_(offset) {
    for (size_t d = 0; d < out_shape.size(); ++d) {
      if (out_shape[d] == 1) continue;
      if (rank_ > 0 && strides_[rank_ - 1] == in_strides[d] * out_shape[d]) {   // contiguous with the previous axis
        dims_[rank_ - 1] *= out_shape[d];
        strides_[rank_ - 1] = in_strides[d];
      } else {
        dims_[rank_] = out_shape[d];
        strides_[rank_] = in_strides[d];
        ++rank_;
      }
    }
    if (rank_ == 0) {   // a single element
      dims_[0] = strides_[0] = 1;
      rank_ = 1;
    }
    const int64_t inner_stride = strides_[rank_ - 1];
    if (inner_stride == 1) inner_ = Inner::kRows;
    else if (inner_stride == 0) inner_ = Inner::kFill;
    else if (rank_ >= 2 && strides_[rank_ - 2] == 1) inner_ = Inner::kTranspose;
    else inner_ = Inner::kGather;
  }

  void run(const float* in, float* out, int threads) const {
    in += offset_;
    if (inner_ == Inner::kTranspose) {
      run_transpose(in, out, threads);
      return;
    }
    const size_t outer_rank = rank_ - 1;
    const int64_t length = dims_[rank_ - 1], stride = strides_[rank_ - 1];
    int64_t rows = 1;
    for (size_t d = 0; d < outer_rank; ++d) rows *= dims_[d];
    parallel_for(threads, rows, length, [&](int64_t begin, int64_t end) {
      Odometer at(dims_, strides_, outer_rank, begin);
      for (int64_t r = begin; r < end; ++r, at.next()) {
        const float* src = in + at.offset();
        float* dst = out + r * length;
        switch (inner_) {
          case Inner::kRows:
            std::memcpy(dst, src, static_cast<size_t>(length) * sizeof(float));
            break;
          case Inner::kFill:
            std::fill(dst, dst + length, *src);
            break;
          default:
            for (int64_t k = 0; k < length; ++k) dst[k] = src[k * stride];
            break;
        }
      }
    });
  }

 private:
  enum class Inner { kRows, kFill, kTranspose, kGather };

  // Output [outer..., A, B] with in[a + b * ld]: work items are (outer, strip of A).
  void run_transpose(const float* in, float* out, int threads) const {
    const size_t outer_rank = rank_ - 2;
    const int64_t rows = dims_[rank_ - 2], cols = dims_[rank_ - 1], ld = strides_[rank_ - 1];
    // Interleaving a few rows (cols <= 4) writes whole vectors: longer strips
    // amortise the call; otherwise 16 rows keep each input row's cache line.
    const int64_t strip = cols <= 4 ? kInterleaveStrip : kTransposeStrip;
    const int64_t strips = (rows + strip - 1) / strip;
    int64_t outer = 1;
    for (size_t d = 0; d < outer_rank; ++d) outer *= dims_[d];
    parallel_for(threads, outer * strips, strip * cols, [&](int64_t begin, int64_t end) {
      Odometer at(dims_, strides_, outer_rank, begin / strips);
      for (int64_t item = begin; item < end; ++item) {
        const int64_t o = item / strips, a = (item % strips) * strip;
        if (item != begin && a == 0) at.next();
        simd::transpose_block(in + at.offset() + a, ld, out + (o * rows + a) * cols, cols,
                              std::min(strip, rows - a), cols);
      }
    });
  }

  Dims dims_{}, strides_{};
  size_t rank_ = 0;
  int64_t offset_ = 0;
  Inner inner_ = Inner::kRows;
};

class StridedCopyKernel final : public Kernel {
 public:
  StridedCopyKernel(const char* name, StridedCopy copy) : name_(name), copy_(std::move(copy)) {}
  void run(const KernelContext& c) const override { copy_.run(c.in(0), c.output, c.threads); }
  const char* name() const override { return name_; }

 private:
  const char* name_;
  StridedCopy copy_;
};

bool rank_fits(const graph::Graph& g, const graph::Node& node) {
  return g.value(node.inputs[0]).shape.size() <= kMaxRank && g.value(node.output).shape.size() <= kMaxRank;
}

// ---- permute: out[i_0, i_1, ...] = in[..., i_k at axis perm[k], ...]
std::unique_ptr<Kernel> create_permute(const CompileContext& context, const graph::Node& node) {
  const auto& perm = std::get<graph::PermuteAttrs>(node.attrs).perm;
  const auto in_strides = contiguous_strides(context.graph.value(node.inputs[0]).shape);
  std::vector<int64_t> strides(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) strides[k] = in_strides[static_cast<size_t>(perm[k])];
  return std::make_unique<StridedCopyKernel>("permute_hwy",
                                             StridedCopy(context.graph.value(node.output).shape, strides, 0));
}

// ---- slice: out[..., k, ...] = in[..., start + k * step, ...] along one axis
std::unique_ptr<Kernel> create_slice(const CompileContext& context, const graph::Node& node) {
  const auto& a = std::get<graph::SliceAttrs>(node.attrs);
  auto strides = contiguous_strides(context.graph.value(node.inputs[0]).shape);
  const auto axis = static_cast<size_t>(a.axis);
  const int64_t offset = a.start * strides[axis];
  strides[axis] *= a.step;
  return std::make_unique<StridedCopyKernel>("slice_hwy",
                                             StridedCopy(context.graph.value(node.output).shape, strides, offset));
}

// ---- expand: size-1 axes repeated (stride 0)
std::unique_ptr<Kernel> create_expand(const CompileContext& context, const graph::Node& node) {
  const graph::Shape& in = context.graph.value(node.inputs[0]).shape;
  auto strides = contiguous_strides(in);
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] == 1) strides[d] = 0;
  }
  return std::make_unique<StridedCopyKernel>("expand_hwy",
                                             StridedCopy(context.graph.value(node.output).shape, strides, 0));
}

// ---- reshape: the same elements in the same order
void run_copy(const KernelContext& c) {
  parallel_for(c.threads, graph::shape_numel(c.output_shape), 1, [&](int64_t begin, int64_t end) {
    std::memcpy(c.output + begin, c.in(0) + begin, static_cast<size_t>(end - begin) * sizeof(float));
  });
}
std::unique_ptr<Kernel> create_reshape(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("reshape_hwy", run_copy);
}

// ---- concat: per outer index, one contiguous block from each input
void run_concat(const KernelContext& c) {
  const auto axis = static_cast<size_t>(std::get<graph::AxisAttrs>(c.node.attrs).axis);
  const graph::Shape& out = c.output_shape;
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= out[d];
  for (size_t d = axis + 1; d < out.size(); ++d) inner *= out[d];
  const int64_t out_block = out[axis] * inner;
  parallel_for(c.threads, outer, out_block, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      float* dst = c.output + o * out_block;
      for (size_t i = 0; i < c.inputs.size(); ++i) {
        const int64_t block = c.in_shape(i)[axis] * inner;
        std::memcpy(dst, c.in(i) + o * block, static_cast<size_t>(block) * sizeof(float));
        dst += block;
      }
    }
  });
}
std::unique_ptr<Kernel> create_concat(const CompileContext&, const graph::Node&) {
  return std::make_unique<FunctionKernel>("concat_hwy", run_concat);
}

bool supports_any(const graph::Graph&, const graph::Node&) { return true; }

}  // namespace

const FastKernel kReshape{"reshape_hwy", graph::OpKind::kReshape, supports_any, create_reshape};
const FastKernel kPermute{"permute_hwy", graph::OpKind::kPermute, rank_fits, create_permute};
const FastKernel kConcat{"concat_hwy", graph::OpKind::kConcat, supports_any, create_concat};
const FastKernel kSlice{"slice_hwy", graph::OpKind::kSlice, rank_fits, create_slice};
const FastKernel kExpand{"expand_hwy", graph::OpKind::kExpand, rank_fits, create_expand};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
