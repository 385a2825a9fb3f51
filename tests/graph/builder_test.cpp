// The builder names parameters by module path, infers shapes, and reports
// misfits naming the op and the module path.
#include <gtest/gtest.h>

#include "test_util.h"

#include "graph/builder.h"
#include "litevit/error.h"

namespace {

using namespace litevit::graph;

using litevit::testing_util::error_of;

TEST(Builder, ModulesDeclareParametersUnderTheirPath) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 3, 32, 32});
  x = b.conv2d("stem.conv", x, 8, 3, {.stride = 2, .padding = 1, .bias = false});
  x = b.batch_norm("stem.bn", x);
  EXPECT_EQ(b.shape(x), (Shape{2, 8, 16, 16}));
  std::vector<std::string> names;
  for (ValueId p : g.parameters()) names.push_back(g.value(p).name);
  EXPECT_EQ(names, (std::vector<std::string>{"stem.conv.weight", "stem.bn.weight", "stem.bn.bias",
                                              "stem.bn.running_mean", "stem.bn.running_var"}));
  EXPECT_TRUE(g.ignored_keys().contains("stem.bn.num_batches_tracked"));
  EXPECT_EQ(total_params(g), 8 * 3 * 3 * 3 + 8 + 8);   // running statistics are buffers
}

TEST(Builder, ShapeInference) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 5, 12});
  EXPECT_EQ(b.shape(b.linear("fc", x, 7)), (Shape{2, 5, 7}));
  EXPECT_EQ(b.shape(b.reshape(x, {2, -1, 4})), (Shape{2, 15, 4}));
  EXPECT_EQ(b.shape(b.transpose(x, 1, 2)), (Shape{2, 12, 5}));
  EXPECT_EQ(b.shape(b.flatten(x, 1)), (Shape{2, 60}));
  EXPECT_EQ(b.shape(b.select(x, 1, 3)), (Shape{2, 12}));
  EXPECT_EQ(b.shape(b.slice(x, 2, 1, 12, 3)), (Shape{2, 5, 4}));
  EXPECT_EQ(b.shape(b.mean(x, {1}, false)), (Shape{2, 12}));
  EXPECT_EQ(b.shape(b.mean(x, {-1}, true)), (Shape{2, 5, 1}));
  EXPECT_EQ(b.shape(b.concat({x, x}, -1)), (Shape{2, 5, 24}));
  EXPECT_EQ(b.shape(b.add(x, b.parameter("bias", {12}))), (Shape{2, 5, 12}));
  EXPECT_EQ(b.shape(b.matmul(x, b.transpose(x, 1, 2))), (Shape{2, 5, 5}));
  ValueId image = b.input("image", {1, 4, 7, 9});
  EXPECT_EQ(b.shape(b.interpolate_bilinear(image, 8, 10, false)), (Shape{1, 4, 8, 10}));
  EXPECT_EQ(b.shape(b.conv2d("dw", image, 4, 3, {.stride = 2, .padding = 1, .groups = 4})), (Shape{1, 4, 4, 5}));
  EXPECT_NO_THROW(verify(g));
}

TEST(Builder, MisfitNamesOpAndModulePath) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {2, 5, 12});
  b.linear("blocks.0.mlp.fc1", x, 7);
  const std::string message = error_of([&] { b.linear("blocks.0.mlp.fc1", b.input("other", {2, 5, 13}), 7); });
  EXPECT_NE(message.find("parameter 'blocks.0.mlp.fc1.weight' declared with shapes [7,12] and [7,13]"),
            std::string::npos) << message;
  Builder::ScopedPath scope(b, "blocks.0.attn");
  const std::string matmul_message = error_of([&] { b.matmul(x, x); });
  EXPECT_NE(matmul_message.find("matmul at 'blocks.0.attn': cannot multiply [2,5,12] by [2,5,12]"),
            std::string::npos) << matmul_message;
  EXPECT_NE(error_of([&] { b.reshape(x, {7, -1}); }).find("cannot reshape [2,5,12] to"), std::string::npos);
  EXPECT_NE(error_of([&] { b.add(x, b.input("y", {3, 12})); }).find("do not broadcast"), std::string::npos);
  EXPECT_NE(error_of([&] { b.conv2d("stem", b.input("img", {1, 3, 2, 2}), 4, 3); }).find("too small"),
            std::string::npos);
}

TEST(Graph, CountsMacs) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 3, 8, 8});
  x = b.conv2d("conv", x, 4, 3, {.padding = 1});             // 4*8*8 outputs x 3*3*3
  ValueId t = b.transpose(b.flatten(x, 2), 1, 2);              // [1, 64, 4]
  ValueId y = b.linear("fc", t, 6);                            // 64*6 outputs x 4
  ValueId z = b.matmul(y, b.transpose(y, 1, 2));               // 64*64 outputs x 6
  b.output("z", z);
  EXPECT_EQ(total_macs(g), 4 * 64 * 27 + 64 * 6 * 4 + 64 * 64 * 6);
}

TEST(Graph, DumpListsNodesWithPaths) {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 4});
  b.output("y", b.linear("head.fc", x, 2));
  const std::string text = dump(g);
  EXPECT_NE(text.find("param  %1 'head.fc.weight' [2,4]"), std::string::npos) << text;
  EXPECT_NE(text.find("linear(%0, %1, %2) -> [1,2]   # head.fc"), std::string::npos) << text;
  EXPECT_NE(text.find("output 'y'"), std::string::npos) << text;
}

}  // namespace
