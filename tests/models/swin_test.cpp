// Swin config handling: the variants build the models timm builds
// (parameter counts measured with timm 1.0.29.dev0: sum(p.numel() for p in
// model.parameters())), what the family does not implement fails naming the kwarg,
// and inputs that do not fit are clear errors. Numerical parity is in parity_test
// (swin_micro and the extra_swin_* cases in tests/data).
#include <gtest/gtest.h>

#include "test_util.h"

#include <string>
#include <vector>

#include "litevit/litevit.h"

namespace {

using litevit::Model;
using Shape = std::vector<int64_t>;

using litevit::testing_util::error_of;

std::string config(const std::string& timm_name, const std::string& kwargs) {
  return R"({"timm_name": ")" + timm_name + R"(", "kwargs": )" + kwargs + "}";
}

struct Expected {
  std::string spec;
  Shape input;
  int64_t params;
  Shape features;
  Shape logits;
};

void check(const Expected& e) {
  const litevit::ModelInfo info = Model::load(e.spec).info(e.input);
  EXPECT_EQ(info.params, e.params) << e.spec;
  ASSERT_EQ(info.outputs.size(), 2u) << e.spec;
  EXPECT_EQ(info.outputs[0].shape, e.features) << e.spec;
  EXPECT_EQ(info.outputs[1].shape, e.logits) << e.spec;
}

TEST(Swin, MatchesTimmParamCounts) {
  const Expected cases[] = {
      {"swin_tiny_patch4_window7_224", {1, 3, 224, 224}, 28288354, {1, 7, 7, 768}, {1, 1000}},
      {"swin_small_patch4_window7_224", {1, 3, 224, 224}, 49606258, {1, 7, 7, 768}, {1, 1000}},
      {"swin_base_patch4_window7_224", {1, 3, 224, 224}, 87768224, {1, 7, 7, 1024}, {1, 1000}},
      {"swin_base_patch4_window12_384", {1, 3, 384, 384}, 87903584, {1, 12, 12, 1024}, {1, 1000}},
      {"swin_large_patch4_window7_224", {1, 3, 224, 224}, 196532476, {1, 7, 7, 1536}, {1, 1000}},
      {"swin_large_patch4_window12_384", {1, 3, 384, 384}, 196735516, {1, 12, 12, 1536}, {1, 1000}},
  };
  for (const Expected& e : cases) check(e);
}

TEST(Swin, DefaultInputFollowsImgSize) {
  EXPECT_EQ(Model::load("swin_base_patch4_window12_384").default_input_shape(2), (Shape{2, 3, 384, 384}));
}

struct Bad {
  std::string spec;
  std::string message;
};

void expect_errors(const std::vector<Bad>& bad, const Shape& input) {
  for (const Bad& b : bad) {
    const std::string message = error_of([&] { Model::load(b.spec).info(input); });
    EXPECT_NE(message.find(b.message), std::string::npos) << b.spec << "\n  -> " << message;
  }
}

TEST(Swin, UnsupportedConfigNamesTheKwarg) {
  const std::string t = "swin_tiny_patch4_window7_224";
  expect_errors({
      {config(t, R"({"global_pool": "max"})"), "kwarg 'global_pool' 'max' is not supported"},
      {config(t, R"({"norm_layer": "rmsnorm"})"), "kwarg 'norm_layer'"},
      {config(t, R"({"embed_layer": "conv"})"), "kwarg 'embed_layer'"},
      {config(t, R"({"num_heads": [3, 6, 12]})"), "kwarg 'num_heads' has 3 entries, depths has 4"},
      {config(t, R"({"num_heads": [3, 6, 12, 25]})"), "kwarg 'num_heads' 25 does not divide the stage 3 width 768"},
      {config(t, R"({"window_size": [7, 7, 7]})"), "kwarg 'window_size' has 3 entries, expected one per stage (4)"},
      {config(t, R"({"window_size": 0})"), "kwarg 'window_size' must be a positive integer"},
      {config(t, R"({"mlp_ratio": [4, 4]})"), "kwarg 'mlp_ratio' has 2 entries"},
      {config(t, R"({"depths": []})"), "kwarg 'depths' must be a non-empty list"},
      {config(t, R"({"colour": 1})"), "unknown kwarg 'colour'"},
  }, {1, 3, 224, 224});
}

TEST(Swin, InputErrorsAreClear) {
  expect_errors({
      {"swin_tiny_patch4_window7_224", "does not fit the model, which takes [N,3,224,224]"},
      {config("swin_tiny_patch4_window7_224", R"({"strict_img_size": false})"), "multiples of the patch size 4"},
  }, {1, 3, 230, 230});
  expect_errors({{"swin_tiny_patch4_window7_224", "has 4 channels, the model takes in_chans = 3"}}, {1, 4, 224, 224});
}

TEST(Swin, NonStrictRunsOtherSizes) {
  // timm with strict_img_size=False keeps the windows fixed for img_size, pads
  // each map to whole windows and computes the shifted-window mask per input.
  check({config("swin_tiny_patch4_window7_224", R"({"strict_img_size": false})"), {1, 3, 160, 256}, 28288354,
         {1, 5, 8, 768}, {1, 1000}});
}

}  // namespace
