#include "runtime/bind_weights.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "litevit/error.h"

namespace litevit::runtime {
namespace {

constexpr size_t kMaxListed = 8;   // per category, so one bad file gives one readable line

std::string list_problems(const std::string& what, const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string text = fmt::format("{} {}: ", items.size(), what);
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) text += (i ? ", " : "") + items[i];
  if (items.size() > kMaxListed) text += fmt::format(", ... ({} more)", items.size() - kMaxListed);
  return text;
}

graph::Shape to_shape(const std::vector<int64_t>& dims) { return graph::Shape(dims.begin(), dims.end()); }

}  // namespace

void bind_weights(graph::Graph& graph, const io::SafetensorsFile& file, WeightCache* cache) {
  std::vector<std::string> missing, unexpected, misshaped;
  std::set<std::string> expected_keys;
  WeightMap bound;
  for (graph::ValueId id : graph.parameters()) {
    const graph::Value& param = graph.value(id);
    expected_keys.insert(param.name);
    const io::TensorInfo* tensor = file.find(param.name);
    if (tensor == nullptr) {
      missing.push_back(fmt::format("'{}' {}", param.name, graph::shape_str(param.shape)));
      continue;
    }
    if (to_shape(tensor->shape) != param.shape) {
      misshaped.push_back(fmt::format("'{}' has shape {}, expected {}", param.name,
                                      graph::shape_str(to_shape(tensor->shape)), graph::shape_str(param.shape)));
      continue;
    }
    if (tensor->dtype == io::DType::I64) {
      misshaped.push_back(fmt::format("'{}' has dtype I64, expected a float type", param.name));
      continue;
    }
    if (cache != nullptr) {
      if (auto hit = cache->find(param.name); hit != cache->end()) {
        if (WeightBuffer alive = hit->second.lock()) {
          bound[param.name] = std::move(alive);
          continue;
        }
      }
    }
    auto buffer = std::make_shared<const std::vector<float>>(file.read_f32(*tensor));
    bound[param.name] = buffer;
    if (cache != nullptr) (*cache)[param.name] = buffer;
  }
  for (const io::TensorInfo& tensor : file.tensors()) {
    if (!expected_keys.contains(tensor.name) && !graph.ignored_keys().contains(tensor.name)) {
      unexpected.push_back(fmt::format("'{}'", tensor.name));
    }
  }
  if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
    std::string reasons;
    for (const std::string& part : {list_problems("missing", missing), list_problems("unexpected", unexpected),
                                    list_problems("misshaped", misshaped)}) {
      if (!part.empty()) reasons += (reasons.empty() ? "" : "; ") + part;
    }
    throw Error(fmt::format("loading weights '{}': the file does not fit the model: {}", file.path(), reasons));
  }
  bind_weight_map(graph, bound);
}

void bind_weight_map(graph::Graph& graph, const WeightMap& weights) {
  for (graph::ValueId id : graph.parameters()) {
    graph::Value& param = graph.value(id);
    auto it = weights.find(param.name);
    if (it == weights.end() || static_cast<int64_t>(it->second->size()) != graph::shape_numel(param.shape)) {
      throw Error(fmt::format("binding weights: no data of shape {} for parameter '{}'",
                              graph::shape_str(param.shape), param.name));
    }
    param.data = it->second;
  }
}

void bind_random_weights(graph::Graph& graph, uint64_t seed) {
  uint64_t state = seed;
  WeightMap weights;
  for (graph::ValueId id : graph.parameters()) {
    const graph::Value& param = graph.value(id);
    std::vector<float> data(static_cast<size_t>(graph::shape_numel(param.shape)), 0.0f);
    const bool is_norm_scale = param.name.ends_with("running_var") ||
                               (param.shape.size() == 1 && param.name.ends_with("weight"));
    if (is_norm_scale) {
      std::fill(data.begin(), data.end(), 1.0f);
    } else if (param.shape.size() >= 2) {
      // U(-a, a) has variance a^2 / 3: a = sqrt(3 / fan_in) gives variance 1 / fan_in.
      const int64_t fan_in = graph::shape_numel(param.shape) / param.shape[0];
      const double a = std::sqrt(3.0 / static_cast<double>(fan_in));
      for (float& v : data) {
        state += 0x9e3779b97f4a7c15ull;   // splitmix64
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        const double unit = static_cast<double>(z >> 11) * 0x1.0p-53;   // [0, 1)
        v = static_cast<float>((2.0 * unit - 1.0) * a);
      }
    }
    weights[param.name] = std::make_shared<const std::vector<float>>(std::move(data));
  }
  bind_weight_map(graph, weights);
}

}  // namespace litevit::runtime
