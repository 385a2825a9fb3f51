// EfficientViT (MIT) config handling: the variants and kwargs build the model timm
// builds (parameter counts and output shapes measured with timm 1.0.29.dev0), and what
// the family does not implement fails naming the kwarg. Numerical parity is in
// parity_test (efficientvit_micro, the extra_efficientvit_* cases, full/efficientvit_b0).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(EfficientViT, MatchesTimmShapesAndSizes) {
  const ExpectedModel cases[] = {
      {"b0", "efficientvit_b0", {1, 3, 224, 224}, 3410008, {1, 128, 7, 7}, {1, 1000}},
      {"b1", "efficientvit_b1", {1, 3, 224, 224}, 9102024, {1, 256, 7, 7}, {1, 1000}},
      {"b2", "efficientvit_b2", {1, 3, 256, 256}, 24330712, {1, 384, 8, 8}, {1, 1000}},
      {"b3", "efficientvit_b3", {1, 3, 288, 288}, 48646056, {1, 512, 9, 9}, {1, 1000}},
      {"heads narrower than the width, odd maps",
       variant_config("efficientvit_b1", R"({"num_classes": 5, "widths": [8, 16, 24, 40, 48], "depths": [2, 1, 2, 1, 1],
                                    "head_dim": 16, "head_widths": [32, 40]})"),
       {3, 3, 72, 56}, 100725, {3, 48, 3, 2}, {3, 5}},
      {"expand_ratio 1 (DSConv), no classifier",
       variant_config("efficientvit_b2", R"({"num_classes": 0, "widths": [8, 16, 16, 24, 32], "depths": [0, 2, 1, 1, 2],
                                    "head_dim": 8, "expand_ratio": 1, "head_widths": [24, 32]})"),
       {1, 3, 48, 64}, 33120, {1, 32, 2, 2}, {1, 32}},
  };
  for (const ExpectedModel& e : cases) ASSERT_NO_FATAL_FAILURE(expect_model(e));
}

TEST(EfficientViT, DefaultInputIs224) {
  // timm's default cfg of every B variant is its r224_in1k weights.
  for (const char* name : {"efficientvit_b0", "efficientvit_b3"}) {
    EXPECT_EQ(Model::load(name).default_input_shape(2), (Shape{2, 3, 224, 224})) << name;
  }
}

TEST(EfficientViT, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("efficientvit_b0", {
      {R"({"act_layer": "relu"})", "kwarg 'act_layer' 'relu' is not supported"},
      {R"({"norm_layer": "layernorm"})", "kwarg 'norm_layer' 'layernorm' is not supported"},
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"head_widths": [1024]})", "kwarg 'head_widths' must be [in_conv width, hidden width]"},
      {R"({"depths": [1, 2, 2]})", "kwarg 'depths' has 3 entries, widths has 5"},
      {R"({"widths": []})", "kwarg 'widths' must list the stem width"},
      {R"({"head_dim": 0})", "kwarg 'head_dim' must be positive"},
      {R"({"head_dim": 256})", "head_dim 256 is wider than the 64 channels"},
      {R"({"embed_dim": 8})", "unknown kwarg 'embed_dim'"},
  }, {1, 3, 64, 64});
}

TEST(EfficientViT, WrongInputChannelsIsAnError) {
  expect_error("efficientvit_b0", {1, 1, 64, 64}, "the model takes in_chans = 3");
}

}  // namespace
