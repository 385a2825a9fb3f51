// The model zoo: families, their named variants (timm names), and turning a
// model spec (a variant name, or a JSON config) into a graph.
//
// A config is {"family": "mobilevit", "timm_name": "mobilevit_xxs",
// "kwargs": {"num_classes": 10}}: a named variant plus overrides with the
// reference constructor's kwarg names. The reference cases' case.json files
// have this shape (their other top-level fields are ignored).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/graph.h"

namespace litevit::models {

struct Variant {
  std::string name;          // timm name, e.g. "deit_tiny_patch16_224"
  nlohmann::json kwargs;     // the variant's constructor kwargs
};

struct Family {
  std::string name;                  // "vit", "deit", "mobilevit", ...
  std::string description;           // one line: paper and reference implementation
  std::vector<Variant> variants;
  // Writes the model for `kwargs` (variant kwargs with overrides applied) at
  // input shape [N, 3, H, W]: outputs "features" and "logits". `what` names
  // the model in error messages.
  void (*build)(graph::Builder& builder, const std::string& what, const nlohmann::json& kwargs,
                const graph::Shape& input_shape);
  // Default input [C, H, W] for these kwargs.
  std::array<int64_t, 3> (*default_input)(const nlohmann::json& kwargs);
};

struct ModelConfig {
  std::string family;
  std::string timm_name;          // empty when the config names no variant
  nlohmann::json kwargs = nlohmann::json::object();   // overrides, as given
  nlohmann::json resolved_kwargs = nlohmann::json::object();   // variant kwargs + overrides
  std::string display_name() const { return timm_name.empty() ? family : timm_name; }
};

const std::vector<Family>& families();

// A variant name, a path to a JSON config file, or JSON config text.
// Throws litevit::Error (unknown names come with the nearest known names).
ModelConfig resolve_model(const std::string& spec);
ModelConfig resolve_config(const nlohmann::json& config, const std::string& source);

const Family& family_of(const ModelConfig& config);
std::array<int64_t, 3> default_input(const ModelConfig& config);
// Builds the graph at input shape [N, C, H, W]; throws litevit::Error if the
// shape does not suit the model.
graph::Graph build_graph(const ModelConfig& config, const graph::Shape& input_shape);

// Nearest known variant names to `name` (edit distance), best first.
std::vector<std::string> nearest_names(const std::string& name, size_t count = 3);

}  // namespace litevit::models
