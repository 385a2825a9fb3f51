// The public API: one model run from several threads at once, thread counts,
// shape caching, fast path against the reference path on a whole model.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "litevit/litevit.h"

namespace {

using litevit::Model;
using litevit::Tensor;

Tensor random_input(std::vector<int64_t> shape, uint32_t seed) {
  Tensor t{std::move(shape), {}};
  t.data.resize(static_cast<size_t>(t.numel()));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  for (float& v : t.data) v = normal(rng);
  return t;
}

std::string data(const std::string& case_name, const std::string& file) {
  return std::string(LITEVIT_TEST_DATA_DIR) + "/" + case_name + "/" + file;
}

TEST(Model, RunsFromSeveralThreadsAtOnce) {
  for (int threads : {1, 2}) {
    Model model = Model::load(data("mobilevit_micro_odd", "case.json"), {.threads = threads});
    model.load_weights(data("mobilevit_micro_odd", "weights.safetensors"));
    std::vector<Tensor> inputs;
    std::vector<std::vector<float>> expected;
    for (uint32_t i = 0; i < 4; ++i) {
      inputs.push_back(random_input({1 + i % 2, 3, 72, 72}, i));
      expected.push_back(model.run(inputs.back())[1].second.data);   // serial results first
    }
    std::vector<std::thread> workers;
    std::vector<int> mismatches(4, 0);
    for (size_t w = 0; w < 4; ++w) {
      workers.emplace_back([&, w] {
        for (int r = 0; r < 5; ++r) {
          if (model.run(inputs[w])[1].second.data != expected[w]) ++mismatches[w];
        }
      });
    }
    for (auto& t : workers) t.join();
    for (size_t w = 0; w < 4; ++w) EXPECT_EQ(mismatches[w], 0) << "worker " << w << ", threads " << threads;
  }
}

TEST(Model, FastPathMatchesReferencePathOnAWholeModel) {
  const Tensor input = random_input({2, 3, 64, 64}, 9);
  Model fast = Model::load("mobilevit_xxs", {.threads = 1});
  Model reference = Model::load("mobilevit_xxs", {.threads = 1, .reference_kernels = true});
  fast.use_random_weights(3);
  reference.use_random_weights(3);
  const auto a = fast.run(input);
  const auto b = reference.run(input);
  ASSERT_EQ(a.size(), b.size());
  for (size_t o = 0; o < a.size(); ++o) EXPECT_LE(litevit::relative_error(a[o].second, b[o].second), 1e-5) << a[o].first;
}

TEST(Model, DisabledPassesGiveTheSameOutputs) {
  const Tensor input = random_input({1, 3, 64, 64}, 5);
  Model all = Model::load("mobilevit_xxs", {.threads = 1});
  Model none = Model::load("mobilevit_xxs", {.threads = 1, .disabled_passes = litevit::pass_names()});
  all.use_random_weights(1);
  none.use_random_weights(1);
  const auto a = all.run(input);
  const auto b = none.run(input);
  for (size_t o = 0; o < a.size(); ++o) EXPECT_LE(litevit::relative_error(a[o].second, b[o].second), 1e-5) << a[o].first;
}

// With conv2d_winograd_hwy, conv2d_hwy and inverted_residual_hwy disabled their nodes run on
// oneDNN's kernels; the outputs stay the same.
TEST(Model, DisabledKernelsHandTheirNodesToTheNextKernel) {
  const Tensor input = random_input({1, 3, 64, 64}, 6);
  Model all = Model::load("mobilevit_xxs", {.threads = 1});
  Model other = Model::load("mobilevit_xxs", {.threads = 1,
                                              .disabled_kernels = {"conv2d_winograd_hwy", "conv2d_hwy",
                                                                   "inverted_residual_hwy"}});
  all.use_random_weights(1);
  other.use_random_weights(1);
  auto count = [&](const Model& model, const std::string& kernel) {
    const auto info = model.info(input.shape, /*compiled=*/true);
    return std::count_if(info.node_kernels.begin(), info.node_kernels.end(),
                         [&](const litevit::NodeKernel& n) { return n.kernel == kernel; });
  };
  EXPECT_GT(count(all, "conv2d_winograd_hwy"), 0);   // conv_kxk and conv_fusion (3x3)
  EXPECT_GT(count(all, "inverted_residual_hwy"), 0);
  EXPECT_EQ(count(other, "conv2d_winograd_hwy"), 0);
  EXPECT_EQ(count(other, "conv2d_hwy"), 0);
  EXPECT_EQ(count(other, "inverted_residual_hwy"), 0);
  EXPECT_EQ(count(other, "conv2d_onednn"),
            count(all, "conv2d_onednn") + count(all, "conv2d_hwy") + count(all, "conv2d_winograd_hwy"));
  EXPECT_EQ(count(other, "inverted_residual_onednn"),
            count(all, "inverted_residual_onednn") + count(all, "inverted_residual_hwy"));
  const auto a = all.run(input);
  const auto b = other.run(input);
  for (size_t o = 0; o < a.size(); ++o) EXPECT_LE(litevit::relative_error(a[o].second, b[o].second), 1e-5) << a[o].first;
}

TEST(Model, UnknownKernelNameFailsAtLoad) {
  try {
    Model::load("mobilevit_xxs", {.disabled_kernels = {"conv2d_fast"}});
    FAIL() << "no error";
  } catch (const litevit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("disabling kernel 'conv2d_fast': no such kernel"), std::string::npos)
        << e.what();
  }
  EXPECT_NE(std::find(litevit::kernel_names().begin(), litevit::kernel_names().end(), "conv2d_onednn"),
            litevit::kernel_names().end());
}

TEST(RelativeError, NanIsNeverAMatch) {
  const Tensor ref{{3}, {1.0f, -2.0f, 0.5f}};
  EXPECT_EQ(litevit::relative_error(Tensor{{3}, {1.0f, NAN, 0.5f}}, ref), INFINITY);
  EXPECT_EQ(litevit::relative_error(Tensor{{3}, {1.0f, -2.0f, INFINITY}}, ref), INFINITY);
  EXPECT_DOUBLE_EQ(litevit::relative_error(Tensor{{3}, {1.0f, -1.0f, 0.5f}}, ref), 0.5);
}

TEST(Model, UnknownPassNameFailsAtLoad) {
  try {
    Model::load("mobilevit_xxs", {.disabled_passes = {"fold_bn"}});
    FAIL() << "no error";
  } catch (const litevit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("disabling pass 'fold_bn': no such pass"), std::string::npos) << e.what();
  }
}

TEST(Model, RunWithoutWeightsIsAnError) {
  Model model = Model::load("mobilevit_xxs");
  try {
    model.run(random_input({1, 3, 64, 64}, 1));
    FAIL() << "no error";
  } catch (const litevit::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no weights loaded"), std::string::npos) << e.what();
  }
}

}  // namespace
