// fma_peak: the machine's fp32 FMA peak, the denominator of "% of peak".
//
//   build/bench/fma_peak [--threads N] [--seconds S]
//
// Runs, on 1 thread and then on N (default: 2), a loop of independent
// vector FMA chains on the best SIMD target Highway picks (the same one the
// kernels run on), and prints GFLOP/s (2 per lane per FMA), best of several
// passes of about S/5 seconds each (default S = 1). Each chain starts from
// its own value read from a volatile: with equal constants a compiler may
// merge the chains into one and time FMA latency instead of throughput.
// 12 chains cover 2 FMA units x 4-6 cycles of latency. Run it just before
// and after a benchmark: on a shared host the peak itself moves.
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// Once, not per target (foreach_target.h includes this file again for each).
#ifndef FMA_PEAK_ONCE_
#define FMA_PEAK_ONCE_
namespace fma_peak {
constexpr int kChains = 12;
}  // namespace fma_peak
#endif

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/kernels/fma_peak.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace fma_peak::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

// Runs `iterations` steps of kChains FMAs on the calling thread; returns the
// lanes per vector. The sum is checked so the chains cannot be dropped.
size_t Chains(long iterations, float seed) {
  const hn::ScalableTag<float> d;
  using V = hn::VFromD<decltype(d)>;
  V chain[kChains];
  for (int i = 0; i < kChains; ++i) chain[i] = hn::Set(d, seed + 0.01f * static_cast<float>(i));
  const V m = hn::Set(d, 0.9999f * seed), c = hn::Set(d, 1e-4f * seed);
  for (long it = 0; it < iterations; ++it) {
    for (int i = 0; i < kChains; ++i) chain[i] = hn::MulAdd(chain[i], m, c);
  }
  V sum = chain[0];
  for (int i = 1; i < kChains; ++i) sum = hn::Add(sum, chain[i]);
  if (hn::GetLane(sum) == 12345.0f) std::puts("");   // never, but the compiler cannot know
  return hn::Lanes(d);
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace fma_peak::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace fma_peak {
HWY_EXPORT(Chains);
HWY_EXPORT(TargetName);

namespace {

volatile float g_seed = 1.0f;

// GFLOP/s on `threads` threads, best of 5 passes of about `seconds` / 5 each.
double measure(int threads, double seconds) {
  // Calibrate the pass length on one thread.
  long iterations = 1 << 20;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    HWY_DYNAMIC_DISPATCH(Chains)(iterations, g_seed);
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (t > seconds / 20) {
      iterations = static_cast<long>(static_cast<double>(iterations) * (seconds / 5) / t);
      break;
    }
    iterations *= 2;
  }
  double best = 0;
  size_t lanes = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads)
    {
      const size_t l = HWY_DYNAMIC_DISPATCH(Chains)(iterations, g_seed);
#pragma omp master
      lanes = l;
    }
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double flops = 2.0 * static_cast<double>(lanes) * kChains * static_cast<double>(iterations) * threads;
    if (flops / t > best) best = flops / t;
  }
  return best / 1e9;
}

}  // namespace
}  // namespace fma_peak

int main(int argc, char** argv) {
  int threads = 2;
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" || arg == "--seconds") {
      if (i + 1 == argc) {
        std::fprintf(stderr, "fma_peak: %s needs a value\n", arg.c_str());
        return 2;
      }
      char* end = nullptr;
      const double value = std::strtod(argv[++i], &end);
      // In this order: a NaN or out-of-range value never reaches the int conversion.
      const bool positive = end != argv[i] && *end == '\0' && value > 0;
      const bool bad_threads = positive && arg == "--threads" && (value > 1024 || value != static_cast<int>(value));
      if (!positive || bad_threads) {
        std::fprintf(stderr, "fma_peak: %s needs a positive %s, got '%s'\n", arg.c_str(),
                     arg == "--threads" ? "whole number up to 1024" : "number", argv[i]);
        return 2;
      }
      if (arg == "--threads") {
        threads = static_cast<int>(value);
      } else {
        seconds = value;
      }
    } else {
      std::fprintf(stderr, "fma_peak: unknown argument '%s' (usage: fma_peak [--threads N] [--seconds S])\n",
                   arg.c_str());
      return 2;
    }
  }
  const char* target = HWY_DYNAMIC_DISPATCH(fma_peak::TargetName)();
  const double one = fma_peak::measure(1, seconds);
  const double many = threads > 1 ? fma_peak::measure(threads, seconds) : one;
  std::printf("fp32 FMA peak (%s): %.0f GFLOP/s on 1 thread, %.0f on %d\n", target, one, many, threads);
  return 0;
}
#endif  // HWY_ONCE
