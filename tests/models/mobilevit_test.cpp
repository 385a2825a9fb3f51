// MobileViT config handling: the ByoModelCfg/ByoBlockCfg kwargs build the model timm
// builds (parameter counts and feature shapes measured with timm 1.0.29.dev0), and
// what the family does not implement fails naming the kwarg. Numerical parity is in
// parity_test (mobilevit_micro, mobilevit_micro_odd, full/mobilevit_xxs).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(MobileViT, MatchesTimmShapesAndSizes) {
  const std::string custom_blocks = R"([
    {"type": "bottle", "d": 1, "c": 8, "s": 1, "gs": null, "br": 1.0, "attn_layer": "",
     "block_kwargs": {"extra_conv": true, "kernel_size": 5}},
    {"type": "bottle", "d": 2, "c": 16, "s": 2, "gs": 2, "br": 1.5, "attn_layer": ""},
    [{"type": "bottle", "d": 1, "c": 24, "s": 2, "gs": 1, "br": 2.0, "attn_layer": "",
      "block_kwargs": {"bottle_in": true, "linear_out": true}},
     {"type": "mobilevit", "d": 1, "c": 24, "s": 1, "gs": null, "br": 1.0,
      "block_kwargs": {"transformer_dim": 32, "transformer_depth": 1, "patch_size": [2, 3], "num_heads": 2,
                       "mlp_ratio": 3.0, "kernel_size": 5}}],
    [{"type": "bottle", "d": 1, "c": 32, "s": 2, "gs": 1, "br": 2.0, "attn_layer": "",
      "block_kwargs": {"bottle_in": true, "linear_out": true}},
     {"type": "mobilevit", "d": 1, "c": 40, "s": 2, "gs": 8, "br": 2.0,
      "block_kwargs": {"transformer_depth": 2, "patch_size": 3, "no_fusion": true}}]])";
  const ExpectedModel cases[] = {
      {"xs, non-square", "mobilevit_xs", {2, 3, 160, 192}, 2317848, {2, 384, 5, 6}, {2, 1000}},
      {"xxs, odd maps", "mobilevit_xxs", {1, 3, 97, 131}, 1272024, {1, 320, 4, 5}, {1, 1000}},
      {"output_stride 16", variant_config("mobilevit_xxs", R"({"output_stride": 16})"), {2, 3, 128, 96}, 1272024,
       {2, 320, 8, 6}, {2, 1000}},
      {"output_stride 8", variant_config("mobilevit_xxs", R"({"output_stride": 8, "num_classes": 7})"), {1, 3, 96, 96},
       953271, {1, 320, 12, 12}, {1, 7}},
      {"width_factor", variant_config("mobilevit_xxs", R"({"width_factor": 0.75, "num_classes": 0})"), {1, 3, 64, 64},
       791076, {1, 240, 2, 2}, {1, 240}},
      {"no pooling", variant_config("mobilevit_xs", R"({"global_pool": "", "num_classes": 0})"), {1, 3, 64, 80},
       1932848, {1, 384, 2, 3}, {1, 384, 2, 3}},
      {"conv1x1 shortcuts",
       variant_config("mobilevit_s", R"({"act_layer": "relu", "downsample": "conv1x1", "num_classes": 5})"),
       {1, 3, 64, 64}, 4983269, {1, 640, 2, 2}, {1, 5}},
      {"7x7 stem, no final conv",
       variant_config("mobilevit_xxs",
                      R"({"act_layer": "gelu", "stem_chs": null, "stem_type": "7x7", "num_features": 0})"),
       {1, 3, 64, 64}, 1007704, {1, 80, 2, 2}, {1, 1000}},
      {"custom blocks",
       variant_config("mobilevit_xxs", R"({"num_classes": 10, "stem_chs": 12, "num_features": 48, "downsample": "conv1x1",
                                   "attn_layer": "se", "blocks": )" + custom_blocks + "}"),
       {1, 3, 70, 90}, 145094, {1, 48, 5, 6}, {1, 10}},
  };
  for (const ExpectedModel& e : cases) ASSERT_NO_FATAL_FAILURE(expect_model(e));
}

TEST(MobileViT, DefaultInputIs256) {
  EXPECT_EQ(Model::load("mobilevit_s").default_input_shape(2), (Shape{2, 3, 256, 256}));
}

TEST(MobileViT, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("mobilevit_xxs", {
      {R"({"attn_layer": "se"})", "blocks[0]: kwarg 'attn_layer' 'se' is not supported"},
      {R"({"act_layer": "hard_swish"})", "kwarg 'act_layer' 'hard_swish' is not supported"},
      {R"({"norm_layer": "layernorm"})", "kwarg 'norm_layer' 'layernorm' is not supported"},
      {R"({"stem_pool": "maxpool"})", "kwarg 'stem_pool' 'maxpool' is not supported"},
      {R"({"stem_type": "deep"})", "kwarg 'stem_type' 'deep' is not supported"},
      {R"({"stem_chs": [16, 32]})", "kwarg 'stem_chs' must be an integer or null"},
      {R"({"global_pool": "max"})", "kwarg 'global_pool' 'max' is not supported"},
      {R"({"global_pool": ""})", "'' (no pooling) needs num_classes = 0"},
      {R"({"aa_layer": "blur"})", "kwarg 'aa_layer' 'blur' is not supported"},
      {R"({"head_type": "mlp"})", "kwarg 'head_type' 'mlp' is not supported"},
      {R"({"downsample": "avg"})", "blocks[1]: kwarg 'downsample' 'avg' is not supported"},
      {R"({"output_stride": 4})", "kwarg 'output_stride' must be 8, 16 or 32"},
      {R"({"embed_dim": 8})", "unknown kwarg 'embed_dim'"},
      {R"({"blocks": []})", "kwarg 'blocks' must be a non-empty list"},
      {R"({"blocks": [{"type": "basic", "d": 1, "c": 8}]})", "blocks[0]: kwarg 'type' 'basic' is not supported"},
      {R"({"blocks": [{"type": "bottle", "c": 8}]})", "blocks[0]: kwarg 'd' is required"},
      {R"({"blocks": [{"type": "bottle", "d": 1, "c": 8, "colour": 1}]})", "blocks[0]: unknown kwarg 'colour'"},
      {R"({"blocks": [{"type": "bottle", "d": 1, "c": 8, "block_kwargs": {"transformer_dim": 8}}]})",
       "blocks[0] block_kwargs: unknown kwarg 'transformer_dim'"},
      {R"({"blocks": [[{"type": "bottle", "d": 1, "c": 8, "s": 1}, {"type": "mobilevit", "d": 1, "c": 8,
                        "block_kwargs": {"transformer_dim": 12, "num_heads": 5}}]]})",
       "blocks[0][1]: num_heads 5 does not divide transformer_dim 12"},
      {R"({"blocks": [{"type": "mobilevit", "d": 1, "c": 8, "s": 2}]})",
       "blocks[0]: a 'mobilevit' block that starts a stage with stride 2 cannot fuse"},
      {R"({"blocks": [{"type": "bottle", "d": 1, "c": 8, "gs": 3}]})", "gs = 3 does not divide"},
  }, {1, 3, 64, 64});
}

TEST(MobileViT, WrongInputChannelsIsAnError) {
  expect_error("mobilevit_xxs", {1, 4, 64, 64}, "the model takes in_chans = 3");
}

}  // namespace
