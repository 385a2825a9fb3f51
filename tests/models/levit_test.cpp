// LeViT config handling: the variants and kwargs build the model timm builds
// (parameter counts and output shapes measured with timm 1.0.29.dev0,
// `sum(p.numel() for p in model.parameters())`), the fixed resolution is enforced with a
// clear error, and what the family does not implement fails naming the kwarg. Numerical
// parity is in parity_test (levit_micro, extra_levit_*).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(LeViT, ParamCountsMatchTimm) {
  const std::pair<const char*, int64_t> variants[] = {
      {"levit_128s", 7777058},    {"levit_128", 9213936},     {"levit_192", 10947069},
      {"levit_256", 18893876},    {"levit_384", 39128836},    {"levit_384_s8", 39118960},
      {"levit_512_s8", 74046696}, {"levit_512", 95173700},    {"levit_256d", 26210788},
      {"levit_512d", 92497538},
  };
  for (const auto& [name, params] : variants) {
    EXPECT_EQ(Model::load(name).info({1, 3, 224, 224}).params, params) << name;
    const std::string conv = "levit_conv_" + std::string(name).substr(6);   // same parameters as 1x1 convs
    EXPECT_EQ(Model::load(conv).info({1, 3, 224, 224}).params, params) << conv;
  }
}

TEST(LeViT, ShapesMatchTimm) {
  EXPECT_EQ(Model::load("levit_128s").default_input_shape(2), (Shape{2, 3, 224, 224}));
  ASSERT_NO_FATAL_FAILURE(expect_model({"rect",
                                        variant_config("levit_192", R"({"img_size": [160, 128], "num_classes": 5})"),
                                        {1, 3, 160, 128}, 10177750, {1, 6, 384}, {1, 5}}));

  const litevit::ModelInfo headless =
      Model::load(variant_config("levit_256d", R"({"img_size": 96, "num_classes": 0})")).info({1, 3, 96, 96});
  EXPECT_EQ(headless.params, 25689948);
  ASSERT_EQ(headless.outputs.size(), 2u);
  EXPECT_EQ(headless.outputs[1].shape, (Shape{1, 512}));
  EXPECT_EQ(Model::load(variant_config("levit_128s", R"({"num_classes": 0})")).info({1, 3, 224, 224}).params, 7005522);
  const litevit::ModelInfo conv = Model::load("levit_conv_192").info({2, 3, 224, 224});
  ASSERT_EQ(conv.outputs.size(), 2u);
  EXPECT_EQ(conv.outputs[0].shape, (Shape{2, 384, 4, 4}));   // NCHW in the conv layout
  EXPECT_EQ(conv.outputs[1].shape, (Shape{2, 1000}));
}

TEST(LeViT, InputMustMatchImgSize) {
  expect_error("levit_128s", {1, 3, 256, 256}, "gives a 16x16 token grid, the model is built for img_size 224x224");
  // Sizes that round to the same grid are what timm accepts too.
  EXPECT_EQ(Model::load("levit_128s").info({1, 3, 209, 223}).outputs[0].shape, (Shape{1, 16, 384}));
}

TEST(LeViT, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("levit_128s", {
      {R"({"stem_type": "s4"})", "kwarg 'stem_type' 's4' is not supported"},
      {R"({"down_op": ""})", "kwarg 'down_op' '' is not supported"},
      {R"({"act_layer": "mish"})", "kwarg 'act_layer' 'mish' is not supported"},
      {R"({"attn_act_layer": "tanh"})", "kwarg 'attn_act_layer' 'tanh' is not supported"},
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"global_pool": ""})", "kwarg 'global_pool' '' needs num_classes = 0"},
      {R"({"depth": [2, 3]})", "kwarg 'depth' has 2 entries, embed_dim has 3"},
      {R"({"num_heads": [4, 6]})", "kwarg 'num_heads' has 2 entries, needs 1 or 3"},
      {R"({"stem_backbone": "resnet"})", "kwarg 'stem_backbone' is not supported"},
      {R"({"embed_dims": [128]})", "unknown kwarg 'embed_dims'"},
  }, {1, 3, 224, 224});
}

}  // namespace
