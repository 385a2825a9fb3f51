// The builder writes graphs the way torch.nn code reads. Module calls take
// the module path ("blocks.0.attn.qkv") and declare their parameters under
// it, so parameter names come out exactly as the reference state_dict keys.
// Functional calls (matmul, softmax, reshape, ...) are labelled with the
// current scope, set with ScopedPath, for messages and profiles.
//
//   Builder b(graph);
//   ValueId x = b.input("input", {2, 3, 224, 224});
//   x = b.conv2d("patch_embed.proj", x, 192, 16, {.stride = 16});
//   x = b.transpose(b.flatten(x, 2), 1, 2);            // [N, 196, 192]
//   x = b.layer_norm("norm", x, 1e-6f);
//   b.output("features", x);
//
// Each call infers its output shape immediately; a misfit throws
// litevit::Error naming the op and the module path.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "graph/graph.h"

namespace litevit::graph {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

struct Pool2dOptions {
  int64_t stride = 0;              // 0: the kernel size (torch's default)
  int64_t padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;   // average pooling only
};

class Builder {
 public:
  explicit Builder(Graph& graph) : graph_(graph) {}

  Graph& graph() { return graph_; }
  const Shape& shape(ValueId v) const { return graph_.value(v).shape; }
  int64_t dim(ValueId v, int64_t axis) const;   // negative axes count from the end

  // ---- sources and sinks ----------------------------------------------------
  ValueId input(const std::string& name, Shape shape);
  // A state_dict entry. Declaring the same key twice returns the same value.
  ValueId parameter(const std::string& key, Shape shape, bool is_buffer = false);
  // A tensor the builder computes (non-persistent buffers, index tables).
  ValueId constant(const std::string& name, Shape shape, std::vector<float> data);
  // A state_dict key inference never reads (e.g. "bn.num_batches_tracked").
  void ignore_key(const std::string& key) { graph_.add_ignored_key(key); }
  void output(const std::string& name, ValueId v) { graph_.add_output(name, v); }

  // ---- torch.nn modules -------------------------------------------------------
  ValueId conv2d(const std::string& path, ValueId x, int64_t out_channels, int64_t kernel,
                 Conv2dOptions options = {});
  ValueId batch_norm(const std::string& path, ValueId x, float eps = 1e-5f);   // BatchNorm1d/2d, eval
  ValueId linear(const std::string& path, ValueId x, int64_t out_features, bool bias = true);
  ValueId layer_norm(const std::string& path, ValueId x, float eps);
  // GroupNorm on x [N,C,...]: weight and bias [C] under `path`.
  ValueId group_norm(const std::string& path, ValueId x, int64_t num_groups, float eps);

  // ---- functional ops (torch names) -------------------------------------------
  ValueId matmul(ValueId a, ValueId b);
  ValueId softmax(ValueId x, int64_t axis);
  // softmax(scale q k^T [+ bias], last axis) v in one op. Models write the
  // three ops; the fuse_attention pass makes this one (tests build it directly).
  ValueId attention(ValueId q, ValueId k, ValueId v, float scale, ValueId bias = kNoValue);
  // The MobileNetV2 block on NHWC x with given weights (inputs 1..6 of
  // OpKind::kInvertedResidual) and optional residual. Models write the three
  // convs; the fuse_inverted_residual pass makes this one (tests build it directly).
  ValueId inverted_residual(ValueId x, const std::array<ValueId, 6>& weights, const InvertedResidualAttrs& attrs,
                            ValueId residual = kNoValue);
  ValueId gelu(ValueId x);
  ValueId silu(ValueId x);
  ValueId relu(ValueId x);
  ValueId sigmoid(ValueId x);
  ValueId hard_sigmoid(ValueId x);   // torch hardsigmoid: relu6(x + 3) / 6
  ValueId hard_swish(ValueId x);     // torch hardswish: x * relu6(x + 3) / 6
  ValueId relu6(ValueId x);
  ValueId add(ValueId a, ValueId b);
  ValueId mul(ValueId a, ValueId b);
  ValueId sub(ValueId a, ValueId b);
  ValueId div(ValueId a, ValueId b);
  ValueId scale(ValueId x, float alpha);
  ValueId reshape(ValueId x, Shape shape);        // one entry may be -1
  ValueId permute(ValueId x, std::vector<int64_t> perm);
  ValueId transpose(ValueId x, int64_t axis0, int64_t axis1);
  ValueId flatten(ValueId x, int64_t start_axis, int64_t end_axis = -1);
  ValueId concat(const std::vector<ValueId>& xs, int64_t axis);
  ValueId slice(ValueId x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
  ValueId select(ValueId x, int64_t axis, int64_t index);   // x[:, index] drops the axis
  ValueId expand(ValueId x, Shape shape);
  ValueId mean(ValueId x, std::vector<int64_t> axes, bool keepdim);
  // torch.sum over `axes`, written as mean times the reduced count.
  ValueId sum(ValueId x, std::vector<int64_t> axes, bool keepdim);
  // F.avg_pool2d / F.max_pool2d on x [N,C,H,W] with a square kernel.
  ValueId avg_pool2d(ValueId x, int64_t kernel, Pool2dOptions options = {});
  ValueId max_pool2d(ValueId x, int64_t kernel, Pool2dOptions options = {});
  // Constant padding: pads[i] = {before, after} for axis i; axes not listed (the
  // last ones) are not padded. Example: pad(x, {{0,0},{0,0},{1,2},{3,4}}) pads H by
  // 1 before and 2 after, W by 3 and 4 (torch F.pad(x, (3,4,1,2))).
  ValueId pad(ValueId x, std::vector<std::array<int64_t, 2>> pads, float value = 0.0f);
  // torch.index_select(x, axis, indices): indices are fixed when the graph is
  // built (relative-position tables, attention-bias offsets) and must lie in
  // [0, dim(axis)). Over a parameter this is folded once at compile time.
  ValueId index_select(ValueId x, int64_t axis, const std::vector<int64_t>& indices);
  // torch.roll(x, shift, axis), written as two slices and a concat.
  ValueId roll(ValueId x, int64_t shift, int64_t axis);
  ValueId interpolate_bilinear(ValueId x, int64_t height, int64_t width, bool align_corners);
  ValueId interpolate_bicubic_antialias(ValueId x, int64_t height, int64_t width);

  // Scope for functional ops ("blocks.3.attn"); restored when the guard dies.
  class ScopedPath {
   public:
    ScopedPath(Builder& builder, std::string path) : builder_(builder), saved_(builder.scope_) {
      builder_.scope_ = std::move(path);
    }
    ~ScopedPath() { builder_.scope_ = saved_; }
    ScopedPath(const ScopedPath&) = delete;
    ScopedPath& operator=(const ScopedPath&) = delete;

   private:
    Builder& builder_;
    std::string saved_;
  };

 private:
  ValueId add_node(OpKind op, std::vector<ValueId> inputs, Attrs attrs, const std::string& path);
  int64_t normalize_axis(ValueId x, int64_t axis, int64_t rank_extra = 0) const;

  Graph& graph_;
  std::string scope_;
};

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_path(const std::string& prefix, const std::string& name);

}  // namespace litevit::graph
