// Which kernel runs a node. Every op has a reference kernel (plain fp32 loops,
// kernels/reference/). Fast kernels register here too, each with a predicate
// saying which nodes it supports; compile() takes the first fast kernel that
// supports a node unless reference kernels were asked for.
#pragma once

#include <memory>

#include "runtime/kernels/kernel.h"

namespace litevit::runtime {

using ReferenceKernelFn = void (*)(const KernelContext&);

// The reference kernel function of an op (never null).
ReferenceKernelFn reference_kernel_fn(graph::OpKind op);
std::unique_ptr<Kernel> make_reference_kernel(graph::OpKind op);

}  // namespace litevit::runtime
