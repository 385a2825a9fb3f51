// The closed list of graph ops. Adding an op touches, together: this list and
// its name table, the builder (builder.h), shape inference
// (shape_inference.cpp), a reference kernel (runtime/kernels/reference/) and
// its test. The static_assert below keeps the tables in step.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace litevit::graph {

enum class OpKind : uint8_t {
  kConv2d,       // x[N,C,H,W], w[O,C/g,kh,kw], b[O]?  -> y[N,O,Ho,Wo]
  kBatchNorm,    // x[N,C,...], weight, bias, running_mean, running_var (eval mode)
  kLinear,       // x[...,K], w[M,K], b[M]? -> y[...,M]  (y = x w^T + b)
  kLayerNorm,    // x[...,C], weight[C], bias[C]; normalises the last axis
  kMatMul,       // a[...,M,K], b[...,K,N] -> [...,M,N]; leading dims equal
  kSoftmax,      // along one axis
  kGelu,         // exact (erf) form: x/2 (1 + erf(x/sqrt 2))
  kSilu,         // x sigmoid(x)
  kRelu,
  kAdd,          // elementwise, numpy broadcasting
  kMul,          // elementwise, numpy broadcasting
  kScale,        // x * alpha (scalar attribute)
  kReshape,
  kPermute,
  kConcat,
  kSlice,        // one axis, [start, end) with step
  kExpand,       // broadcast size-1 dims to a shape (torch.expand)
  kReduceMean,   // over a set of axes, keepdim or not
  kInterpolate,  // NCHW spatial resize: bilinear (align_corners or not)
  kSigmoid,      // 1 / (1 + exp(-x))
  kHardSigmoid,  // relu6(x + 3) / 6   (torch hardsigmoid)
  kHardSwish,    // x relu6(x + 3) / 6
  kRelu6,        // min(max(x, 0), 6)
  kSub,          // elementwise a - b, numpy broadcasting
  kDiv,          // elementwise a / b, numpy broadcasting
  kGroupNorm,    // x[N,C,...], weight[C], bias[C]; statistics per (sample, group of C/G channels)
  kPool2d,       // NCHW average or max pooling (torch AvgPool2d / MaxPool2d semantics)
  kPad,          // constant padding, per axis (before, after)
  kIndexSelect,  // x, indices[K] (a constant) -> x with `axis` replaced by x[..., indices, ...]
  kAttention,    // q[...,N,D], k[...,M,D], v[...,M,Dv], bias[...,N,M]? -> softmax(alpha q k^T + bias) v
                 // [...,N,Dv]; leading dims equal, bias's broadcast to them. Made by fuse_attention
                 // (AttentionAttrs: q, k, v, output may be strided views, fold_attention_views)
  kInvertedResidual,  // MobileNetV2 block, NHWC: x[N,H,W,Cin], w_expand[Cm,Cin,1,1], b_expand[Cm],
                      // w_dw[Cm,1,k,k], b_dw[Cm], w_project[Cout,Cm,1,1], b_project[Cout], residual? ->
                      // project(dw(expand(x))) [N,Ho,Wo,Cout]. Made by fuse_inverted_residual
  kCount
};

constexpr std::array<std::string_view, static_cast<size_t>(OpKind::kCount)> kOpNames = {
    "conv2d", "batch_norm", "linear", "layer_norm", "matmul", "softmax", "gelu",
    "silu",   "relu",       "add",    "mul",        "scale",  "reshape", "permute",
    "concat", "slice",      "expand", "reduce_mean", "interpolate", "sigmoid", "hard_sigmoid",
    "hard_swish", "relu6", "sub", "div", "group_norm", "pool2d", "pad", "index_select", "attention",
    "inverted_residual",
};
static_assert(kOpNames.size() == static_cast<size_t>(OpKind::kCount),
              "every OpKind needs a name");

inline std::string_view op_name(OpKind op) { return kOpNames[static_cast<size_t>(op)]; }

}  // namespace litevit::graph
