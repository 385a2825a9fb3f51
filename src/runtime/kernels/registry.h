// Which kernel runs a node. Every op has a reference kernel (plain fp32 loops,
// kernels/reference/). Fast kernels (kernels/onednn/, kernels/hwy/) are listed
// in registry.cpp in order of preference, each with a predicate saying which
// nodes it supports; compile takes the first fast kernel that supports a node
// unless reference kernels were asked for, and the reference kernel otherwise.
#pragma once

#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "runtime/kernels/kernel.h"

namespace litevit::runtime {

using ReferenceKernelFn = void (*)(const KernelContext&);

// The reference kernel function of an op (never null).
ReferenceKernelFn reference_kernel_fn(graph::OpKind op);
std::unique_ptr<Kernel> make_reference_kernel(graph::OpKind op);

struct CompileContext {
  const graph::Graph& graph;
  int threads = 1;   // threads the kernel will run with (oneDNN bakes this in at creation)
};

struct FastKernel {
  const char* name;   // "<op>_<impl>", e.g. "conv2d_onednn"
  graph::OpKind op;
  // Whether this kernel computes `node` exactly as the reference kernel does
  // (layouts, attributes, epilogue, which inputs are constant).
  bool (*supports)(const graph::Graph& graph, const graph::Node& node);
  // Creates the kernel for `node`; constant inputs (weights, with their
  // Value::data) may be packed here, once.
  std::unique_ptr<Kernel> (*create)(const CompileContext& context, const graph::Node& node);
};

// Every fast kernel, in order of preference.
std::span<const FastKernel* const> fast_kernels();

// Their names ("conv2d_hwy", "conv2d_onednn", ...), in the same order.
std::vector<std::string> fast_kernel_names();

// Throws an Error naming the first of `names` that is no fast kernel's name.
void check_kernel_names(const std::set<std::string>& names);

// The kernel for `node`: the first fast kernel not in `disabled` that
// supports it, or the reference kernel (always, when `reference_only`).
std::unique_ptr<Kernel> make_kernel(const CompileContext& context, const graph::Node& node, bool reference_only,
                                    const std::set<std::string>& disabled = {});

}  // namespace litevit::runtime
