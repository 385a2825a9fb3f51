// TinyViT config handling: the variants and kwargs build the model timm builds
// (parameter counts and output shapes measured with timm 1.0.29.dev0,
// `sum(p.numel() for p in model.parameters())`, num_classes=1000), and what the family
// does not implement fails naming the kwarg. Numerical parity is in parity_test
// (tiny_vit_micro, full/tiny_vit_5m_224, extra_tiny_vit_*).
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

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
  ASSERT_NO_FATAL_FAILURE(expect_model({"conv head",
                                        variant_config("tiny_vit_5m_224", R"({"num_classes": 7, "global_pool": ""})"),
                                        {1, 3, 64, 96}, 5074011, {1, 320, 2, 3}, {1, 7, 2, 3}}));
  expect_model({"headless",
                variant_config("tiny_vit_11m_224", R"({"num_classes": 0, "window_sizes": [5, 5, 5, 5]})"),
                {1, 3, 100, 72}, 10538900, {1, 448, 4, 3}, {1, 448}});
}

TEST(TinyViT, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("tiny_vit_5m_224", {
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"act_layer": "relu"})", "kwarg 'act_layer' 'relu' is not supported"},
      {R"({"embed_dims": [64, 128, 160]})", "kwarg 'embed_dims' has 3 entries, depths has 4"},
      {R"({"num_heads": [2, 4, 5]})", "kwarg 'num_heads' has 3 entries"},
      {R"({"num_heads": [2, 4, 3, 10]})", "kwarg 'num_heads' stage 2: 3 heads do not divide embed_dims 160"},
      {R"({"window_sizes": [7, 0, 14, 7]})", "kwarg 'window_sizes' stage 1: must be positive"},
      {R"({"local_conv_size": 4})", "kwarg 'local_conv_size' must be odd"},
      {R"({"embed_dim": 64})", "unknown kwarg 'embed_dim'"},
  }, {1, 3, 64, 64});
}

TEST(TinyViT, WrongInputChannelsIsAnError) {
  expect_error("tiny_vit_5m_224", {1, 1, 64, 64}, "the model takes in_chans = 3");
}

}  // namespace
