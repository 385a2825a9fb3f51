// Reference kernels: plain, obviously correct fp32 loops, one function per
// op, each with its formula. Dot products accumulate in double so that the
// reference is at least as accurate as the PyTorch outputs it is checked
// against. Fast kernels are tested against these.
#pragma once

#include "runtime/kernels/kernel.h"

namespace litevit::runtime::reference {

void conv2d(const KernelContext& c);
void batch_norm(const KernelContext& c);
void linear(const KernelContext& c);
void layer_norm(const KernelContext& c);
void matmul(const KernelContext& c);
void softmax(const KernelContext& c);
void gelu(const KernelContext& c);
void silu(const KernelContext& c);
void relu(const KernelContext& c);
void scale(const KernelContext& c);
void add(const KernelContext& c);
void mul(const KernelContext& c);
void copy(const KernelContext& c);   // reshape: same elements, same order
void permute(const KernelContext& c);
void concat(const KernelContext& c);
void slice(const KernelContext& c);
void expand(const KernelContext& c);
void reduce_mean(const KernelContext& c);
void interpolate(const KernelContext& c);
void sigmoid(const KernelContext& c);
void hard_sigmoid(const KernelContext& c);
void hard_swish(const KernelContext& c);
void relu6(const KernelContext& c);
void sub(const KernelContext& c);
void div(const KernelContext& c);
void group_norm(const KernelContext& c);
void pool2d(const KernelContext& c);
void pad(const KernelContext& c);
void index_select(const KernelContext& c);
void attention(const KernelContext& c);

// Strided copies the kernels above share (layout.cpp).
// out[index] = in[sum_d index[d] * in_strides[d]] for every index of `out_shape`, out contiguous.
void gather_strided(const float* in, const std::vector<int64_t>& in_strides, float* out,
                    const graph::Shape& out_shape);
// out[sum_d index[d] * out_strides[d]] = in[index] for every index of `in_shape`, in contiguous.
void scatter_strided(const float* in, const graph::Shape& in_shape, float* out,
                     const std::vector<int64_t>& out_strides);
void inverted_residual(const KernelContext& c);

// A fused epilogue on a finished output: y = act(y), then y += residual
// (the node's last input). No-op for nodes without one.
void apply_epilogue(const KernelContext& c);
// Copies an [N,A,B,C] tensor to [N,C,A,B] (to_channels_first) or back.
void nhwc_to_nchw(const float* in, float* out, int64_t n, int64_t h, int64_t w, int64_t c);
void nchw_to_nhwc(const float* in, float* out, int64_t n, int64_t c, int64_t h, int64_t w);

}  // namespace litevit::runtime::reference
