// TinyViT config handling: the variants and kwargs build the model timm builds
// (parameter counts and output shapes measured with timm 1.0.29.dev0,
// `sum(p.numel() for p in model.parameters())`, num_classes=1000), and what the family
// does not implement fails naming the kwarg. Numerical parity is in parity_test
// (tiny_vit_micro, full/tiny_vit_5m_224, extra_tiny_vit_*).
#include <gtest/gtest.h>

#include "test_util.h"

#include <string>
#include <vector>

#include "litevit/litevit.h"

namespace {

using litevit::Model;
using litevit::testing_util::error_of;
using Shape = std::vector<int64_t>;

std::string config(const std::string& timm_name, const std::string& kwargs) {
  return R"({"timm_name": ")" + timm_name + R"(", "kwargs": )" + kwargs + "}";
}

TEST(TinyViT, ParamCountsMatchTimm) {
  const std::pair<const char*, int64_t> variants[] = {
      {"tiny_vit_5m_224", 5392764},   {"tiny_vit_11m_224", 10996972}, {"tiny_vit_21m_224", 21198568},
      {"tiny_vit_21m_384", 21230488}, {"tiny_vit_21m_512", 21268120},
  };
  for (const auto& [name, params] : variants) {
    const Model model = Model::load(name);
    const Shape input = model.default_input_shape(1);
    EXPECT_EQ(model.info(input).params, params) << name;
  }
}

TEST(TinyViT, DefaultInputFollowsTheWindows) {
  EXPECT_EQ(Model::load("tiny_vit_5m_224").default_input_shape(2), (Shape{2, 3, 224, 224}));
  EXPECT_EQ(Model::load("tiny_vit_21m_384").default_input_shape(1), (Shape{1, 3, 384, 384}));
  EXPECT_EQ(Model::load("tiny_vit_21m_512").default_input_shape(1), (Shape{1, 3, 512, 512}));
}

TEST(TinyViT, ShapesMatchTimm) {
  // Any input size: windows are zero-padded. No pooling: 1x1 conv classifier per position.
  const litevit::ModelInfo conv_head =
      Model::load(config("tiny_vit_5m_224", R"({"num_classes": 7, "global_pool": ""})")).info({1, 3, 64, 96});
  EXPECT_EQ(conv_head.params, 5074011);
  ASSERT_EQ(conv_head.outputs.size(), 2u);
  EXPECT_EQ(conv_head.outputs[0].shape, (Shape{1, 320, 2, 3}));
  EXPECT_EQ(conv_head.outputs[1].shape, (Shape{1, 7, 2, 3}));

  const litevit::ModelInfo headless =
      Model::load(config("tiny_vit_11m_224", R"({"num_classes": 0, "window_sizes": [5, 5, 5, 5]})")).info({1, 3, 100, 72});
  EXPECT_EQ(headless.params, 10538900);
  ASSERT_EQ(headless.outputs.size(), 2u);
  EXPECT_EQ(headless.outputs[0].shape, (Shape{1, 448, 4, 3}));
  EXPECT_EQ(headless.outputs[1].shape, (Shape{1, 448}));
}

TEST(TinyViT, UnsupportedConfigNamesTheKwarg) {
  const std::pair<std::string, std::string> bad[] = {
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"act_layer": "relu"})", "kwarg 'act_layer' 'relu' is not supported"},
      {R"({"embed_dims": [64, 128, 160]})", "kwarg 'embed_dims' has 3 entries, depths has 4"},
      {R"({"num_heads": [2, 4, 5]})", "kwarg 'num_heads' has 3 entries"},
      {R"({"num_heads": [2, 4, 3, 10]})", "kwarg 'num_heads' stage 2: 3 heads do not divide embed_dims 160"},
      {R"({"window_sizes": [7, 0, 14, 7]})", "kwarg 'window_sizes' stage 1: must be positive"},
      {R"({"local_conv_size": 4})", "kwarg 'local_conv_size' must be odd"},
      {R"({"embed_dim": 64})", "unknown kwarg 'embed_dim'"},
  };
  for (const auto& [kwargs, expected] : bad) {
    const std::string message = error_of([&] { Model::load(config("tiny_vit_5m_224", kwargs)).info({1, 3, 64, 64}); });
    EXPECT_NE(message.find(expected), std::string::npos) << kwargs << "\n  -> " << message;
  }
}

TEST(TinyViT, WrongInputChannelsIsAnError) {
  const std::string message = error_of([] { Model::load("tiny_vit_5m_224").info({1, 1, 64, 64}); });
  EXPECT_NE(message.find("the model takes in_chans = 3"), std::string::npos) << message;
}

}  // namespace
