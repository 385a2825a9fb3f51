// Weight binding reports every missing, unexpected and misshaped key at once.
#include <gtest/gtest.h>

#include <filesystem>

#include "graph/builder.h"
#include "io/safetensors.h"
#include "litevit/error.h"
#include "runtime/bind_weights.h"

namespace {

using namespace litevit::graph;
namespace io = litevit::io;

Graph small_graph() {
  Graph g;
  Builder b(g);
  ValueId x = b.input("input", {1, 4});
  x = b.linear("fc1", x, 3);
  b.output("y", b.layer_norm("norm", x, 1e-5f));
  return g;
}

std::string write_file(const std::vector<io::TensorToWrite>& tensors) {
  const auto path = std::filesystem::temp_directory_path() / ("bind_test_" + std::to_string(::getpid()) + ".safetensors");
  io::write_safetensors(path.string(), tensors);
  return path.string();
}

TEST(BindWeights, BindsAndUpcasts) {
  const std::vector<float> w(12, 0.5f), b3(3, 1.0f);
  const std::vector<uint16_t> half(3, io::f32_to_f16(2.0f));
  const std::string path = write_file({{"fc1.weight", io::DType::F32, {3, 4}, w.data()},
                                       {"fc1.bias", io::DType::F32, {3}, b3.data()},
                                       {"norm.weight", io::DType::F16, {3}, half.data()},
                                       {"norm.bias", io::DType::F32, {3}, b3.data()}});
  Graph g = small_graph();
  litevit::runtime::bind_weights(g, *io::SafetensorsFile::open(path));
  for (ValueId p : g.parameters()) {
    ASSERT_TRUE(g.value(p).data) << g.value(p).name;
    if (g.value(p).name == "norm.weight") {
      EXPECT_EQ(*g.value(p).data, (std::vector<float>{2, 2, 2}));
    }
  }
}

TEST(BindWeights, ReportsAllProblemsTogether) {
  const std::vector<float> w(15, 0.5f), b3(3, 1.0f);
  const std::string path = write_file({{"fc1.weight", io::DType::F32, {3, 5}, w.data()},
                                       {"norm.weight", io::DType::F32, {3}, b3.data()},
                                       {"norm.bias", io::DType::F32, {3}, b3.data()},
                                       {"head.weight", io::DType::F32, {3}, b3.data()}});
  try {
    Graph g = small_graph();
    litevit::runtime::bind_weights(g, *io::SafetensorsFile::open(path));
    FAIL() << "no error";
  } catch (const litevit::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("1 missing: 'fc1.bias' [3]"), std::string::npos) << message;
    EXPECT_NE(message.find("1 unexpected: 'head.weight'"), std::string::npos) << message;
    EXPECT_NE(message.find("'fc1.weight' has shape [3,5], expected [3,4]"), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << message;
  }
}

}  // namespace
