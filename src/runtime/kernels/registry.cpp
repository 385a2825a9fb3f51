#include "runtime/kernels/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "litevit/error.h"

#include "runtime/kernels/hwy/hwy_kernels.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/reference/reference_kernels.h"

namespace litevit::runtime {
namespace {

using graph::OpKind;

constexpr std::array<ReferenceKernelFn, static_cast<size_t>(OpKind::kCount)> kReferenceKernels = {
    reference::conv2d,  reference::batch_norm, reference::linear, reference::layer_norm,
    reference::matmul,  reference::softmax,    reference::gelu,   reference::silu,
    reference::relu,    reference::add,        reference::mul,    reference::scale,
    reference::copy,    reference::permute,    reference::concat, reference::slice,
    reference::expand,  reference::reduce_mean, reference::interpolate, reference::sigmoid,
    reference::hard_sigmoid, reference::hard_swish, reference::relu6, reference::sub,
    reference::div, reference::group_norm, reference::pool2d, reference::pad, reference::index_select,
    reference::attention, reference::inverted_residual,
};
static_assert(kReferenceKernels.size() == graph::kOpNames.size(),
              "every OpKind needs a reference kernel, in OpKind order");

class ReferenceKernel final : public Kernel {
 public:
  ReferenceKernel(ReferenceKernelFn fn, OpKind op)
      : fn_(fn), name_(std::string(graph::op_name(op)) + "_reference") {}
  void run(const KernelContext& context) const override { fn_(context); }
  const char* name() const override { return name_.c_str(); }

 private:
  ReferenceKernelFn fn_;
  std::string name_;
};

}  // namespace

std::span<const FastKernel* const> fast_kernels() {
  // Our own kernels that beat oneDNN's where they support a node (each says
  // where), then oneDNN's (conv, linear, matmul), then our other SIMD kernels.
  // So disabling a preferred kernel hands its nodes to oneDNN's.
  static const std::vector<const FastKernel*> all = [] {
    std::vector<const FastKernel*> list;
    for (const FastKernel* k : hwy::preferred_kernels()) list.push_back(k);
    for (const FastKernel* k : onednn::kernels()) list.push_back(k);
    for (const FastKernel* k : hwy::kernels()) list.push_back(k);
    return list;
  }();
  return all;
}

std::vector<std::string> fast_kernel_names() {
  std::vector<std::string> names;
  for (const FastKernel* k : fast_kernels()) names.emplace_back(k->name);
  return names;
}

void check_kernel_names(const std::set<std::string>& names) {
  const auto known = fast_kernel_names();
  for (const std::string& name : names) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw Error(fmt::format("disabling kernel '{}': no such kernel (kernels: {})", name, fmt::join(known, ", ")));
    }
  }
}

std::unique_ptr<Kernel> make_kernel(const CompileContext& context, const graph::Node& node, bool reference_only,
                                    const std::set<std::string>& disabled) {
  if (!reference_only) {
    for (const FastKernel* fast : fast_kernels()) {
      if (fast->op != node.op || disabled.contains(fast->name)) continue;
      if (fast->supports(context.graph, node)) return fast->create(context, node);
    }
  }
  return make_reference_kernel(node.op);
}

ReferenceKernelFn reference_kernel_fn(OpKind op) { return kReferenceKernels[static_cast<size_t>(op)]; }

std::unique_ptr<Kernel> make_reference_kernel(OpKind op) {
  return std::make_unique<ReferenceKernel>(reference_kernel_fn(op), op);
}

}  // namespace litevit::runtime
