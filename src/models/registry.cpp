#include "models/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "litevit/error.h"
#include "models/families.h"

namespace litevit::models {
namespace {

const Variant* find_variant(const Family& family, const std::string& name) {
  for (const Variant& v : family.variants) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string unknown_name_message(const std::string& name) {
  return fmt::format("unknown model '{}' (did you mean: {}? `litevit list` shows all)", name,
                     fmt::join(nearest_names(name), ", "));
}

}  // namespace

const std::vector<Family>& families() {
  static const std::vector<Family> all = {
      vit_family(),        deit_family(),           mobilevit_family(), mobilevitv2_family(),
      tiny_vit_family(),   levit_family(),          efficientvit_family(),
      poolformer_family(), efficientformer_family(),
      swin_family(),       beit_family(),           coatnet_family(),
  };
  return all;
}

std::vector<std::string> nearest_names(const std::string& name, size_t count) {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const Family& family : families()) {
    for (const Variant& v : family.variants) scored.emplace_back(edit_distance(name, v.name), v.name);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> names;
  for (size_t i = 0; i < scored.size() && i < count; ++i) names.push_back(scored[i].second);
  return names;
}

const Family& family_of(const ModelConfig& config) {
  for (const Family& family : families()) {
    if (family.name == config.family) return family;
  }
  std::vector<std::string> names;
  for (const Family& family : families()) names.push_back(family.name);
  throw Error(fmt::format("configuring model: unknown family '{}' (families: {})", config.family,
                          fmt::join(names, ", ")));
}

ModelConfig resolve_config(const nlohmann::json& config, const std::string& source) {
  if (!config.is_object()) throw Error(fmt::format("reading config {}: not a JSON object", source));
  ModelConfig result;
  auto get_string = [&](const char* key) -> std::string {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return "";
    if (!it->is_string()) throw Error(fmt::format("reading config {}: '{}' must be a string", source, key));
    return it->get<std::string>();
  };
  result.family = get_string("family");
  result.timm_name = get_string("timm_name");
  if (auto it = config.find("kwargs"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) throw Error(fmt::format("reading config {}: 'kwargs' must be an object", source));
    result.kwargs = *it;
  }
  if (result.family.empty() && result.timm_name.empty()) {
    throw Error(fmt::format("reading config {}: needs 'family' or 'timm_name'", source));
  }
  const Variant* variant = nullptr;
  if (!result.timm_name.empty()) {
    for (const Family& family : families()) {
      if ((variant = find_variant(family, result.timm_name)) != nullptr) {
        if (!result.family.empty() && result.family != family.name) {
          throw Error(fmt::format("reading config {}: '{}' is a {} model, not {}", source, result.timm_name,
                                  family.name, result.family));
        }
        result.family = family.name;
        break;
      }
    }
    if (variant == nullptr) throw Error(fmt::format("reading config {}: {}", source, unknown_name_message(result.timm_name)));
  }
  family_of(result);   // validates the family name
  result.resolved_kwargs = variant ? variant->kwargs : nlohmann::json::object();
  for (const auto& [key, value] : result.kwargs.items()) result.resolved_kwargs[key] = value;
  return result;
}

ModelConfig resolve_model(const std::string& spec) {
  const bool looks_like_json = !spec.empty() && spec.front() == '{';
  const bool is_file = !looks_like_json && (spec.ends_with(".json") || std::filesystem::is_regular_file(spec));
  if (looks_like_json || is_file) {
    std::string text = spec;
    const std::string source = is_file ? fmt::format("'{}'", spec) : "(inline JSON)";
    if (is_file) {
      std::ifstream file(spec);
      if (!file) throw Error(fmt::format("reading config '{}': cannot open the file", spec));
      std::stringstream buffer;
      buffer << file.rdbuf();
      text = buffer.str();
    }
    nlohmann::json config;
    try {
      config = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(fmt::format("reading config {}: invalid JSON: {}", source, e.what()));
    }
    return resolve_config(config, source);
  }
  for (const Family& family : families()) {
    if (find_variant(family, spec) != nullptr) return resolve_config({{"timm_name", spec}}, "");
  }
  throw Error(unknown_name_message(spec));
}

std::array<int64_t, 3> default_input(const ModelConfig& config) {
  return family_of(config).default_input(config.resolved_kwargs);
}

graph::Graph build_graph(const ModelConfig& config, const graph::Shape& input_shape) {
  if (input_shape.size() != 4 || std::any_of(input_shape.begin(), input_shape.end(), [](int64_t d) { return d <= 0; })) {
    throw Error(fmt::format("building {}: input shape {} is not [N, C, H, W] with positive sizes",
                            config.display_name(), graph::shape_str(input_shape)));
  }
  graph::Graph graph;
  graph::Builder builder(graph);
  family_of(config).build(builder, config.display_name(), config.resolved_kwargs, input_shape);
  return graph;
}

}  // namespace litevit::models
