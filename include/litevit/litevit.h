// litevit: lightweight vision transformers from timm checkpoints, in C++.
//
//   #include <litevit/litevit.h>
//
//   litevit::Model model = litevit::Model::load("deit_tiny_patch16_224");
//   model.load_weights("model.safetensors");          // timm's state_dict keys
//   litevit::Tensor image{{1, 3, 224, 224}, pixels};   // NCHW, normalised
//   for (const auto& [name, tensor] : model.run(image)) {
//     // "features": forward_features(x), "logits": the classifier output
//   }
//
// A model is named by a timm variant name ("mobilevit_xxs") or a JSON config
// {"family": ..., "timm_name": ..., "kwargs": {...}} (text or a file path).
// Shapes are fixed per compiled graph: run() compiles once per input shape
// and caches the result. Every error is a litevit::Error with a message that
// names what failed and why.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "litevit/error.h"
#include "litevit/tensor.h"

namespace litevit {

struct Options {
  int threads = 0;                            // threads per run; 0: default_threads()
  bool reference_kernels = false;             // run every op on its plain reference kernel
  std::vector<std::string> disabled_passes;   // graph passes to skip, by name
  std::vector<std::string> disabled_kernels;  // fast kernels not to use, by name (kernel_names())
  bool verbose = false;                       // log passes to stderr
};

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};

// One node of a compiled graph and the kernel that runs it ("view" for a
// node that only reinterprets its input's memory).
struct NodeKernel {
  std::string op;            // "conv2d", "pool2d", ...
  std::string module_path;   // timm module path, e.g. "stages.0.blocks.1.token_mixer"
  std::string kernel;        // "conv2d_onednn", "pool2d_hwy", "pool2d_reference", ...
};

struct ModelInfo {
  std::string name;          // timm name, or the family for a config without one
  std::string family;
  std::string config_json;   // the resolved config: family, timm_name, all kwargs
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  int64_t params = 0;        // trainable parameters (buffers such as BN statistics excluded)
  int64_t macs = 0;          // multiply-accumulates: conv, linear and matmul (attention included)
  int64_t nodes = 0;         // graph nodes after passes
  std::string graph_dump;    // readable graph listing
  // Filled when info() compiles the graph (compiled = true):
  int64_t arena_bytes = 0;   // memory for all intermediate values of one run
  int threads = 0;
  std::vector<NodeKernel> node_kernels;   // every node after passes, in run order
};

struct VariantInfo {
  std::string name;
  std::string family;
  std::vector<int64_t> default_input;   // [C, H, W]
};

// All registered variants, in family order.
std::vector<VariantInfo> list_variants();
// Variant names nearest to `name` (for "did you mean").
std::vector<std::string> nearest_variant_names(const std::string& name);
// Graph pass names, in pipeline order.
std::vector<std::string> pass_names();
// The fast kernels Options::disabled_kernels can name ("conv2d_hwy", "linear_onednn", ...),
// in the order they are tried: a disabled kernel's nodes go to the next that supports them.
std::vector<std::string> kernel_names();
// What this build runs on: SIMD target, oneDNN version and ISA, threads.
std::string system_info();
// Physical CPU cores of this machine.
int physical_cores();
// The thread count used when Options::threads is 0: $LITEVIT_NUM_THREADS if
// set to a positive number, else physical_cores().
int default_threads();

class Model {
 public:
  // `model`: a variant name, a JSON config file path, or JSON config text.
  static Model load(const std::string& model, const Options& options = {});
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // Reads a safetensors state_dict. Keys, shapes and dtypes are checked
  // against the model when a graph is compiled (all problems listed at once).
  void load_weights(const std::string& path);
  // Deterministic random weights (for benchmarks and shape checks).
  void use_random_weights(uint64_t seed = 0);

  const std::string& name() const;
  std::vector<int64_t> default_input_shape(int64_t batch = 1) const;   // [N, C, H, W]
  // Builds (does not run) the graph for `input_shape`; needs no weights.
  // With `compiled`, also binds weights (the loaded ones, else random),
  // runs every pass and picks kernels, so the dump shows the graph as it
  // runs, each node with its kernel, and the arena size.
  ModelInfo info(const std::vector<int64_t>& input_shape, bool compiled = false) const;

  // Builds and compiles the plan for `input_shape` now (run() does it on the
  // first input of a new shape). Needs weights.
  void prepare(const std::vector<int64_t>& input_shape);

  // Per-node wall time over timed runs of `input`, after untimed warm-up
  // runs (the first run touches the arena's and the kernels' scratch pages
  // for the first time, and on several threads the kernels' split of work
  // between threads settles over the first runs).
  struct NodeProfile {
    std::string op, module_path, kernel;
    std::vector<int64_t> output_shape;
    int64_t macs = 0;
    double ms = 0.0;         // median over the runs
  };
  struct ProfileOptions {
    int warmup = 3;             // untimed runs first
    int min_runs = 20;          // timed runs: at least this many,
    double min_seconds = 1.0;   // and until this long has passed
  };
  struct Profile {
    std::vector<NodeProfile> nodes;
    int runs = 0;               // timed runs done
  };
  Profile profile(const Tensor& input, const ProfileOptions& options);
  Profile profile(const Tensor& input) { return profile(input, ProfileOptions{}); }

  // Runs `input` ([N, C, H, W], fp32). Returns the outputs in order
  // ("features", "logits"). Thread-safe once the shape has been compiled.
  std::vector<std::pair<std::string, Tensor>> run(const Tensor& input);

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The parity metric of the reference cases: max|out - ref| / max|ref| over
// the whole tensor (max|out - ref| when ref is all zeros); infinite when a
// difference is NaN. Shapes must match.
double relative_error(const Tensor& out, const Tensor& ref);

// One named tensor of a safetensors file, as fp32 (F16/BF16 upcast exactly).
Tensor load_tensor(const std::string& path, const std::string& name);
// Writes fp32 tensors to a safetensors file, in order.
void save_tensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors);

}  // namespace litevit
