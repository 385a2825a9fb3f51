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

}  // namespace litevit::runtime::reference
