// BEiT config handling: the variants build the models timm builds
// (parameter counts measured with timm 1.0.29.dev0: sum(p.numel() for p in
// model.parameters())), what the family does not implement fails naming the kwarg,
// and inputs that do not fit are clear errors. Numerical parity is in parity_test
// (beit_micro and the extra_beit_* cases in tests/data).
#include <gtest/gtest.h>

#include <string>

#include "litevit/litevit.h"
#include "model_test_util.h"

namespace {

using litevit::Model;
using namespace litevit::testing_util;

TEST(Beit, DefaultInputFollowsImgSize) {
  EXPECT_EQ(Model::load("beit_large_patch16_384").default_input_shape(1), (Shape{1, 3, 384, 384}));
}

TEST(Beit, MatchesTimmParamCounts) {
  const ExpectedModel cases[] = {
      {"", "beit_base_patch16_224", {1, 3, 224, 224}, 86530984, {1, 197, 768}, {1, 1000}},
      {"", "beit_base_patch16_384", {1, 3, 384, 384}, 86744104, {1, 577, 768}, {1, 1000}},
      {"", "beit_large_patch16_224", {1, 3, 224, 224}, 304430568, {1, 197, 1024}, {1, 1000}},
      {"", "beit_large_patch16_384", {1, 3, 384, 384}, 304998888, {1, 577, 1024}, {1, 1000}},
      {"", "beit_large_patch16_512", {1, 3, 512, 512}, 305674728, {1, 1025, 1024}, {1, 1000}},
      {"", "beitv2_base_patch16_224", {1, 3, 224, 224}, 86530984, {1, 197, 768}, {1, 1000}},
  };
  for (const ExpectedModel& e : cases) expect_model(e);
}

TEST(Beit, UnsupportedConfigNamesTheKwarg) {
  expect_kwarg_errors("beit_base_patch16_224", {
      {R"({"swiglu_mlp": true})", "kwarg 'swiglu_mlp' = true is not supported"},
      {R"({"scale_mlp": true})", "kwarg 'scale_mlp' = true is not supported"},
      {R"({"norm_layer": "rmsnorm"})", "kwarg 'norm_layer'"},
      {R"({"num_heads": 5})", "kwarg 'num_heads' 5 does not divide embed_dim 768"},
      {R"({"colour": 1})", "unknown kwarg 'colour'"},
  }, {1, 3, 224, 224});
}

TEST(Beit, InputErrorsAreClear) {
  expect_errors({{"beit_base_patch16_224", "does not fit the model, which takes [N,3,224,224]"}}, {1, 3, 256, 256});
}

}  // namespace
