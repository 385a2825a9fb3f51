// conv2d_winograd_hwy: dense 3x3 stride-1 NHWC convolution by Winograd's
// minimal filtering F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016). Each 2x2 block of output pixels (a
// tile) comes from the 4x4 input pixels under it:
//
//   Y = A^T [ (G g G^T) (.) (B^T d B) ] A    per (input channel, output channel),
//
// summed over input channels. The sum over input channels of the
// elementwise product (.) is, for each of the 16 positions f of the 4x4
// transformed tile, a GEMM: M_f[tile, o] = sum_c V_f[tile, c] U_f[c, o]. So
// a 2x2 tile costs 16 Cin Cout multiply-adds instead of 4 x 9 Cin Cout: the
// GEMMs do 2.25x fewer than conv2d_hwy's implicit GEMM, and the transforms
// (adds and subtracts, on the ports an FMA loop leaves free) are O(Cin + Cout)
// per tile against the GEMMs' O(Cin Cout).
//
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]     (input, d 4x4)
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]   (weights, g 3x3, at load)
//   A^T = [1 1 1 0; 0 1 -1 -1]                         (output, 2x2)
//
// Only the weight transform has fractions (halves and quarters, computed in
// double and rounded once); the input and output transforms are sums of
// two or three terms, so the results stay as close to the exact sum as the
// direct one's. Simulated in fp32 against a double direct conv (max error /
// max |out|, 64 tiles): 48 -> 48 channels 3.6e-7 (direct 3.2e-7), 192 -> 96
// 5.8e-7 (5.5e-7), 320 -> 160 8.0e-7 (8.2e-7). F(4x4, 3x3) would cut the
// multiply-adds by 4 instead of 2.25, but its transforms (factors up to 8 and
// 1/24) gave 5.7e-6 to 1.6e-5 on the same shapes: 15-20x the direct error.
//
// The unit of work is a set of tiles and a range of output channel panels
// (WinogradTiles): in per-thread scratch, the input transform of the tiles
// V [16][tiles][Cin], the 16 GEMMs into M [16][tiles][Cout] with
// conv2d_hwy's microkernel (gemm-inl.h) against U packed per f as panels,
// then the output transform (+ bias) into y. On maps of more than 16 tiles
// threads split the tile rows (2 output rows of one image) of all images
// into contiguous pieces, a unit per tile row (per 2 on 16x16 maps,
// kMinUnitTiles) with every panel, and apply the epilogue to its output
// rows while they are in cache. On smaller maps (8x8 and less) threads split
// the panels, a unit per image with all its tiles, so that each thread reads
// only its part of U, once per image (kWholeImageMaxTiles); the epilogue is
// a pass of its own.
// U's panels are 4 vectors wide on AVX-512 (WidePanelBlock) when threads
// split tile rows, 2 when they split panels (more panels to share out).
// 4-vector panels against 2, kernel_bench conv_3x3, min of 6 alternated
// passes, 1 / 2 threads, Xeon family 6 model 106: 48->48 on 32x32 0.78 /
// 0.73, 96->48 0.74 / 0.66, 96->96 0.78 / 0.82, 192->96 0.87 / 0.94;
// 64->64 on 16x16 0.92 / 0.74, 128->64 0.87 / 0.68.
// Input pixels outside the image (the padding, the last tile of an odd
// width or height) are read from a row of zeros.
#include <algorithm>
#include <cstdint>

#include <hwy/aligned_allocator.h>

#include "runtime/kernels/hwy/common.h"
#include "runtime/kernels/hwy/hwy_kernels.h"
#include "runtime/kernels/hwy/panels.h"
#include "runtime/kernels/thread_scratch.h"

// Once, not per target (foreach_target.h includes this file again for each).
#ifndef LITEVIT_HWY_WINOGRAD_CONV_ONCE_
#define LITEVIT_HWY_WINOGRAD_CONV_ONCE_
namespace litevit::simd {

// Positions of the 4x4 transformed tile: one GEMM each.
constexpr int64_t kWinogradPositions = 16;

// Sizes of one conv2d node; x is [batch, height, width, in_ch], y [batch, out_height, out_width, out_ch].
struct WinogradShape {
  int64_t batch, height, width, in_ch, out_ch, pad_h, pad_w, out_height, out_width;
  int64_t tiles_h, tiles_w;   // ceil(out_height / 2), ceil(out_width / 2)
  int64_t in_pad, out_pad;    // in_ch and out_ch rounded up to a vector: the scratch strides
  int64_t panel_width;        // floats: kPanelVectors vectors when threads split tile rows, 2 when they
                              // split panels (whole images)
  int64_t panels;             // ceil(out_pad / panel_width); the last narrower when panel_width does
                              // not divide out_pad
  int64_t unit_rows;          // tile rows per unit of work when threads split tile rows
  graph::Epilogue epilogue;
};

// u: per position f, out_pad * in_ch floats: panels [in_ch][P] (P = the
// shape's panel_width; the last narrower when P does not divide out_pad),
// the one of channels o.. at o * in_ch, zero past out_ch; bias [out_pad];
// zeros: in_pad zeros (the pixels outside the image).
// Units [begin, end) of the batch's: unit = n * units per image + g, tile
// rows [g unit_rows, (g + 1) unit_rows) of image n; epilogue included.
using WinogradTileRowsFn = void (*)(const WinogradShape& shape, const float* u, const float* bias,
                                    const float* zeros, const float* x, const float* residual, float* y,
                                    int64_t begin, int64_t end);
// Output channel panels [begin, end) of every tile of every image, no epilogue.
using WinogradPanelsFn = void (*)(const WinogradShape& shape, const float* u, const float* bias, const float* zeros,
                                  const float* x, float* y, int64_t begin, int64_t end);

// What the chosen target packs for (the widest panel, kPanelVectors vectors; the vector width) and runs.
struct WinogradTarget {
  int64_t wide_panel_width, lanes;
  WinogradTileRowsFn tile_rows;
  WinogradPanelsFn panels;
};

struct WinogradScratch;   // thread_scratch's owner tag: V and M of one unit of work

}  // namespace litevit::simd
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "runtime/kernels/hwy/winograd_conv.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "runtime/kernels/hwy/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace litevit::simd::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// The 16 input pixel pointers of tile `tile` of tile row i of image n:
// px[ry][rx] is pixel (2i - pad_h + ry, 2 tile - pad_w + rx), or `zeros`
// outside the image.
HWY_INLINE void TilePixels(const WinogradShape& s, const float* x, const float* zeros, int64_t n, int64_t i,
                           int64_t tile, const float* (&px)[4][4]) {
  for (int64_t ry = 0; ry < 4; ++ry) {
    const int64_t r = 2 * i - s.pad_h + ry;
    for (int64_t rx = 0; rx < 4; ++rx) {
      const int64_t col = 2 * tile - s.pad_w + rx;
      const bool inside = r >= 0 && r < s.height && col >= 0 && col < s.width;
      px[ry][rx] = inside ? x + ((n * s.height + r) * s.width + col) * s.in_ch : zeros;
    }
  }
}

// V_f[tile, c .. c + lanes) = (B^T d B)[f] for the 4x4 input pixels px, channels c..
// (count of them, the rest of the vector zero).
template <class D>
HWY_INLINE void InputTransform(D d, const float* const (&px)[4][4], size_t c, size_t count, float* HWY_RESTRICT v,
                               size_t position_stride) {
  using V = hn::VFromD<D>;
  V t[4][4];   // B^T d: rows combined
  for (int rx = 0; rx < 4; ++rx) {
    V in[4];
    for (int ry = 0; ry < 4; ++ry) in[ry] = LoadUpTo(d, px[ry][rx] + c, count);
    t[0][rx] = hn::Sub(in[0], in[2]);
    t[1][rx] = hn::Add(in[1], in[2]);
    t[2][rx] = hn::Sub(in[2], in[1]);
    t[3][rx] = hn::Sub(in[1], in[3]);
  }
  for (int ry = 0; ry < 4; ++ry) {   // (B^T d) B: columns combined
    float* row = v + static_cast<size_t>(ry) * 4 * position_stride;
    hn::Store(hn::Sub(t[ry][0], t[ry][2]), d, row);
    hn::Store(hn::Add(t[ry][1], t[ry][2]), d, row + position_stride);
    hn::Store(hn::Sub(t[ry][2], t[ry][1]), d, row + 2 * position_stride);
    hn::Store(hn::Sub(t[ry][1], t[ry][3]), d, row + 3 * position_stride);
  }
}

// Y = A^T M A + bias for one tile and output channels c.. (count of them):
// m points at M_0[tile, c], position f at m + f * position_stride; y at
// output pixel (2i, 2 tile), channel c. Stores the output pixels inside the
// image (out_rows x out_cols of the 2x2).
template <class D>
HWY_INLINE void OutputTransform(D d, const float* HWY_RESTRICT m, size_t position_stride, hn::VFromD<D> bias,
                                float* HWY_RESTRICT y, size_t row_stride, size_t pixel_stride, size_t out_rows,
                                size_t out_cols, size_t count) {
  using V = hn::VFromD<D>;
  V s[2][4];   // A^T M: rows combined
  for (size_t fx = 0; fx < 4; ++fx) {
    const V m0 = hn::Load(d, m + fx * position_stride);
    const V m1 = hn::Load(d, m + (4 + fx) * position_stride);
    const V m2 = hn::Load(d, m + (8 + fx) * position_stride);
    const V m3 = hn::Load(d, m + (12 + fx) * position_stride);
    s[0][fx] = hn::Add(hn::Add(m0, m1), m2);
    s[1][fx] = hn::Sub(hn::Sub(m1, m2), m3);
  }
  for (size_t dy = 0; dy < out_rows; ++dy) {   // (A^T M) A: columns combined
    float* out = y + dy * row_stride;
    StoreUpTo(hn::Add(hn::Add(hn::Add(s[dy][0], s[dy][1]), s[dy][2]), bias), d, out, count);
    if (out_cols > 1) {
      StoreUpTo(hn::Add(hn::Sub(hn::Sub(s[dy][1], s[dy][2]), s[dy][3]), bias), d, out + pixel_stride, count);
    }
  }
}

// Floats from one position's rows of V or M to the next's, for `tiles`
// rows of row_floats: one cache line more than the rows take. The input
// transform stores to all 16 positions of a tile at once and the output
// transform loads from all 16; positions a multiple of 2 KB apart would put
// those 16 lines in 2 of L1's 64 sets (16 tiles x 96 channels: 6 KB), where
// they evict each other. kernel_bench, one thread, us, without -> with the
// line: 64->64 on 16x16 127 -> 107-110, 128->64 on 16x16 248 -> 204-211,
// 192->96 on 32x32 2015 -> 1718-1798, 96->48 on 32x32 509-524 -> 480-493;
// 48->48 and 80->80 level.
HWY_INLINE size_t PositionStride(size_t tiles, size_t row_floats) {
  return tiles * row_floats + 64 / sizeof(float);
}

// V and M of a unit of `tiles` tiles in this thread's scratch.
HWY_INLINE void UnitScratch(const WinogradShape& s, size_t tiles, float*& v, float*& m) {
  const size_t v_floats = kWinogradPositions * PositionStride(tiles, static_cast<size_t>(s.in_pad));
  const size_t m_floats = kWinogradPositions * PositionStride(tiles, static_cast<size_t>(s.out_pad));
  v = runtime::thread_scratch<WinogradScratch>(v_floats + m_floats);
  m = v + v_floats;
}

// Tiles [tile_begin, tile_end) of image n (tile = i tiles_w + j), output
// channel panels [panel_begin, panel_end): V of the tiles (every input
// channel), M_f = V_f U_f for those panels, and Y = A^T M A + bias into y,
// no epilogue. v and m: scratch for tile_end - tile_begin tiles.
void WinogradTiles(const WinogradShape& s, const float* u, const float* bias, const float* zeros, const float* x,
                   float* y, int64_t n, int64_t tile_begin, int64_t tile_end, int64_t panel_begin, int64_t panel_end,
                   float* HWY_RESTRICT v, float* HWY_RESTRICT m) {
  const hn::ScalableTag<float> d;
  const size_t lanes = hn::Lanes(d), width = static_cast<size_t>(s.panel_width);
  const auto tiles = static_cast<size_t>(tile_end - tile_begin), in_ch = static_cast<size_t>(s.in_ch);
  const auto out_ch = static_cast<size_t>(s.out_ch), in_pad = static_cast<size_t>(s.in_pad);
  const auto out_pad = static_cast<size_t>(s.out_pad);
  const size_t v_position = PositionStride(tiles, in_pad), m_position = PositionStride(tiles, out_pad);
  const size_t row_stride = static_cast<size_t>(s.out_width) * out_ch;
  // V: the input transform of every tile.
  for (size_t t = 0; t < tiles; ++t) {
    const int64_t tile = tile_begin + static_cast<int64_t>(t);
    const float* px[4][4];
    TilePixels(s, x, zeros, n, tile / s.tiles_w, tile % s.tiles_w, px);
    for (size_t c = 0; c < in_ch; c += lanes) {
      InputTransform(d, px, c, std::min(lanes, in_ch - c), v + t * in_pad + c, v_position);
    }
  }
  // M_f = V_f U_f: 16 GEMMs of tiles x Cin x (the panels' columns).
  for (size_t f = 0; f < static_cast<size_t>(kWinogradPositions); ++f) {
    const float* v_f = v + f * v_position;
    for (auto p = static_cast<size_t>(panel_begin); p < static_cast<size_t>(panel_end); ++p) {
      const float* panel = u + (f * out_pad + p * width) * in_ch;
      float* m_f = m + f * m_position + p * width;
      const size_t cols = std::min(width, out_pad - p * width);   // narrower for the last panel
      // Lambdas forced inline, as inverted_residual.cpp's RowGemm.
      WithPanelVectors(d, cols, [&]<int kN>() __attribute__((always_inline)) {
        ForEvenBlocks(tiles, [&]<int R>(size_t t) __attribute__((always_inline)) {
          PanelBlockOf<R, kN>(d, v_f + t * in_pad, in_pad, panel, in_ch, nullptr, m_f + t * out_pad, out_pad, cols);
        });
      });
    }
  }
  // Y: the output transform of every tile, for the panels' channels.
  const size_t c_begin = static_cast<size_t>(panel_begin) * width;
  const size_t c_end = std::min(out_ch, static_cast<size_t>(panel_end) * width);
  for (size_t t = 0; t < tiles; ++t) {
    const int64_t tile = tile_begin + static_cast<int64_t>(t);
    const int64_t i = tile / s.tiles_w, j = tile % s.tiles_w;
    const auto rows = static_cast<size_t>(std::min<int64_t>(2, s.out_height - 2 * i));
    const auto cols = static_cast<size_t>(std::min<int64_t>(2, s.out_width - 2 * j));
    float* y_tile = y + ((n * s.out_height + 2 * i) * s.out_width + 2 * j) * s.out_ch;
    for (size_t c = c_begin; c < c_end; c += lanes) {
      OutputTransform(d, m + t * out_pad + c, m_position, hn::Load(d, bias + c), y_tile + c, row_stride, out_ch, rows,
                      cols, std::min(lanes, c_end - c));
    }
  }
}

// Units [begin, end) of the batch's (unit_rows tile rows of one image each,
// the last of an image shorter), every panel, each followed by the
// epilogue over its output rows.
void WinogradTileRows(const WinogradShape& s, const float* u, const float* bias, const float* zeros, const float* x,
                      const float* residual, float* y, int64_t begin, int64_t end) {
  float *v, *m;
  UnitScratch(s, static_cast<size_t>(s.unit_rows * s.tiles_w), v, m);
  const int64_t row_floats = s.out_width * s.out_ch, units = (s.tiles_h + s.unit_rows - 1) / s.unit_rows;
  for (int64_t unit = begin; unit < end; ++unit) {
    const int64_t n = unit / units, i = unit % units * s.unit_rows, i_end = std::min(s.tiles_h, i + s.unit_rows);
    WinogradTiles(s, u, bias, zeros, x, y, n, i * s.tiles_w, i_end * s.tiles_w, 0, s.panels, v, m);
    const int64_t y_row = 2 * i, rows = std::min(2 * i_end, s.out_height) - y_row;
    const int64_t offset = (n * s.out_height + y_row) * row_floats;
    runtime::hwy::apply_epilogue_at(s.epilogue, y, residual, offset, rows * row_floats);
  }
}

// Every tile of every image, output channel panels [begin, end); no epilogue.
void WinogradPanels(const WinogradShape& s, const float* u, const float* bias, const float* zeros, const float* x,
                    float* y, int64_t begin, int64_t end) {
  float *v, *m;
  UnitScratch(s, static_cast<size_t>(s.tiles_h * s.tiles_w), v, m);
  for (int64_t n = 0; n < s.batch; ++n) {
    WinogradTiles(s, u, bias, zeros, x, y, n, 0, s.tiles_h * s.tiles_w, begin, end, v, m);
  }
}

WinogradTarget ChosenWinogradTarget() {
  const hn::ScalableTag<float> d;
  return {static_cast<int64_t>(kPanelVectors * hn::Lanes(d)), static_cast<int64_t>(hn::Lanes(d)), &WinogradTileRows,
          &WinogradPanels};
}

}  // namespace litevit::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace litevit::simd {
namespace {
HWY_EXPORT(ChosenWinogradTarget);
WinogradTarget chosen_target() { return HWY_DYNAMIC_DISPATCH(ChosenWinogradTarget)(); }
}  // namespace
}  // namespace litevit::simd

namespace litevit::runtime::hwy {
namespace {

// Of the dense NHWC convs (common.h), the 3x3 stride-1 ones: what F(2x2, 3x3) computes.
bool winograd_applies(const graph::Graph& graph, const graph::Node& node) {
  const graph::Conv2dAttrs* a = dense_nhwc_conv(graph, node);
  if (a == nullptr || a->stride[0] != 1 || a->stride[1] != 1) return false;
  const graph::Shape& w = graph.value(node.inputs[1]).shape;
  return w[2] == 3 && w[3] == 3;
}

bool supports_winograd(const graph::Graph& g, const graph::Node& node) {
  if (!weight_and_bias_bound(g, node)) return false;
  return graph::shape_numel(g.value(node.output).shape) > 0 && winograd_applies(g, node);
}

// U_f[c, o] = (G g G^T)[f] for the 3x3 kernel g = w[o, c], in double, f = 4 row + column.
void transform_kernel(const float* g, double (&u)[16]) {
  double gg[4][3];   // G g
  for (int x = 0; x < 3; ++x) {
    const double g0 = g[x], g1 = g[3 + x], g2 = g[6 + x];
    gg[0][x] = g0;
    gg[1][x] = 0.5 * (g0 + g1 + g2);
    gg[2][x] = 0.5 * (g0 - g1 + g2);
    gg[3][x] = g2;
  }
  for (int r = 0; r < 4; ++r) {   // (G g) G^T
    const double h0 = gg[r][0], h1 = gg[r][1], h2 = gg[r][2];
    u[4 * r + 0] = h0;
    u[4 * r + 1] = 0.5 * (h0 + h1 + h2);
    u[4 * r + 2] = 0.5 * (h0 - h1 + h2);
    u[4 * r + 3] = h2;
  }
}

// Maps of at most this many tiles (8x8 outputs) run as whole images, the
// threads splitting the output channels. Per tile row, the rows split ran
// through all of U (16/9 of the weights' size: 3.3 MB for MobileViT-s's
// 320 -> 160 conv_fusion) for 4 tiles x 2 rows, from L3 or memory; whole
// images read each thread's part of U once per image. litevit profile,
// stages.4.1 (8x8), ms, rows split -> whole images, 2 threads: MobileViT-s
// conv_fusion 0.45 -> 0.34, conv_kxk 0.24 -> 0.16; xs 0.17 -> 0.13,
// 0.084 -> 0.067; xxs 0.117 -> 0.097, 0.056 -> 0.047; 1 thread: s 0.70 ->
// 0.57, 0.34 -> 0.27. At 16x16 (64 tiles, V and M of an image past L2)
// whole images were level on s and slower on xs (0.25 -> 0.29) and xxs
// (0.17 -> 0.18); at 32x32 1.5-1.9x slower.
constexpr int64_t kWholeImageMaxTiles = 16;

// When threads split tile rows, a unit of work is enough whole tile rows
// for this many tiles: 2 tile rows of a 16x16 map (8 tiles each) share
// one pass over U, and their GEMMs run in blocks of 6 + 5 + 5 tiles instead
// of 4 + 4. litevit profile, stages.3.1 (16x16), best of 2 x 150 runs, ms,
// 1 -> 2 tile rows per unit, 2 threads: MobileViT-s conv_fusion 0.71 ->
// 0.64, conv_kxk 0.36 -> 0.34; xs 0.26 -> 0.24, 0.12 -> 0.11; xxs 0.20 ->
// 0.17, 0.094 -> 0.081. At 32x32 (16 tiles a row) 2 rows were level and 4
// rows slower.
constexpr int64_t kMinUnitTiles = 16;

class WinogradConvKernel final : public Kernel {
 public:
  WinogradConvKernel(const graph::Graph& g, const graph::Node& node) : target_(simd::chosen_target()) {
    const auto& a = std::get<graph::Conv2dAttrs>(node.attrs);
    const graph::Shape& xs = g.value(node.inputs[0]).shape;   // [N,H,W,C]
    const graph::Shape& ys = g.value(node.output).shape;      // [N,Ho,Wo,O]
    const int64_t tiles_h = (ys[1] + 1) / 2, tiles_w = (ys[2] + 1) / 2, out_pad = round_up(ys[3], target_.lanes);
    whole_images_ = tiles_h * tiles_w <= kWholeImageMaxTiles;
    // Threads that split the panels need several: 2-vector panels there.
    const int64_t width = whole_images_ ? 2 * target_.lanes : target_.wide_panel_width;
    shape_ = {.batch = xs[0], .height = xs[1], .width = xs[2], .in_ch = xs[3], .out_ch = ys[3],
              .pad_h = a.padding[0], .pad_w = a.padding[1], .out_height = ys[1], .out_width = ys[2],
              .tiles_h = tiles_h, .tiles_w = tiles_w,
              .in_pad = round_up(xs[3], target_.lanes), .out_pad = out_pad, .panel_width = width,
              .panels = (out_pad + width - 1) / width,
              .unit_rows = std::max<int64_t>(1, (kMinUnitTiles + tiles_w - 1) / tiles_w),
              .epilogue = a.epilogue};
    // U packed per position f as pack_panels packs U_f^T [out, in_ch]: panels [in_ch][P] of U_f[c, o].
    const int64_t in_ch = shape_.in_ch, out_ch = shape_.out_ch;
    const float* w = g.value(node.inputs[1]).data->data();   // [O, C, 3, 3]
    const auto u_floats = static_cast<size_t>(simd::kWinogradPositions * out_pad * in_ch);
    u_ = ::hwy::AllocateAligned<float>(u_floats);
    std::fill(u_.get(), u_.get() + u_floats, 0.0f);
    for (int64_t o = 0; o < out_ch; ++o) {
      for (int64_t c = 0; c < in_ch; ++c) {
        double u[16];
        transform_kernel(w + (o * in_ch + c) * 9, u);
        const int64_t index = packed_index(o, c, in_ch, out_pad, width);
        for (int64_t f = 0; f < simd::kWinogradPositions; ++f) {
          u_[static_cast<size_t>(f * out_pad * in_ch + index)] = static_cast<float>(u[f]);
        }
      }
    }
    bias_ = padded(graph::has_bias(node) ? g.value(node.inputs[2]).data->data() : nullptr, out_ch, out_pad);
    zeros_ = padded(nullptr, 0, shape_.in_pad);
  }

  const char* name() const override { return "conv2d_winograd_hwy"; }
  bool packed_input(size_t index) const override { return index == 1 || index == 2; }

  void run(const KernelContext& c) const override {
    const float* residual = shape_.epilogue.residual ? c.inputs.back().data : nullptr;
    if (whole_images_) {
      // Work per panel in multiply-adds over 8.
      const int64_t work = shape_.batch * shape_.tiles_h * shape_.tiles_w * simd::kWinogradPositions * shape_.in_ch *
                           shape_.panel_width / 8;
      parallel_for(c.threads, shape_.panels, work, [&](int64_t begin, int64_t end) {
        target_.panels(shape_, u_.get(), bias_.get(), zeros_.get(), c.in(0), c.output, begin, end);
      });
      if (shape_.epilogue.act != graph::Activation::kNone || residual != nullptr) {
        apply_epilogue(shape_.epilogue.act, c.output, residual, graph::shape_numel(c.output_shape), c.threads);
      }
      return;
    }
    const int64_t units = shape_.batch * ((shape_.tiles_h + shape_.unit_rows - 1) / shape_.unit_rows);
    // Work per unit in multiply-adds over 8 (a vector FMA on AVX2), as conv2d.cpp.
    const int64_t work =
        shape_.unit_rows * shape_.tiles_w * simd::kWinogradPositions * shape_.in_ch * shape_.out_ch / 8;
    parallel_for(c.threads, units, work, [&](int64_t begin, int64_t end) {
      target_.tile_rows(shape_, u_.get(), bias_.get(), zeros_.get(), c.in(0), residual, c.output, begin, end);
    });
  }

 private:
  simd::WinogradTarget target_;   // the target the weights were packed for
  simd::WinogradShape shape_;
  bool whole_images_;             // threads split output channels, not tile rows (small maps)
  ::hwy::AlignedFreeUniquePtr<float[]> u_, bias_, zeros_;
};

std::unique_ptr<Kernel> create_winograd(const CompileContext& context, const graph::Node& node) {
  return std::make_unique<WinogradConvKernel>(context.graph, node);
}

}  // namespace

const FastKernel kWinogradConv2d{"conv2d_winograd_hwy", graph::OpKind::kConv2d, supports_winograd, create_winograd};

}  // namespace litevit::runtime::hwy
#endif  // HWY_ONCE
