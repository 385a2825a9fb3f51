// The IR: a static graph of SSA values. A value is a graph input, a parameter
// (named by its state_dict key), a constant computed by the builder (e.g. an
// index table), or the output of exactly one node. Shapes are fixed when the
// graph is built; a new batch size or resolution builds a new graph.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "graph/op_kind.h"

namespace litevit::graph {

using Shape = std::vector<int64_t>;
using ValueId = int32_t;
constexpr ValueId kNoValue = -1;

int64_t shape_numel(const Shape& shape);
// Element strides of a row-major (contiguous) tensor of `shape`.
std::vector<int64_t> contiguous_strides(const Shape& shape);
std::string shape_str(const Shape& shape);   // "[2,3,224,224]"

// ---- op attributes: one struct per op that has any -------------------------
enum class Activation : uint8_t { kNone, kRelu, kGelu, kSilu, kSigmoid, kHardSwish, kRelu6 };
const char* activation_name(Activation act);

// Work a pass fused into a conv2d / linear / matmul: y = act(op(x)), then
// + residual when `residual` (the residual is the node's last input, with the
// output's shape). Builders never set it; fuse_* passes do.
struct Epilogue {
  Activation act = Activation::kNone;
  bool residual = false;
};

struct Conv2dAttrs {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
  // Set by assign_layout: input [N,H,W,C] and output [N,Ho,Wo,O] (weights stay [O,C/g,kh,kw]).
  bool channels_last = false;
  Epilogue epilogue;
};
// conv 1x1 -> act -> depthwise conv kxk -> act -> conv 1x1 -> epilogue, each
// conv with its bias, all channels_last (the three convs a fuse_inverted_residual
// pass found). The depthwise conv's stride and zero padding are the same on
// both axes; its kernel size comes from w_dw.
struct InvertedResidualAttrs {
  Activation expand_act = Activation::kNone;
  Activation depthwise_act = Activation::kNone;
  int64_t stride = 1;
  int64_t padding = 0;
  Epilogue epilogue;   // of the projection; its residual is the node's last input
};
struct LinearAttrs { Epilogue epilogue; };
// y = alpha * a b (or a b^T when transpose_b: b is [..., N, K]).
struct MatMulAttrs {
  bool transpose_b = false;
  float alpha = 1.0f;
  Epilogue epilogue;
};
struct NormAttrs {
  float eps = 1e-5f;
  int64_t axis = 1;        // batch_norm: the channel axis (3 once assign_layout made it NHWC)
};                         // layer_norm: always the last axis
struct AxisAttrs { int64_t axis = -1; };           // softmax, concat, index_select
struct ScaleAttrs { float alpha = 1.0f; };
struct ShapeAttrs { Shape shape; };                // reshape, expand
struct PermuteAttrs { std::vector<int64_t> perm; };
struct SliceAttrs { int64_t axis = 0, start = 0, end = 0, step = 1; };
struct ReduceAttrs { std::vector<int64_t> axes; bool keepdim = false; };
// An attention operand that is a strided view of its value's data: element
// i of the operand (shape `shape`) is data[offset + sum_k i[k] * strides[k]].
// fold_attention_views makes these from the permutes that split and merge
// heads, so the attention reads q, k, v straight from the qkv projection's
// output and writes tokens-major for the next projection.
struct StridedView {
  Shape shape;
  std::vector<int64_t> strides;
  int64_t offset = 0;
};
// attention: softmax(alpha q k^T [+ bias]) v. Without views, q, k, v and the
// output are the node's values, contiguous; with them, the output value has
// shape output_shape and the logical output is written at output_view in it.
struct AttentionAttrs {
  float alpha = 1.0f;
  std::array<std::optional<StridedView>, 3> input_views;   // q, k, v
  std::optional<StridedView> output_view;
  Shape output_shape;
};
// kBilinear: torch interpolate(mode='bilinear'). kBicubicAntialias: torch
// interpolate(mode='bicubic', antialias=True), as timm resamples position embeddings.
enum class InterpolationMode : uint8_t { kBilinear, kBicubicAntialias };
struct InterpolateAttrs {
  InterpolationMode mode = InterpolationMode::kBilinear;
  bool align_corners = false;
  std::array<int64_t, 2> size{0, 0};
  bool channels_last = false;   // input [N,H,W,C] -> output [N,h,w,C]
};
struct GroupNormAttrs {
  int64_t num_groups = 1;
  float eps = 1e-5f;
  bool channels_last = false;   // input [N,...,C] (set by a layout pass); groups still split C
};
enum class PoolMode : uint8_t { kAverage, kMax };
// torch AvgPool2d / MaxPool2d: output size floor((in + 2 pad - kernel) / stride) + 1, or
// with ceil_mode ceil(...) + 1 where the last window must start inside the input or the
// left padding. An average divides by the window clipped to the padded input
// (count_include_pad) or to the input; a max ignores the padding.
struct Pool2dAttrs {
  PoolMode mode = PoolMode::kAverage;
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  bool ceil_mode = false;
  bool count_include_pad = true;
  bool channels_last = false;   // input [N,H,W,C] -> output [N,Ho,Wo,C]
};
// pads[axis] = {before, after}, one entry per input axis; padded elements are `value`.
struct PadAttrs {
  std::vector<std::array<int64_t, 2>> pads;
  float value = 0.0f;
};
using Attrs = std::variant<std::monostate, Conv2dAttrs, LinearAttrs, MatMulAttrs, NormAttrs,
                           AxisAttrs, ScaleAttrs, ShapeAttrs, PermuteAttrs, SliceAttrs,
                           ReduceAttrs, InterpolateAttrs, GroupNormAttrs, Pool2dAttrs, PadAttrs,
                           AttentionAttrs, InvertedResidualAttrs>;

enum class ValueKind : uint8_t { kInput, kParameter, kConstant, kNodeOutput };

struct Value {
  ValueKind kind = ValueKind::kNodeOutput;
  std::string name;      // inputs: "input"; parameters: state_dict key; others: debug name
  Shape shape;
  int32_t producer = -1;                              // node index for kNodeOutput
  bool is_buffer = false;                             // parameter that is a torch buffer (BN stats)
  // Data of a kConstant, and of a kParameter once weights are bound
  // (bind_weights), so passes can fold weights.
  std::shared_ptr<const std::vector<float>> data;
};

struct Node {
  OpKind op;
  std::vector<ValueId> inputs;
  ValueId output = kNoValue;
  Attrs attrs;
  std::string module_path;   // torch module path this node came from, for messages and profiles
};

// The fused epilogue of a conv2d / linear / matmul / inverted_residual node
// (nullptr for other ops).
const Epilogue* epilogue_of(const Node& node);
Epilogue* epilogue_of(Node& node);
// conv2d / linear: inputs are (x, weight, [bias], [residual]).
bool has_bias(const Node& node);

class Graph {
 public:
  ValueId add_value(Value value);
  int32_t add_node(Node node);     // sets the output value's producer

  const Value& value(ValueId id) const { return values_.at(static_cast<size_t>(id)); }
  Value& value(ValueId id) { return values_.at(static_cast<size_t>(id)); }
  const Node& node(int32_t index) const { return nodes_.at(static_cast<size_t>(index)); }
  Node& node(int32_t index) { return nodes_.at(static_cast<size_t>(index)); }
  const std::deque<Value>& values() const { return values_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<Node>& nodes() { return nodes_; }

  // Graph inputs (in order) and named outputs (in order).
  const std::vector<ValueId>& inputs() const { return inputs_; }
  const std::vector<std::pair<std::string, ValueId>>& outputs() const { return outputs_; }
  void add_output(std::string name, ValueId id);
  void set_output(size_t index, ValueId id) { outputs_.at(index).second = id; }

  // state_dict keys a checkpoint may carry that inference does not read
  // (num_batches_tracked, index tables the builder computes itself).
  const std::set<std::string>& ignored_keys() const { return ignored_keys_; }
  void add_ignored_key(std::string key) { ignored_keys_.insert(std::move(key)); }

  // Parameters the graph reads, in first-use order.
  std::vector<ValueId> parameters() const;
  // Replaces the node list (passes); recomputes producers. Values keep their ids.
  void replace_nodes(std::vector<Node> nodes);

 private:
  // A deque: adding a value never moves the others, so passes may hold
  // references to values while they add new ones.
  std::deque<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_;
  std::vector<std::pair<std::string, ValueId>> outputs_;
  std::set<std::string> ignored_keys_;
};

// Output shape of `node` from its input shapes. Throws litevit::Error naming
// the node's op and module path when the inputs do not fit.
Shape infer_shape(const Graph& graph, const Node& node);

// Whether an attention bias of shape `bias` adds to `scores` [...,N,M] without
// changing its shape: the last two dims equal [N,M], the leading ones (right
// aligned, missing ones 1) each 1 or equal.
bool bias_fits_scores(const Shape& bias, const Shape& scores);

// The logical shape of an attention node's operand: 0-2 q, k, v, 3 the
// output (the value's own shape unless a StridedView says otherwise).
Shape attention_operand_shape(const Graph& graph, const Node& node, size_t operand);
// The same from the attributes and that operand's value shape (kernels have no graph).
Shape attention_operand_shape(const AttentionAttrs& attrs, size_t operand, const Shape& value_shape);

// Whether `view` stays inside a value of `numel` elements (offset and strides
// non-negative, last stride 1 unless the last dim has one element).
bool view_fits(const StridedView& view, int64_t numel);

// How a view of rank >= 2 holds a batch of [rows, cols] matrices: matrix b
// (the leading dims flattened) starts at offset + (b / inner_count) *
// outer_stride + (b % inner_count) * inner_stride, its rows row_stride apart,
// its cols contiguous. nullopt when the cols are strided or the leading dims
// do not reduce to two strides (size-1 dims dropped, a dim contiguous with
// the next merged into it). A contiguous [batch..., N, D] is one level.
struct BatchedRows {
  int64_t offset = 0;
  int64_t inner_count = 1, inner_stride = 0, outer_stride = 0;
  int64_t row_stride = 0;

  int64_t start(int64_t b) const { return offset + b / inner_count * outer_stride + b % inner_count * inner_stride; }
  // A contiguous [batch, rows, cols].
  static BatchedRows contiguous(int64_t rows, int64_t cols) {
    return {.offset = 0, .inner_count = 1, .inner_stride = 0, .outer_stride = rows * cols, .row_stride = cols};
  }
};
std::optional<BatchedRows> batched_rows(const StridedView& view);

// The three convs an inverted_residual node stands for (the ones
// fuse_inverted_residual found): expand, depthwise, project, with the shapes
// of the two intermediates, for x [N,H,W,Cin], `mid` channels and output
// [N,Ho,Wo,Cout]. The project conv's epilogue adds the residual when the node has one.
struct InvertedResidualConvs {
  std::array<Conv2dAttrs, 3> attrs;
  Shape expanded, depthwise;
};
InvertedResidualConvs inverted_residual_convs(const InvertedResidualAttrs& attrs, const Shape& x, int64_t mid,
                                              const Shape& out);

// Output size of a pooling window along one axis (torch's rule, ceil_mode included).
int64_t pool_out(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode);

// Checks every node's inputs exist and its output shape matches inference.
// Throws litevit::Error on the first inconsistency.
void verify(const Graph& graph);

// Human-readable listing: one line per value/node, with shapes and attributes;
// `node_notes` (optional, one per node) is appended to each node's line.
std::string dump(const Graph& graph, const std::vector<std::string>* node_notes = nullptr);

// Cost counting. MACs: conv2d (out elems x in_ch/groups x kh x kw), linear
// (out elems x in features), matmul (batch x M x N x K); everything else 0.
// This is the convention of timm's and fvcore's "GMACs" with attention
// matmuls included.
int64_t node_macs(const Graph& graph, const Node& node);
int64_t total_macs(const Graph& graph);
// Parameters: elements of the parameter values that are not buffers.
int64_t total_params(const Graph& graph);

}  // namespace litevit::graph
