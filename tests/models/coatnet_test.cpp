// CoAtNet config handling: the variants build the models timm builds (parameter counts
// measured with timm 1.0.29.dev0: sum(p.numel() for p in model.parameters())), the
// cfg kwargs overlay like timm's (conv_* / transformer_* prefixes), and what the family
// does not implement fails naming the kwarg. Numerical parity is in parity_test
// (coatnet_micro and the extra_coatnet_* cases).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(CoAtNet, ParamCountsMatchTimm) {
  struct Expected {
    const char* name;
    int64_t params;
    int64_t size = 224;
    int64_t classes = 1000;
  };
  const Expected variants[] = {
      {"coatnet_pico_rw_224", 10851364},
      {"coatnet_nano_rw_224", 15141244},
      {"coatnet_0_rw_224", 27435562},
      {"coatnet_1_rw_224", 41721502},
      {"coatnet_2_rw_224", 73868400},
      {"coatnet_3_rw_224", 181805305, 224, 11821},   // timm's default tag is sw_in12k
      {"coatnet_bn_0_rw_224", 27435562},
      {"coatnet_rmlp_nano_rw_224", 15145116},
      {"coatnet_rmlp_0_rw_224", 27446074},
      {"coatnet_rmlp_1_rw_224", 41691982},
      {"coatnet_rmlp_1_rw2_224", 41724622},
      {"coatnet_rmlp_2_rw_224", 73881264},
      {"coatnet_rmlp_2_rw_384", 73881264, 384},
      {"coatnet_rmlp_3_rw_224", 165152788},
      {"coatnet_nano_cc_224", 13757328},
      {"coatnet_0_224", 25036820},
      {"coatnet_1_224", 42225776},
      {"coatnet_2_224", 74684744},
      {"coatnet_3_224", 166966264},
      {"coatnet_4_224", 275425288},
      {"coatnet_5_224", 687472008},
  };
  for (const Expected& e : variants) {
    const Model model = Model::load(e.name);
    const Shape input{1, 3, e.size, e.size};
    EXPECT_EQ(model.default_input_shape(1), input) << e.name;
    const litevit::ModelInfo info = model.info(input);
    EXPECT_EQ(info.params, e.params) << e.name;
    ASSERT_EQ(info.outputs.size(), 2u) << e.name;
    EXPECT_EQ(info.outputs[1].shape, (Shape{1, e.classes})) << e.name;
  }
}

TEST(CoAtNet, KwargsOverlayTheCfg) {
  // coatnet_micro's kwargs (timm: 62,981 parameters), then with the paper head and rectangular size.
  const std::string micro = R"({"num_classes": 10, "img_size": 64, "embed_dim": [16, 24, 32, 48],
      "depths": [1, 1, 2, 1], "stem_width": [8, 16], "transformer_dim_head": 8})";
  expect_model(
      {"coatnet_micro", variant_config("coatnet_0_rw_224", micro), {2, 3, 64, 64}, 62981, {2, 48, 2, 2}, {2, 10}});
  EXPECT_EQ(Model::load(variant_config("coatnet_0_rw_224", micro)).default_input_shape(2), (Shape{2, 3, 64, 64}));

  const litevit::ModelInfo rect =
      Model::load(variant_config("coatnet_pico_rw_224", R"({"num_classes": 0, "img_size": [64, 96]})"))
          .info({1, 3, 64, 96});
  EXPECT_EQ(rect.outputs[0].shape, (Shape{1, 512, 2, 3}));
  EXPECT_EQ(rect.outputs[1].shape, (Shape{1, 512}));
}

TEST(CoAtNet, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("coatnet_0_rw_224", {
      {R"({"conv_block_type": "convnext"})", "kwarg 'conv_block_type' 'convnext' is not supported"},
      {R"({"transformer_rel_pos_type": "bias_tf"})", "kwarg 'transformer_rel_pos_type' 'bias_tf' is not supported"},
      {R"({"transformer_act_layer": "gelu_tanh"})", "kwarg 'transformer_act_layer' 'gelu_tanh' is not supported"},
      {R"({"conv_padding": "same"})", "kwarg 'conv_padding' 'same' is not supported"},
      {R"({"conv_stride_mode": "x"})", "kwarg 'conv_stride_mode' 'x' is not one of"},
      {R"({"transformer_pool_type": "avg3"})", "kwarg 'transformer_pool_type' 'avg3' is not one of"},
      {R"({"block_type": ["C", "C", "M", "M"]})", "kwarg 'block_type' 'M' is not supported"},
      {R"({"depths": [1, 2]})", "kwarg 'depths' has 2 entries, embed_dim has 4"},
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"transformer_dim_head": 40})", "kwarg 'transformer_dim_head' 40 does not divide"},
      {R"({"conv_cfg": {}})", "unknown kwarg 'conv_cfg'"},
      {R"({"blocks": []})", "unknown kwarg 'blocks'"},
  }, {1, 3, 224, 224});
}

TEST(CoAtNet, InputSizeErrorsAreClear) {
  expect_error("coatnet_0_rw_224", {1, 3, 256, 256},
               "attends over a 16x16 map, but its relative position table is sized for 14x14 (from img_size 224x224)");
  expect_error("coatnet_0_rw_224", {1, 4, 224, 224}, "the model takes in_chans = 3");
}

}  // namespace
