// gelu/silu/relu/scale/sigmoid/relu6/hard_sigmoid/hard_swish_hwy and
// add/mul/sub/div_hwy vs the reference kernels: sizes
// that exercise the vector tails, wide inputs (erf clamp, exp range), every
// broadcast pattern the binary kernels take, two threads, and broadcasts they
// must leave to the reference.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "runtime/kernel_test_util.h"

namespace {

using namespace litevit::graph;
using litevit::testing_util::compare_fast_to_reference;

using litevit::testing_util::expect_fast_matches;

using UnaryBuild = std::function<ValueId(Builder&, ValueId)>;

struct UnaryCase {
  const char* kernel;
  UnaryBuild build;
};

const std::vector<UnaryCase>& unary_cases() {
  static const std::vector<UnaryCase> cases = {
      {"gelu_hwy", [](Builder& b, ValueId x) { return b.gelu(x); }},
      {"silu_hwy", [](Builder& b, ValueId x) { return b.silu(x); }},
      {"relu_hwy", [](Builder& b, ValueId x) { return b.relu(x); }},
      {"scale_hwy", [](Builder& b, ValueId x) { return b.scale(x, 0.125f); }},
      {"sigmoid_hwy", [](Builder& b, ValueId x) { return b.sigmoid(x); }},
      {"relu6_hwy", [](Builder& b, ValueId x) { return b.relu6(x); }},
      {"hard_sigmoid_hwy", [](Builder& b, ValueId x) { return b.hard_sigmoid(x); }},
      {"hard_swish_hwy", [](Builder& b, ValueId x) { return b.hard_swish(x); }},
  };
  return cases;
}

// op(alpha * x); alpha = 1 adds no scale node.
Graph unary_graph(const UnaryBuild& op, const Shape& shape, float alpha = 1.0f) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", shape);
  if (alpha != 1.0f) x = b.scale(x, alpha);
  b.output("y", op(b, x));
  return g;
}

TEST(unary_hwy, MatchesReferenceForEveryTail) {
  for (const UnaryCase& op : unary_cases()) {
    for (const Shape& shape : std::vector<Shape>{{1}, {3}, {17}, {1000}, {2, 3, 5, 7}, {197, 768}}) {
      SCOPED_TRACE(std::string(op.kernel) + " " + shape_str(shape));
      expect_fast_matches(unary_graph(op.build, shape), {op.kernel});
    }
  }
}

TEST(unary_hwy, WideInputs) {
  // N(0, 6^2): gelu past its erf clamp (|x| > 4 sqrt 2); N(0, 40^2): silu where
  // exp(-x) underflows and overflows.
  for (const UnaryCase& op : unary_cases()) {
    SCOPED_TRACE(op.kernel);
    expect_fast_matches(unary_graph(op.build, {4, 1001}, 6.0f), {"scale_hwy", op.kernel});
    expect_fast_matches(unary_graph(op.build, {4, 1001}, 40.0f), {"scale_hwy", op.kernel});
  }
}

TEST(unary_hwy, TwoThreads) {
  for (const UnaryCase& op : unary_cases()) {
    SCOPED_TRACE(op.kernel);
    expect_fast_matches(unary_graph(op.build, {197, 768}), {op.kernel}, 2);
  }
}

// a (op) b with both as graph inputs.
Graph binary_graph(OpKind op, const Shape& a, const Shape& b_shape) {
  Graph g;
  Builder b(g);
  const ValueId x = b.input("a", a), y = b.input("b", b_shape);
  switch (op) {
    case OpKind::kAdd: b.output("y", b.add(x, y)); break;
    case OpKind::kMul: b.output("y", b.mul(x, y)); break;
    case OpKind::kSub: b.output("y", b.sub(x, y)); break;
    default: b.output("y", b.div(x, y)); break;
  }
  return g;
}

struct BroadcastCase {
  Shape a, b;
};

TEST(binary_hwy, MatchesReferenceOnSupportedBroadcasts) {
  const std::vector<BroadcastCase> cases = {
      {{17}, {17}},                               // same shape, tail only
      {{2, 197, 192}, {2, 197, 192}},             // residual add
      {{2, 197, 192}, {192}},                     // bias over rows
      {{3}, {2, 5, 3}},                           // small operand first, C = 3
      {{2, 197, 192}, {1, 197, 192}},             // position embedding
      {{2, 7, 9, 17}, {2, 1, 1, 17}},             // per-sample channel scale (NHWC)
      {{2, 7, 9, 17}, {1, 1, 1, 17}},             // per-channel (NHWC)
      {{2, 5, 1000}, {2, 5, 1}},                  // per-row scalar
      {{2, 5, 7}, {1}},                           // scalar
      {{1}, {3, 1, 5}},                           // scalar first, output [3,1,5]
      {{4, 1, 6}, {4, 1, 6}},                     // size-1 axes in both
      {{2, 3, 4, 5}, {2, 1, 1, 5}},               // broadcast along middle axes
      {{4, 5}, {2, 3, 4, 5}},                     // rank padding, small first
  };
  for (OpKind op : {OpKind::kAdd, OpKind::kMul, OpKind::kSub, OpKind::kDiv}) {
    const std::string kernel = std::string(op_name(op)) + "_hwy";
    for (const BroadcastCase& c : cases) {
      SCOPED_TRACE(kernel + " " + shape_str(c.a) + " " + shape_str(c.b));
      expect_fast_matches(binary_graph(op, c.a, c.b), {kernel});
    }
  }
}

TEST(binary_hwy, TwoThreads) {
  expect_fast_matches(binary_graph(OpKind::kAdd, {2, 197, 192}, {2, 197, 192}), {"add_hwy"}, 2);
  expect_fast_matches(binary_graph(OpKind::kMul, {2, 197, 192}, {192}), {"mul_hwy"}, 2);
  expect_fast_matches(binary_graph(OpKind::kAdd, {2, 197, 192}, {2, 197, 1}), {"add_hwy"}, 2);
  expect_fast_matches(binary_graph(OpKind::kSub, {2, 197, 192}, {2, 197, 192}), {"sub_hwy"}, 2);
  expect_fast_matches(binary_graph(OpKind::kSub, {1, 197, 192}, {2, 197, 192}), {"sub_hwy"}, 2);
  expect_fast_matches(binary_graph(OpKind::kDiv, {2, 197, 1}, {2, 197, 192}), {"div_hwy"}, 2);
}

TEST(binary_hwy, LeavesTwoSidedBroadcastsToTheReference) {
  // Both operands broadcast: no operand has the output's shape.
  expect_fast_matches(binary_graph(OpKind::kAdd, {2, 1, 5}, {1, 3, 5}), {"add_reference"});
  // Broadcast along two separate runs of axes (NCHW per-channel [1,C,1,1]).
  expect_fast_matches(binary_graph(OpKind::kMul, {2, 16, 5, 5}, {1, 16, 1, 1}), {"mul_reference"});
  expect_fast_matches(binary_graph(OpKind::kSub, {2, 16, 5, 5}, {1, 16, 1, 1}), {"sub_reference"});
}

}  // namespace
