// PoolFormer config handling: the MetaFormer kwargs build the model timm builds
// (parameter counts and shapes measured with timm 1.0.29.dev0), and what the family does
// not implement fails naming the kwarg. Numerical parity is in parity_test
// (poolformer_micro, extra_poolformer_*).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(PoolFormer, MatchesTimmShapesAndSizes) {
  const ExpectedModel cases[] = {
      {"s12", "poolformer_s12", {2, 3, 224, 224}, 11915176, {2, 512, 7, 7}, {2, 1000}},
      {"m48", "poolformer_m48", {1, 3, 224, 224}, 73473448, {1, 768, 7, 7}, {1, 1000}},
      {"s24 without pooling or head", variant_config("poolformer_s24", R"({"num_classes": 0, "global_pool": ""})"),
       {1, 3, 96, 80}, 20875968, {1, 512, 3, 3}, {1, 512, 3, 3}},
      {"s36, one channel, odd size", variant_config("poolformer_s36", R"({"num_classes": 5, "in_chans": 1})"),
       {1, 1, 65, 47}, 30346053, {1, 512, 2, 2}, {1, 5}},
      {"MetaFormer options",
       variant_config("poolformer_s12", R"({"depths": [1, 1, 1, 1], "dims": [16, 16, 24, 32], "norm_layers": "LayerNorm2d",
                                   "downsample_norm": "LayerNorm2d", "res_scale_init_values": [null, null, 1.0, 1.0],
                                   "layer_scale_init_values": null, "mlp_act": "StarReLU", "mlp_bias": false,
                                   "use_mlp_head": true, "num_classes": 7, "pool_size": 5})"),
       {1, 3, 64, 64}, 35719, {1, 32, 4, 4}, {1, 7}},
  };
  for (const ExpectedModel& e : cases) ASSERT_NO_FATAL_FAILURE(expect_model(e));
}

TEST(PoolFormer, DefaultInputIs224) {
  EXPECT_EQ(Model::load("poolformer_m36").default_input_shape(1), (Shape{1, 3, 224, 224}));
}

TEST(PoolFormer, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("poolformer_s12", {
      {R"({"token_mixers": "Attention"})", "kwarg 'token_mixers' 'Attention' is not supported"},
      {R"({"norm_layers": "GroupNorm1NoBias"})", "kwarg 'norm_layers' 'GroupNorm1NoBias' is not supported"},
      {R"({"norm_layers": ["GroupNorm1", 3, "GroupNorm1", "GroupNorm1"]})",
       "kwarg 'norm_layers' must be a class name (string), got 3"},
      {R"({"downsample_norm": "LayerNorm2dNoBias"})", "kwarg 'downsample_norm' 'LayerNorm2dNoBias' is not supported"},
      {R"({"mlp_act": "Swish"})", "kwarg 'mlp_act' 'Swish' is not supported"},
      {R"({"output_norm": "BatchNorm2d"})", "kwarg 'output_norm' 'BatchNorm2d' is not supported"},
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"global_pool": ""})", "'' (no pooling) needs num_classes = 0"},
      {R"({"pool_size": 4})", "kwarg 'pool_size' must be a positive odd number"},
      {R"({"dims": [64, 128, 320]})", "kwarg 'dims' has 3 entries for 4 stages"},
      {R"({"layer_scale_init_values": "big"})", "kwarg 'layer_scale_init_values' must be a number or null"},
      {R"({"embed_dims": [8]})", "unknown kwarg 'embed_dims'"},
  }, {1, 3, 64, 64});
}

TEST(PoolFormer, InputErrorsAreClear) {
  expect_error("poolformer_s12", {1, 4, 64, 64}, "the model takes in_chans = 3");
  expect_error("poolformer_s12", {1, 3, 2, 64}, "is too small");
}

}  // namespace
