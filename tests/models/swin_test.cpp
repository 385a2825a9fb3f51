// Swin config handling: the variants build the models timm builds
// (parameter counts measured with timm 1.0.29.dev0: sum(p.numel() for p in
// model.parameters())), what the family does not implement fails naming the kwarg,
// and inputs that do not fit are clear errors. Numerical parity is in parity_test
// (swin_micro and the extra_swin_* cases in tests/data).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(Swin, MatchesTimmParamCounts) {
  const ExpectedModel cases[] = {
      {"", "swin_tiny_patch4_window7_224", {1, 3, 224, 224}, 28288354, {1, 7, 7, 768}, {1, 1000}},
      {"", "swin_small_patch4_window7_224", {1, 3, 224, 224}, 49606258, {1, 7, 7, 768}, {1, 1000}},
      {"", "swin_base_patch4_window7_224", {1, 3, 224, 224}, 87768224, {1, 7, 7, 1024}, {1, 1000}},
      {"", "swin_base_patch4_window12_384", {1, 3, 384, 384}, 87903584, {1, 12, 12, 1024}, {1, 1000}},
      {"", "swin_large_patch4_window7_224", {1, 3, 224, 224}, 196532476, {1, 7, 7, 1536}, {1, 1000}},
      {"", "swin_large_patch4_window12_384", {1, 3, 384, 384}, 196735516, {1, 12, 12, 1536}, {1, 1000}},
  };
  for (const ExpectedModel& e : cases) expect_model(e);
}

TEST(Swin, DefaultInputFollowsImgSize) {
  EXPECT_EQ(Model::load("swin_base_patch4_window12_384").default_input_shape(2), (Shape{2, 3, 384, 384}));
}

TEST(Swin, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("swin_tiny_patch4_window7_224", {
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"norm_layer": "rmsnorm"})", "kwarg 'norm_layer'"},
      {R"({"embed_layer": "conv"})", "kwarg 'embed_layer'"},
      {R"({"num_heads": [3, 6, 12]})", "kwarg 'num_heads' has 3 entries, depths has 4"},
      {R"({"num_heads": [3, 6, 12, 25]})", "kwarg 'num_heads' 25 does not divide the stage 3 width 768"},
      {R"({"window_size": [7, 7, 7]})", "kwarg 'window_size' has 3 entries, expected one per stage (4)"},
      {R"({"window_size": 0})", "kwarg 'window_size' must be a positive integer"},
      {R"({"mlp_ratio": [4, 4]})", "kwarg 'mlp_ratio' has 2 entries"},
      {R"({"depths": []})", "kwarg 'depths' must be a non-empty list"},
      {R"({"colour": 1})", "unknown kwarg 'colour'"},
  }, {1, 3, 224, 224});
}

TEST(Swin, InputErrorsAreClear) {
  expect_errors({
      {"swin_tiny_patch4_window7_224", "does not fit the model, which takes [N,3,224,224]"},
      {variant_config("swin_tiny_patch4_window7_224", R"({"strict_img_size": false})"),
       "multiples of the patch size 4"},
  }, {1, 3, 230, 230});
  expect_errors({{"swin_tiny_patch4_window7_224", "has 4 channels, the model takes in_chans = 3"}}, {1, 4, 224, 224});
}

TEST(Swin, NonStrictRunsOtherSizes) {
  // timm with strict_img_size=False keeps the windows fixed for img_size, pads
  // each map to whole windows and computes the shifted-window mask per input.
  expect_model({"", variant_config("swin_tiny_patch4_window7_224", R"({"strict_img_size": false})"), {1, 3, 160, 256},
                28288354, {1, 5, 8, 768}, {1, 1000}});
}

}  // namespace
