// MobileViTv2 config handling: the variants (timm's _mobilevitv2_cfg multipliers) and
// ByoModelCfg kwargs with 'mobilevit2' blocks build the model timm builds (parameter
// counts and output shapes measured with timm 1.0.29.dev0), and what the family does
// not implement fails naming the kwarg. Numerical parity is in parity_test
// (mobilevitv2_micro, mobilevitv2_micro_odd, extra_mobilevitv2_*, full/mobilevitv2_050).
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
    const litevit::ModelInfo info = Model::load(e.name).info({1, 3, 256, 256});
    EXPECT_EQ(info.params, e.params) << e.name;
    ASSERT_EQ(info.outputs.size(), 2u) << e.name;
    EXPECT_EQ(info.outputs[0].shape, (Shape{1, e.channels, 8, 8})) << e.name;
    EXPECT_EQ(info.outputs[1].shape, (Shape{1, 1000})) << e.name;
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
  const litevit::ModelInfo info =
      Model::load(config("mobilevitv2_075", R"({"num_classes": 7, "stem_chs": 8, "num_features": 48, "blocks": )" +
                                                blocks + "}"))
          .info({3, 3, 80, 56});
  EXPECT_EQ(info.params, 27818);
  ASSERT_EQ(info.outputs.size(), 2u);
  EXPECT_EQ(info.outputs[0].shape, (Shape{3, 48, 6, 6}));
  EXPECT_EQ(info.outputs[1].shape, (Shape{3, 7}));
}

TEST(MobileViTv2, DefaultInputIs256) {
  EXPECT_EQ(Model::load("mobilevitv2_200").default_input_shape(1), (Shape{1, 3, 256, 256}));
}

TEST(MobileViTv2, UnsupportedConfigNamesTheKwarg) {
  struct Bad {
    std::string kwargs;
    std::string message;
  };
  const std::string block = R"({"blocks": [{"type": "mobilevit2", "d": 1, "c": 8, "s": 1, "block_kwargs": )";
  const Bad bad[] = {
      {block + R"({"num_heads": 2}}]})", "blocks[0] block_kwargs: unknown kwarg 'num_heads'"},
      {block + R"({"transformer_norm_layer": "layernorm2d"}}]})", "kwarg 'transformer_norm_layer' is not supported"},
      {block + R"({"patch_size": 0}}]})", "kwarg 'patch_size' must be positive"},
      {block + R"({"kernel_size": 4}}]})", "kwarg 'kernel_size' must be a positive odd number"},
      {R"({"act_layer": "hard_swish"})", "kwarg 'act_layer' 'hard_swish' is not supported"},
  };
  for (const Bad& b : bad) {
    const std::string message =
        error_of([&] { Model::load(config("mobilevitv2_050", b.kwargs)).info({1, 3, 64, 64}); });
    EXPECT_NE(message.find(b.message), std::string::npos) << b.kwargs << "\n  -> " << message;
  }
}

TEST(MobileViTv2, WrongInputChannelsIsAnError) {
  const std::string message = error_of([] { Model::load("mobilevitv2_050").info({1, 1, 64, 64}); });
  EXPECT_NE(message.find("the model takes in_chans = 3"), std::string::npos) << message;
}

}  // namespace
