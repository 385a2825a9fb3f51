// BEiT config handling: the variants build the models timm builds
// (parameter counts measured with timm 1.0.29.dev0: sum(p.numel() for p in
// model.parameters())), what the family does not implement fails naming the kwarg,
// and inputs that do not fit are clear errors. Numerical parity is in parity_test
// (beit_micro and the extra_beit_* cases in tests/data).
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

TEST(Beit, DefaultInputFollowsImgSize) {
  EXPECT_EQ(Model::load("beit_large_patch16_384").default_input_shape(1), (Shape{1, 3, 384, 384}));
}

TEST(Beit, MatchesTimmParamCounts) {
  const Expected cases[] = {
      {"beit_base_patch16_224", {1, 3, 224, 224}, 86530984, {1, 197, 768}, {1, 1000}},
      {"beit_base_patch16_384", {1, 3, 384, 384}, 86744104, {1, 577, 768}, {1, 1000}},
      {"beit_large_patch16_224", {1, 3, 224, 224}, 304430568, {1, 197, 1024}, {1, 1000}},
      {"beit_large_patch16_384", {1, 3, 384, 384}, 304998888, {1, 577, 1024}, {1, 1000}},
      {"beit_large_patch16_512", {1, 3, 512, 512}, 305674728, {1, 1025, 1024}, {1, 1000}},
      {"beitv2_base_patch16_224", {1, 3, 224, 224}, 86530984, {1, 197, 768}, {1, 1000}},
  };
  for (const Expected& e : cases) check(e);
}

TEST(Beit, UnsupportedConfigNamesTheKwarg) {
  const std::string t = "beit_base_patch16_224";
  expect_errors({
      {config(t, R"({"swiglu_mlp": true})"), "kwarg 'swiglu_mlp' = true is not supported"},
      {config(t, R"({"scale_mlp": true})"), "kwarg 'scale_mlp' = true is not supported"},
      {config(t, R"({"norm_layer": "rmsnorm"})"), "kwarg 'norm_layer'"},
      {config(t, R"({"num_heads": 5})"), "kwarg 'num_heads' 5 does not divide embed_dim 768"},
      {config(t, R"({"colour": 1})"), "unknown kwarg 'colour'"},
  }, {1, 3, 224, 224});
}

TEST(Beit, InputErrorsAreClear) {
  expect_errors({{"beit_base_patch16_224", "does not fit the model, which takes [N,3,224,224]"}}, {1, 3, 256, 256});
}

}  // namespace
