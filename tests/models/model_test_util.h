// Helpers shared by the model family tests (tests/models/*_test.cpp): a config spec for
// a timm variant with kwargs, the shapes and parameter count Model::info must report,
// and the errors a bad spec or input must raise.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "litevit/litevit.h"
#include "test_util.h"

namespace litevit::testing_util {

using Shape = std::vector<int64_t>;

// The config spec for timm variant `timm_name` with `kwargs_json` (a JSON object) overlaid.
inline std::string variant_config(const std::string& timm_name, const std::string& kwargs_json) {
  return R"({"timm_name": ")" + timm_name + R"(", "kwargs": )" + kwargs_json + "}";
}

// What Model::load(spec).info(input) must report: the parameter count and the shapes of
// the two outputs (features, logits).
struct ExpectedModel {
  std::string what;   // names the case in failure messages, with the spec; may be empty
  std::string spec;
  Shape input;
  int64_t params;     // timm: sum(p.numel() for p in model.parameters())
  Shape features;
  Shape logits;
};

// Checks one ExpectedModel; failures name its `what` and spec. The output count is
// asserted, so a caller that must stop on it wraps the call in ASSERT_NO_FATAL_FAILURE.
inline void expect_model(const ExpectedModel& e) {
  const std::string label = e.what.empty() ? e.spec : e.what + ": " + e.spec;
  const ModelInfo info = Model::load(e.spec).info(e.input);
  EXPECT_EQ(info.params, e.params) << label;
  ASSERT_EQ(info.outputs.size(), 2u) << label;
  EXPECT_EQ(info.outputs[0].shape, e.features) << label;
  EXPECT_EQ(info.outputs[1].shape, e.logits) << label;
}

// Expects Model::load(spec).info(input) to fail with a message containing `message`.
inline void expect_error(const std::string& spec, const Shape& input, const std::string& message) {
  const std::string got = error_of([&] { Model::load(spec).info(input); });
  EXPECT_NE(got.find(message), std::string::npos) << spec << "\n  -> " << got;
}

struct ExpectedError {
  std::string spec;
  std::string message;   // a part of the error message
};

// expect_error for each spec, all at `input`.
inline void expect_errors(const std::vector<ExpectedError>& bad, const Shape& input) {
  for (const ExpectedError& b : bad) expect_error(b.spec, input, b.message);
}

struct KwargError {
  std::string kwargs;    // a JSON object overlaid on the variant's kwargs
  std::string message;   // a part of the error message
};

// expect_error for variant_config(timm_name, kwargs) of each entry, all at `input`.
inline void expect_kwarg_errors(const std::string& timm_name, const std::vector<KwargError>& bad,
                                const Shape& input) {
  for (const KwargError& b : bad) expect_error(variant_config(timm_name, b.kwargs), input, b.message);
}

}  // namespace litevit::testing_util
