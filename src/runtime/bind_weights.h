// Weight binding: every parameter the graph reads is looked up by its
// state_dict key in a safetensors file, checked for shape and upcast to fp32.
// Like a strict torch load_state_dict, all missing, unexpected and misshaped
// keys are reported together, by name, in one litevit::Error.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "graph/graph.h"
#include "io/safetensors.h"

namespace litevit::runtime {

using WeightBuffer = std::shared_ptr<const std::vector<float>>;
using WeightMap = std::unordered_map<std::string, WeightBuffer>;
// Buffers converted for another graph of the same model, held weakly: one
// lives while a plan still reads it. A plan releases the weights its kernels
// packed into their own layout (Plan), so these are not kept twice.
using WeightCache = std::unordered_map<std::string, std::weak_ptr<const std::vector<float>>>;

// Attaches fp32 data (Value::data) to every parameter of `graph`. `cache`
// (optional) shares buffers still alive from another graph of the same
// model, so building a second shape does not read or convert them again.
void bind_weights(graph::Graph& graph, const io::SafetensorsFile& file, WeightCache* cache = nullptr);

// Deterministic random weights for every parameter of `graph` (benchmarks and
// shape checks without a checkpoint): uniform with variance 1/fan_in for
// matrices and kernels, 1 for norm scales and running variances, 0 elsewhere.
// A splitmix64 stream: vit_large (300M parameters) binds in 1.8 s instead of 11 s.
void bind_random_weights(graph::Graph& graph, uint64_t seed = 0);

// Attaches the buffers of `weights` by parameter name (tests); every parameter must be there.
void bind_weight_map(graph::Graph& graph, const WeightMap& weights);

}  // namespace litevit::runtime
