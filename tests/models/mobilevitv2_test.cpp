// MobileViTv2 config handling: the variants (timm's _mobilevitv2_cfg multipliers) and
// ByoModelCfg kwargs with 'mobilevit2' blocks build the model timm builds (parameter
// counts and output shapes measured with timm 1.0.29.dev0), and what the family does
// not implement fails naming the kwarg. Numerical parity is in parity_test
// (mobilevitv2_micro, mobilevitv2_micro_odd, extra_mobilevitv2_*, full/mobilevitv2_050).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(MobileViTv2, VariantsMatchTimmSizes) {
  struct Expected {
    const char* name;
    int64_t params;   // timm: sum(p.numel() for p in model.parameters())
    int64_t channels;
  };
  const Expected variants[] = {
      {"mobilevitv2_050", 1370593, 256},  {"mobilevitv2_075", 2866009, 384},
      {"mobilevitv2_100", 4901841, 512},  {"mobilevitv2_125", 7478089, 640},
      {"mobilevitv2_150", 10594753, 768}, {"mobilevitv2_175", 14251833, 896},
      {"mobilevitv2_200", 18449329, 1024},
  };
  for (const Expected& e : variants) {
    ASSERT_NO_FATAL_FAILURE(expect_model({"", e.name, {1, 3, 256, 256}, e.params, {1, e.channels, 8, 8}, {1, 1000}}));
  }
}

TEST(MobileViTv2, CustomBlocksAndOddMapsMatchTimm) {
  // Maps of 10x7 and 5x5 are enlarged to 10x9 (patch 2x3) and 6x6, and stay enlarged.
  const std::string blocks = R"([
    {"type": "bottle", "d": 1, "c": 8, "s": 1, "gs": 1, "br": 2.0, "block_kwargs": {"bottle_in": true, "linear_out": true}},
    {"type": "bottle", "d": 1, "c": 16, "s": 2, "gs": 1, "br": 2.0, "block_kwargs": {"bottle_in": true, "linear_out": true}},
    [{"type": "bottle", "d": 1, "c": 24, "s": 2, "gs": 1, "br": 2.0, "block_kwargs": {"bottle_in": true, "linear_out": true}},
     {"type": "mobilevit2", "d": 1, "c": 24, "s": 1, "gs": 1, "br": 0.5,
      "block_kwargs": {"transformer_depth": 2, "patch_size": [2, 3], "mlp_ratio": 3.0, "kernel_size": 5}}],
    [{"type": "bottle", "d": 1, "c": 32, "s": 2, "gs": 1, "br": 2.0, "block_kwargs": {"bottle_in": true, "linear_out": true}},
     {"type": "mobilevit2", "d": 1, "c": 40, "s": 1, "gs": null, "br": 1.0,
      "block_kwargs": {"transformer_depth": 1, "patch_size": 2, "transformer_dim": 16}}]])";
  expect_model({"custom blocks, odd maps",
                variant_config("mobilevitv2_075",
                               R"({"num_classes": 7, "stem_chs": 8, "num_features": 48, "blocks": )" + blocks + "}"),
                {3, 3, 80, 56}, 27818, {3, 48, 6, 6}, {3, 7}});
}

TEST(MobileViTv2, DefaultInputIs256) {
  EXPECT_EQ(Model::load("mobilevitv2_200").default_input_shape(1), (Shape{1, 3, 256, 256}));
}

TEST(MobileViTv2, UnsupportedConfigNamesTheKwarg) {
  const std::string block = R"({"blocks": [{"type": "mobilevit2", "d": 1, "c": 8, "s": 1, "block_kwargs": )";
  expect_kwarg_errors("mobilevitv2_050", {
      {block + R"({"num_heads": 2}}]})", "blocks[0] block_kwargs: unknown kwarg 'num_heads'"},
      {block + R"({"transformer_norm_layer": "layernorm2d"}}]})", "kwarg 'transformer_norm_layer' is not supported"},
      {block + R"({"patch_size": 0}}]})", "kwarg 'patch_size' must be positive"},
      {block + R"({"kernel_size": 4}}]})", "kwarg 'kernel_size' must be a positive odd number"},
      {R"({"act_layer": "hard_swish"})", "kwarg 'act_layer' 'hard_swish' is not supported"},
  }, {1, 3, 64, 64});
}

TEST(MobileViTv2, WrongInputChannelsIsAnError) {
  expect_error("mobilevitv2_050", {1, 1, 64, 64}, "the model takes in_chans = 3");
}

}  // namespace
