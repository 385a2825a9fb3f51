// inverted_residual_onednn: the inverted_residual op as the three oneDNN
// convs it was fused from (conv2d_onednn each), for the shapes where the fused
// Highway kernel (tried first, registry.cpp) is slower: small maps with a wide
// expansion, where the expanded tensor stays in L2 between the convs anyway. The two
// intermediates live in a per-thread scratch rather than the plan's arena.
#include <string>
#include <vector>

#include "runtime/kernels/onednn/common.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/thread_scratch.h"

namespace litevit::runtime::onednn {
namespace {

bool supports(const graph::Graph& graph, const graph::Node& node) {
  for (size_t i = 1; i <= 6; ++i) {
    if (!is_bound_weight(graph, node.inputs[i])) return false;
  }
  return true;
}

class InvertedResidualKernel final : public Kernel {
 public:
  InvertedResidualKernel(const CompileContext& context, const graph::Node& node) : module_path_(node.module_path) {
    const graph::Graph& g = context.graph;
    const auto& a = std::get<graph::InvertedResidualAttrs>(node.attrs);
    const graph::Shape& ys = g.value(node.output).shape;
    const auto convs = graph::inverted_residual_convs(a, g.value(node.inputs[0]).shape,
                                                      g.value(node.inputs[3]).shape[0], ys);
    // A private graph of the three convs; its weights share the node's data
    // until the conv kernels have packed them.
    std::vector<graph::ValueId> in;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      graph::Value v = g.value(node.inputs[i]);
      if (i == 0 || i == 7) v.kind = graph::ValueKind::kInput;   // x, residual
      in.push_back(convs_.add_value(std::move(v)));
    }
    const graph::ValueId expanded = add_conv({in[0], in[1], in[2]}, convs.expanded, convs.attrs[0]);
    const graph::ValueId depthwise = add_conv({expanded, in[3], in[4]}, convs.depthwise, convs.attrs[1]);
    std::vector<graph::ValueId> project = {depthwise, in[5], in[6]};
    if (a.epilogue.residual) project.push_back(in[7]);
    add_conv(project, ys, convs.attrs[2]);
    const CompileContext private_context{.graph = convs_, .threads = context.threads};
    for (const graph::Node& conv : convs_.nodes()) kernels_.push_back(kConv2dOnednn.create(private_context, conv));
    for (graph::ValueId w : {in[1], in[3], in[5]}) convs_.value(w).data.reset();   // packed by the convs
  }

  const char* name() const override { return "inverted_residual_onednn"; }
  // The conv kernels pack their weights; the biases are read at run time.
  bool packed_input(size_t index) const override { return index == 1 || index == 3 || index == 5; }

  void run(const KernelContext& c) const override {
    const graph::Shape& expanded_shape = convs_.value(convs_.nodes()[0].output).shape;
    const graph::Shape& depthwise_shape = convs_.value(convs_.nodes()[1].output).shape;
    const auto expanded_size = static_cast<size_t>(graph::shape_numel(expanded_shape));
    const size_t needed = expanded_size + static_cast<size_t>(graph::shape_numel(depthwise_shape));
    // Cache-line aligned like the arena's buffers: oneDNN's convs on
    // misaligned rows were ~15% slower (MobileViT-xxs stages.3.0, one thread).
    float* expanded = thread_scratch<InvertedResidualKernel>(needed + 16);
    float* depthwise = expanded + (expanded_size + 15) / 16 * 16;   // 64-byte aligned too
    const InputView expand_in[] = {c.inputs[0], c.inputs[1], c.inputs[2]};
    kernels_[0]->run({convs_.nodes()[0], expand_in, expanded, expanded_shape, c.threads});
    const InputView depthwise_in[] = {{expanded, &expanded_shape}, c.inputs[3], c.inputs[4]};
    kernels_[1]->run({convs_.nodes()[1], depthwise_in, depthwise, depthwise_shape, c.threads});
    std::vector<InputView> project_in = {{depthwise, &depthwise_shape}, c.inputs[5], c.inputs[6]};
    if (c.inputs.size() == 8) project_in.push_back(c.inputs[7]);
    kernels_[2]->run({convs_.nodes()[2], project_in, c.output, c.output_shape, c.threads});
  }

 private:
  graph::ValueId add_conv(std::vector<graph::ValueId> inputs, graph::Shape shape, graph::Conv2dAttrs attrs) {
    const graph::ValueId out = convs_.add_value({.kind = graph::ValueKind::kNodeOutput, .name = "", .shape = shape});
    convs_.add_node(
        {.op = graph::OpKind::kConv2d, .inputs = std::move(inputs), .output = out, .attrs = attrs, .module_path = module_path_});
    return out;
  }

  std::string module_path_;   // the block's, for oneDNN's error messages
  graph::Graph convs_;
  std::vector<std::unique_ptr<Kernel>> kernels_;
};

std::unique_ptr<Kernel> create(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<InvertedResidualKernel>(context, node);
}

}  // namespace

const FastKernel kInvertedResidualOnednn = {"inverted_residual_onednn", graph::OpKind::kInvertedResidual, supports,
                                            create};

}  // namespace litevit::runtime::onednn
