// EfficientFormer config handling: the kwargs build the model timm builds (parameter
// counts and shapes measured with timm 1.0.29.dev0), unsupported settings fail naming
// the kwarg, and inputs the fixed 7x7 attention cannot take are clear errors. Numerical
// parity is in parity_test (efficientformer_micro, extra_efficientformer_*).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(EfficientFormer, MatchesTimmShapesAndSizes) {
  const ExpectedModel cases[] = {
      {"l1", "efficientformer_l1", {2, 3, 224, 224}, 12289928, {2, 49, 448}, {2, 1000}},
      {"l3", "efficientformer_l3", {1, 3, 224, 224}, 31406000, {1, 49, 512}, {1, 1000}},
      {"l7 without head, 200x224", variant_config("efficientformer_l7", R"({"num_classes": 0})"), {1, 3, 200, 224},
       80691328, {1, 49, 768}, {1, 768}},
      {"all-token last stage, no downsample, per-token logits",
       variant_config("efficientformer_l1", R"({"depths": [1, 1, 1, 2], "embed_dims": [16, 24, 32, 32],
                                       "downsamples": [false, true, true, false], "num_vit": 3, "mlp_ratios": 3,
                                       "global_pool": "", "num_classes": 5})"),
       {1, 3, 112, 112}, 205202, {1, 49, 32}, {1, 49, 5}},
  };
  for (const ExpectedModel& e : cases) ASSERT_NO_FATAL_FAILURE(expect_model(e));
}

TEST(EfficientFormer, DefaultInputIs224) {
  EXPECT_EQ(Model::load("efficientformer_l7").default_input_shape(2), (Shape{2, 3, 224, 224}));
}

TEST(EfficientFormer, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("efficientformer_l1", {
      {R"({"num_vit": 0})", "kwarg 'num_vit' must be at least 1"},
      {R"({"act_layer": "Hardswish"})", "kwarg 'act_layer' 'Hardswish' is not supported"},
      {R"({"norm_layer": "GroupNorm"})", "kwarg 'norm_layer' 'GroupNorm' is not supported"},
      {R"({"norm_layer_cl": "RmsNorm"})", "kwarg 'norm_layer_cl' 'RmsNorm' is not supported"},
      {R"({"global_pool": "token"})", "kwarg 'global_pool' 'token' is not supported"},
      {R"({"downsamples": [false, false, true, true]})", "kwarg 'downsamples' stage 1 has no downsample"},
      {R"({"downsamples": [false, true]})", "kwarg 'downsamples' has 2 entries for 4 stages"},
      {R"({"embed_dims": [48, 96]})", "kwarg 'embed_dims' has 2 entries for 4 stages"},
      {R"({"pool_size": 2})", "kwarg 'pool_size' must be a positive odd number"},
      {R"({"key_dim": 16})", "unknown kwarg 'key_dim'"},
  }, {1, 3, 224, 224});
}

TEST(EfficientFormer, InputErrorsAreClear) {
  expect_error("efficientformer_l1", {1, 3, 256, 256}, "the last stage's map is 8x8 (64 tokens)");
  expect_error("efficientformer_l1", {1, 3, 256, 256}, "must be 224x224");
  expect_error("efficientformer_l1", {1, 1, 224, 224}, "the model takes in_chans = 3");
}

}  // namespace
