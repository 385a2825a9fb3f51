// EfficientFormer config handling: the kwargs build the model timm builds (parameter
// counts and shapes measured with timm 1.0.29.dev0), unsupported settings fail naming
// the kwarg, and inputs the fixed 7x7 attention cannot take are clear errors. Numerical
// parity is in parity_test (efficientformer_micro, extra_efficientformer_*).
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

TEST(EfficientFormer, MatchesTimmShapesAndSizes) {
  const Expected cases[] = {
      {"l1", "efficientformer_l1", {2, 3, 224, 224}, 12289928, {2, 49, 448}, {2, 1000}},
      {"l3", "efficientformer_l3", {1, 3, 224, 224}, 31406000, {1, 49, 512}, {1, 1000}},
      {"l7 without head, 200x224", config("efficientformer_l7", R"({"num_classes": 0})"), {1, 3, 200, 224},
       80691328, {1, 49, 768}, {1, 768}},
      {"all-token last stage, no downsample, per-token logits",
       config("efficientformer_l1", R"({"depths": [1, 1, 1, 2], "embed_dims": [16, 24, 32, 32],
                                       "downsamples": [false, true, true, false], "num_vit": 3, "mlp_ratios": 3,
                                       "global_pool": "", "num_classes": 5})"),
       {1, 3, 112, 112}, 205202, {1, 49, 32}, {1, 49, 5}},
  };
  for (const Expected& e : cases) {
    const litevit::ModelInfo info = Model::load(e.spec).info(e.input);
    EXPECT_EQ(info.params, e.params) << e.what;
    ASSERT_EQ(info.outputs.size(), 2u) << e.what;
    EXPECT_EQ(info.outputs[0].shape, e.features) << e.what;
    EXPECT_EQ(info.outputs[1].shape, e.logits) << e.what;
  }
}

TEST(EfficientFormer, DefaultInputIs224) {
  EXPECT_EQ(Model::load("efficientformer_l7").default_input_shape(2), (Shape{2, 3, 224, 224}));
}

TEST(EfficientFormer, UnsupportedConfigNamesTheKwarg) {
  struct Bad {
    std::string kwargs;
    std::string message;
  };
  const Bad bad[] = {
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
  };
  for (const Bad& b : bad) {
    const std::string message =
        error_of([&] { Model::load(config("efficientformer_l1", b.kwargs)).info({1, 3, 224, 224}); });
    EXPECT_NE(message.find(b.message), std::string::npos) << b.kwargs << "\n  -> " << message;
  }
}

TEST(EfficientFormer, InputErrorsAreClear) {
  std::string message = error_of([] { Model::load("efficientformer_l1").info({1, 3, 256, 256}); });
  EXPECT_NE(message.find("the last stage's map is 8x8 (64 tokens)"), std::string::npos) << message;
  EXPECT_NE(message.find("must be 224x224"), std::string::npos) << message;
  message = error_of([] { Model::load("efficientformer_l1").info({1, 1, 224, 224}); });
  EXPECT_NE(message.find("the model takes in_chans = 3"), std::string::npos) << message;
}

}  // namespace
