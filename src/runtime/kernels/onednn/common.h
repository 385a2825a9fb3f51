// What the oneDNN kernels share: the engine, the OpenMP thread count oneDNN
// reads, epilogue -> post-ops, and a Kernel base that runs one primitive.
//
// Concurrency: Kernel::run may be called on one kernel from several threads
// at once. oneDNN's default "library" scratchpad is only safe when a primitive
// runs on the thread that created it and never concurrently with itself
// (dnnl::scratchpad_mode docs), so every primitive here uses the "user"
// scratchpad mode and each run takes its scratchpad from a buffer owned by the
// calling thread. Streams are created per run (a CPU stream is a small object).
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>
#include <unordered_map>

#include "runtime/kernels/registry.h"

namespace litevit::runtime::onednn {

// The CPU engine every primitive and memory object uses.
const dnnl::engine& cpu_engine();

// Sets the calling thread's OpenMP thread count for a scope and restores it.
// oneDNN (OpenMP runtime) bakes the count into a primitive at creation, and
// runs with the count of the calling thread.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads);
  ~ScopedOmpThreads();
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int saved_;
  int wanted_;
};

// How a fused residual add is given to oneDNN.
enum class ResidualPostOp {
  kSum,         // dst += residual: the residual is copied into dst before the primitive runs
  kBinaryAdd,   // a binary add post-op reading the residual (argument residual_arg())
  kAfter,       // no post-op: the kernel adds the residual itself after the primitive ran
};

// Whether a kernel should apply activation `act` itself after the primitive
// (hwy::apply_epilogue) instead of as a post-op: the transcendental ones
// (gelu_erf, swish, logistic), whose oneDNN 2.6 post-ops cost more than our
// Highway pass over the output while it is still in cache. On AVX2 kernels
// (jit:avx2, jit_1x1:avx2, jit_dw:avx2, gemm:jit) 2-3x more: a 16->32 1x1
// conv on 128x128 took 0.20 ms plain and 0.60 ms with swish, DeiT's fc1 0.82
// ms plain and 1.02 ms with gelu (1 thread, EPYC Zen 3). On AVX-512
// (brg:avx512_core, Xeon family 6 model 207) less, but still: DeiT's fc1 470
// us with the gelu post-op, 428 us with our pass after it; MobileViT-s's fc1s
// 386 -> 360 us, final_conv 182 -> 172 (1 thread, medians of 3 alternated
// profiles). The residual add must follow the activation, so it moves after
// the primitive too.
bool activation_after_primitive(graph::Activation act);

// Post-ops for y = act(op(x)) then + residual: the activation first, the
// residual last. `dst` is the primitive's destination descriptor.
dnnl::post_ops epilogue_post_ops(const graph::Epilogue& epilogue, ResidualPostOp residual,
                                 const dnnl::memory::desc& dst);
// The execute() argument of the binary-add residual made by epilogue_post_ops.
int residual_arg(const graph::Epilogue& epilogue);

// Whether `id` is a parameter or constant with its data bound, so a kernel
// can pack it once at creation.
bool is_bound_weight(const graph::Graph& graph, graph::ValueId id);

// A dnnl::memory over `data` (no copy). oneDNN wants a non-const handle even
// for inputs; it never writes to a source or weights argument.
dnnl::memory wrap(const dnnl::memory::desc& md, const float* data);
dnnl::memory wrap(const dnnl::memory::desc& md, float* data);

// Whether oneDNN picked its reference (plain C++) implementation for `pd`.
bool is_reference_implementation(const dnnl::primitive_desc& pd);

// Copies user weights (`md` over `data`) into a new memory in the layout the
// primitive chose (`packed`).
dnnl::memory pack_weights(const dnnl::memory::desc& md, const float* data, const dnnl::memory::desc& packed);

// A kernel that runs one oneDNN primitive.
class PrimitiveKernel : public Kernel {
 public:
  const char* name() const override { return name_; }
  // oneDNN's implementation name ("brg:avx512_core", "brdgmm_dw:avx512_core", ...).
  const std::string& implementation() const { return implementation_; }

 protected:
  PrimitiveKernel(const char* name, int threads) : name_(name), threads_(threads) {}

  // The residual as run() must read it after the primitive wrote `output`:
  // itself, or a copy in `saved` when the output is written in place of it.
  static const float* keep_residual(const float* residual, const float* output, size_t count,
                                    std::vector<float>& saved);
  // After the primitive ran with post-ops `fused` (part of `epilogue`): the
  // activation it left out, then `residual_after` when not null, in one pass
  // over `output` on this kernel's threads. Nothing when oneDNN did it all.
  void finish_epilogue(const graph::Epilogue& epilogue, const graph::Epilogue& fused, float* output,
                       const float* residual_after, size_t count) const;

  // Stores the primitive made from `pd`; called during creation.
  void set_primitive(const dnnl::primitive_desc& pd);
  // Runs the primitive with `args` plus this thread's scratchpad, at the thread
  // count it was created with. A dnnl::error becomes litevit::Error naming the node.
  void execute(const graph::Node& node, std::unordered_map<int, dnnl::memory>& args) const;

 private:
  const char* name_;
  int threads_;
  dnnl::primitive primitive_;
  dnnl::memory::desc scratchpad_md_;
  std::string implementation_;
};

// Runs `make` with the OpenMP thread count set to context.threads (oneDNN
// bakes it into the primitives made there); a dnnl::error becomes
// litevit::Error naming the node's op and module path.
std::unique_ptr<Kernel> create_kernel(const CompileContext& context, const graph::Node& node,
                                      const std::function<std::unique_ptr<Kernel>()>& make);

// Primitive attributes every kernel uses: user scratchpad (see the top of this file).
dnnl::primitive_attr base_attr();

}  // namespace litevit::runtime::onednn
