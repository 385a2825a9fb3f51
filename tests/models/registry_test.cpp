// Model specs, configs and the zoo: names resolve, bad configs fail with
// clear messages, every variant builds, and sizes match the published ones.
#include <gtest/gtest.h>

#include "test_util.h"

#include <cmath>

#include "litevit/litevit.h"

namespace {

using litevit::Model;

using litevit::testing_util::error_of;

TEST(Registry, UnknownNameSuggestsNearest) {
  const std::string message = error_of([] { Model::load("deit_tiny_patch16_244"); });
  EXPECT_NE(message.find("unknown model 'deit_tiny_patch16_244'"), std::string::npos) << message;
  EXPECT_NE(message.find("deit_tiny_patch16_224"), std::string::npos) << message;
}

TEST(Registry, UnknownKwargIsAnError) {
  const std::string message = error_of([] {
    Model::load(R"({"timm_name": "vit_tiny_patch16_224", "kwargs": {"embed_dims": 8}})").info({1, 3, 224, 224});
  });
  EXPECT_NE(message.find("unknown kwarg 'embed_dims'"), std::string::npos) << message;
}

TEST(Registry, WrongKwargTypeIsAnError) {
  const std::string message = error_of([] {
    Model::load(R"({"timm_name": "vit_tiny_patch16_224", "kwargs": {"depth": "12"}})").info({1, 3, 224, 224});
  });
  EXPECT_NE(message.find("kwarg 'depth' must be an integer"), std::string::npos) << message;
}

TEST(Registry, FamilyMismatchIsAnError) {
  const std::string message = error_of([] { Model::load(R"({"family": "mobilevit", "timm_name": "deit_tiny_patch16_224"})"); });
  EXPECT_NE(message.find("is a deit model, not mobilevit"), std::string::npos) << message;
}

TEST(Registry, InvalidJsonIsAnError) {
  const std::string message = error_of([] { Model::load(R"({"timm_name": )"); });
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
}

TEST(Registry, WrongResolutionForFixedPositionEmbedding) {
  const std::string message = error_of([] { Model::load("deit_tiny_patch16_224").info({1, 3, 256, 256}); });
  EXPECT_NE(message.find("does not fit the model, which takes [N,3,224,224]"), std::string::npos) << message;
}

TEST(Registry, HeadsMustDivideEmbedDim) {
  const std::string message = error_of([] {
    Model::load(R"({"timm_name": "vit_tiny_patch16_224", "kwargs": {"num_heads": 5}})").info({1, 3, 224, 224});
  });
  EXPECT_NE(message.find("5 does not divide embed_dim 192"), std::string::npos) << message;
}

// Published parameter counts (timm) and MACs counted with attention matmuls
// (../shared/anchors/perf.md, "GMACs aten").
struct Published {
  const char* name;
  int64_t params;
  double gmacs;
};

TEST(Registry, SizesMatchPublished) {
  const Published published[] = {
      {"deit_tiny_patch16_224", 5717416, 1.254},
      {"deit_tiny_distilled_patch16_224", 5910800, 1.261},
      {"mobilevit_xxs", 1272024, 0.407},
      {"mobilevit_xs", 2317848, 1.026},
      {"mobilevit_s", 5578632, 2.001},
  };
  for (const Published& p : published) {
    const Model model = Model::load(p.name);
    const litevit::ModelInfo info = model.info(model.default_input_shape());
    EXPECT_EQ(info.params, p.params) << p.name;
    EXPECT_NEAR(static_cast<double>(info.macs) / 1e9, p.gmacs, 0.0015) << p.name;
  }
}

TEST(Registry, EveryVariantBuildsAtItsDefaultInput) {
  const auto variants = litevit::list_variants();
  ASSERT_GE(variants.size(), 20u);
  for (const auto& v : variants) {
    const Model model = Model::load(v.name);
    const litevit::ModelInfo info = model.info(model.default_input_shape(2));
    ASSERT_EQ(info.outputs.size(), 2u) << v.name;
    EXPECT_EQ(info.outputs[0].name, "features") << v.name;
    EXPECT_EQ(info.outputs[1].name, "logits") << v.name;
    // 1000 classes, except where timm's default pretrained tag has others
    // (coatnet_3_rw_224: sw_in12k, 11821 classes).
    const int64_t classes = v.name == "coatnet_3_rw_224" ? 11821 : 1000;
    EXPECT_EQ(info.outputs[1].shape, (std::vector<int64_t>{2, classes})) << v.name;
    EXPECT_GT(info.params, 0) << v.name;
  }
}

}  // namespace
