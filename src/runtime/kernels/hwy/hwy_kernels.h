// Fast kernels on Highway SIMD (elementwise, norms, softmax, data movement), in order of preference.
#pragma once

#include <span>

#include "graph/graph.h"
#include "runtime/kernels/registry.h"

namespace litevit::runtime::hwy {

std::span<const FastKernel* const> kernels();

// Kernels tried before oneDNN's (registry.cpp): those that beat oneDNN's for
// the same op on the nodes they support (conv2d_winograd_hwy, conv2d_hwy,
// inverted_residual_hwy, linear_hwy).
std::span<const FastKernel* const> preferred_kernels();

// The SIMD target Highway's dynamic dispatch picked on this CPU ("AVX3",
// "AVX2", ...): the instruction set these kernels run with.
const char* simd_target_name();

// y = act(y) + residual (residual may be null), in place over `count` floats
// on up to `threads` threads. For oneDNN kernels that apply (part of) their
// epilogue after the primitive instead of as post-ops (onednn/common.h).
void apply_epilogue(graph::Activation act, float* y, const float* residual, int64_t count, int threads);

// A fused kernel's epilogue over `count` floats of its output at y + offset
// (its activation, then + residual at the same offset when residual is not
// null), on this thread; nothing when there is neither.
void apply_epilogue_at(const graph::Epilogue& epilogue, float* y, const float* residual, int64_t offset, int64_t count);

}  // namespace litevit::runtime::hwy
