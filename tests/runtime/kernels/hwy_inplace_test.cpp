// The elementwise and row-wise hwy kernels give the same result when their
// output buffer is their first input (common.h promises it, for a memory
// planner that reuses buffers).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "runtime/kernel_test_util.h"
#include "runtime/kernels/registry.h"

namespace {

using namespace litevit::graph;
using litevit::runtime::CompileContext;
using litevit::runtime::InputView;
using litevit::runtime::KernelContext;
using litevit::testing_util::bind_random_parameters;
using litevit::testing_util::random_values;

// Runs the only node of g once into a separate buffer and once in place over a
// copy of input 0; both must be bit-identical.
void expect_in_place_matches(Graph g, const std::string& kernel_name) {
  bind_random_parameters(g, 3);
  const Node& node = g.nodes().at(0);
  const auto kernel = litevit::runtime::make_kernel(CompileContext{.graph = g, .threads = 1}, node, false);
  ASSERT_EQ(std::string(kernel->name()), kernel_name);
  std::vector<std::vector<float>> inputs;
  for (ValueId id : node.inputs) {
    const Value& v = g.value(id);
    inputs.push_back(v.data ? *v.data : random_values(shape_numel(v.shape), static_cast<uint32_t>(id) + 11, 3.0f));
  }
  std::vector<InputView> views;
  for (size_t i = 0; i < inputs.size(); ++i) views.push_back({inputs[i].data(), &g.value(node.inputs[i]).shape});
  const Shape& out_shape = g.value(node.output).shape;
  std::vector<float> separate(static_cast<size_t>(shape_numel(out_shape)));
  kernel->run(KernelContext{node, views, separate.data(), out_shape, 1});

  std::vector<float> in_place = inputs[0];
  views[0].data = in_place.data();
  kernel->run(KernelContext{node, views, in_place.data(), out_shape, 1});
  EXPECT_EQ(in_place, separate);
}

TEST(inplace_hwy, ElementwiseAndRowwiseKernels) {
  const std::vector<std::pair<std::string, std::function<void(Builder&)>>> cases = {
      {"layer_norm_hwy", [](Builder& b) { b.output("y", b.layer_norm("n", b.input("x", {5, 197}), 1e-6f)); }},
      {"softmax_hwy", [](Builder& b) { b.output("y", b.softmax(b.input("x", {6, 37}), -1)); }},
      {"gelu_hwy", [](Builder& b) { b.output("y", b.gelu(b.input("x", {3, 333}))); }},
      {"silu_hwy", [](Builder& b) { b.output("y", b.silu(b.input("x", {3, 333}))); }},
      {"relu_hwy", [](Builder& b) { b.output("y", b.relu(b.input("x", {3, 35}))); }},
      {"scale_hwy", [](Builder& b) { b.output("y", b.scale(b.input("x", {3, 35}), 0.5f)); }},
      {"add_hwy", [](Builder& b) { b.output("y", b.add(b.input("a", {2, 5, 19}), b.input("b", {19}))); }},
      {"mul_hwy", [](Builder& b) { b.output("y", b.mul(b.input("a", {2, 5, 19}), b.input("b", {2, 5, 19}))); }},
      {"batch_norm_hwy",
       [](Builder& b) {
         const ValueId x = b.input("x", {2, 3, 3, 21});
         Node node{.op = OpKind::kBatchNorm,
                   .inputs = {x, b.parameter("bn.weight", {21}), b.parameter("bn.bias", {21}),
                              b.parameter("bn.running_mean", {21}, true), b.parameter("bn.running_var", {21}, true)},
                   .output = kNoValue,
                   .attrs = NormAttrs{.eps = 1e-5f, .axis = 3},
                   .module_path = "bn"};
         node.output = b.graph().add_value(
             {.kind = ValueKind::kNodeOutput, .name = "bn:out", .shape = infer_shape(b.graph(), node)});
         const ValueId y = node.output;
         b.graph().add_node(std::move(node));
         b.output("y", y);
       }},
  };
  for (const auto& [kernel, build] : cases) {
    SCOPED_TRACE(kernel);
    Graph g;
    Builder b(g);
    build(b);
    expect_in_place_matches(std::move(g), kernel);
  }
}

}  // namespace
