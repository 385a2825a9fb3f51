// PoolFormer config handling: the MetaFormer kwargs build the model timm builds
// (parameter counts and shapes measured with timm 1.0.29.dev0), and what the family does
// not implement fails naming the kwarg. Numerical parity is in parity_test
// (poolformer_micro, extra_poolformer_*).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "litevit/litevit.h"
#include "test_util.h"

namespace {

using litevit::Model;
using litevit::testing_util::error_of;
using Shape = std::vector<int64_t>;

std::string config(const std::string& timm_name, const std::string& kwargs) {
  return R"({"timm_name": ")" + timm_name + R"(", "kwargs": )" + kwargs + "}";
}

struct Expected {
  const char* what;
  std::string spec;
  Shape input;
  int64_t params;   // timm: sum(p.numel() for p in model.parameters())
  Shape features;
  Shape logits;
};

TEST(PoolFormer, MatchesTimmShapesAndSizes) {
  const Expected cases[] = {
      {"s12", "poolformer_s12", {2, 3, 224, 224}, 11915176, {2, 512, 7, 7}, {2, 1000}},
      {"m48", "poolformer_m48", {1, 3, 224, 224}, 73473448, {1, 768, 7, 7}, {1, 1000}},
      {"s24 without pooling or head", config("poolformer_s24", R"({"num_classes": 0, "global_pool": ""})"),
       {1, 3, 96, 80}, 20875968, {1, 512, 3, 3}, {1, 512, 3, 3}},
      {"s36, one channel, odd size", config("poolformer_s36", R"({"num_classes": 5, "in_chans": 1})"),
       {1, 1, 65, 47}, 30346053, {1, 512, 2, 2}, {1, 5}},
      {"MetaFormer options",
       config("poolformer_s12", R"({"depths": [1, 1, 1, 1], "dims": [16, 16, 24, 32], "norm_layers": "LayerNorm2d",
                                   "downsample_norm": "LayerNorm2d", "res_scale_init_values": [null, null, 1.0, 1.0],
                                   "layer_scale_init_values": null, "mlp_act": "StarReLU", "mlp_bias": false,
                                   "use_mlp_head": true, "num_classes": 7, "pool_size": 5})"),
       {1, 3, 64, 64}, 35719, {1, 32, 4, 4}, {1, 7}},
  };
  for (const Expected& e : cases) {
    const litevit::ModelInfo info = Model::load(e.spec).info(e.input);
    EXPECT_EQ(info.params, e.params) << e.what;
    ASSERT_EQ(info.outputs.size(), 2u) << e.what;
    EXPECT_EQ(info.outputs[0].shape, e.features) << e.what;
    EXPECT_EQ(info.outputs[1].shape, e.logits) << e.what;
  }
}

TEST(PoolFormer, DefaultInputIs224) {
  EXPECT_EQ(Model::load("poolformer_m36").default_input_shape(1), (Shape{1, 3, 224, 224}));
}

TEST(PoolFormer, UnsupportedConfigNamesTheKwarg) {
  struct Bad {
    std::string kwargs;
    std::string message;
  };
  const Bad bad[] = {
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
  };
  for (const Bad& b : bad) {
    const std::string message =
        error_of([&] { Model::load(config("poolformer_s12", b.kwargs)).info({1, 3, 64, 64}); });
    EXPECT_NE(message.find(b.message), std::string::npos) << b.kwargs << "\n  -> " << message;
  }
}

TEST(PoolFormer, InputErrorsAreClear) {
  std::string message = error_of([] { Model::load("poolformer_s12").info({1, 4, 64, 64}); });
  EXPECT_NE(message.find("the model takes in_chans = 3"), std::string::npos) << message;
  message = error_of([] { Model::load("poolformer_s12").info({1, 3, 2, 64}); });
  EXPECT_NE(message.find("is too small"), std::string::npos) << message;
}

}  // namespace
