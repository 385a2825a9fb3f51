// Fused scaled dot-product attention on Highway SIMD: the matmul q k^T, the
// softmax and the matmul with v in one pass over blocks of query rows, so the
// [n, m] score matrix stays in L1/L2 instead of going through memory three
// times (MobileViT-xxs: 16 x 256 x 256 scores, 4 MB).
#pragma once

#include <cstdint>

#include "graph/graph.h"

namespace litevit::runtime::hwy {

// An additive bias on the scores (relative-position bias, attention bias),
// added after the scale: softmax(scale q k^T + bias). One [n, m] matrix per
// batch, batch b reading the one at data + ((b / batch_divisor) % batch_count) * n * m:
// a bias shared by every batch has count 1; one per head of [batch, heads]
// has divisor 1, count heads. No bias: data null.
struct AttentionBias {
  const float* data = nullptr;
  int64_t batch_divisor = 1;
  int64_t batch_count = 1;
};

// Where each operand's matrices sit (graph::BatchedRows: matrix b at
// start(b), rows row_stride apart, columns contiguous). Views of the qkv
// projection's output (heads interleaved in each token row) have two batch
// levels: images and heads.
struct AttentionLayout {
  graph::BatchedRows q, k, v, out;
};

// out[b] = softmax(scale * q[b] k[b]^T [+ bias of b], along the last axis) v[b] for b < batch.
// q [batch, n, d], k [batch, m, d], v [batch, m, dv], out [batch, n, dv]: fp32,
// contiguous row-major unless `layout` places the matrices (then q, k, v,
// out are the base pointers its offsets are from); out does not alias the
// inputs. Runs on up to
// `threads` OpenMP threads. Each output row is computed by the same sequence
// of operations whatever `threads` is, so results do not depend on it.
// Safe to call from several threads at once (the scratch is thread-local).
// m = 0 gives zeros (an empty weighted sum).
void attention(const float* q, const float* k, const float* v, float* out, int64_t batch, int64_t n,
               int64_t m, int64_t d, int64_t dv, float scale, int threads, const AttentionBias& bias = {},
               const AttentionLayout* layout = nullptr);

}  // namespace litevit::runtime::hwy
