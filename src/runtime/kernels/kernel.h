// What a kernel sees: the node it runs, its inputs and the output buffer.
// A Kernel object is created once per node when a plan is compiled (a fast
// kernel packs its weights there) and run many times, possibly from several
// threads at once: run() must not modify the kernel.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "graph/graph.h"

namespace litevit::runtime {

struct InputView {
  const float* data;
  const graph::Shape* shape;
};

struct KernelContext {
  const graph::Node& node;
  std::span<const InputView> inputs;
  float* output;
  const graph::Shape& output_shape;
  int threads = 1;   // threads this run may use (the plan's thread count)

  const float* in(size_t i) const { return inputs[i].data; }
  const graph::Shape& in_shape(size_t i) const { return *inputs[i].shape; }
  bool has_input(size_t i) const { return i < inputs.size(); }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void run(const KernelContext& context) const = 0;
  virtual const char* name() const = 0;   // "conv2d_reference", "conv2d_onednn", ...
  // Whether the kernel copied input `index` (a weight) into its own layout
  // when it was created and never reads the original again: a plan whose
  // readers of a weight all did so releases the weight's fp32 buffer.
  virtual bool packed_input(size_t index) const { return false; }
};

}  // namespace litevit::runtime
