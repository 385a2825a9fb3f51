#include "runtime/kernels/hwy/parallel_for.h"

#include <cmath>

namespace litevit::runtime::hwy {
namespace {

// How far one call moves the shares towards what it measured: about ten
// calls to follow a change of core speeds (a call site runs tens to hundreds
// of times per second), while a single call slowed by an interrupt moves
// them little.
constexpr double kLearnStep = 0.1;

// A thread's share stays within [1/2, 3/2] of the equal share: a burst that
// stalled one thread (a page fault, being descheduled) cannot starve it.
constexpr double kMinShare = 0.5, kMaxShare = 1.5;

// Pieces that took less than this say little: timer resolution, the wake-up
// of a thread.
constexpr double kMinSeconds = 2e-6;

}  // namespace

void ThreadShares::split(int pieces, int64_t count, int64_t* bounds) const {
  const auto& shares = shares_[static_cast<size_t>(pieces)];
  std::array<double, kMaxThreads> share{};
  double total = 0;
  for (int p = 0; p < pieces; ++p) {
    share[static_cast<size_t>(p)] = shares[static_cast<size_t>(p)].load(std::memory_order_relaxed);
    total += share[static_cast<size_t>(p)];
  }
  bounds[0] = 0;
  bounds[pieces] = count;
  if (share[0] <= 0 || total <= 0) {   // not learned yet: equal pieces
    for (int p = 1; p < pieces; ++p) bounds[p] = count * p / pieces;
    return;
  }
  double cumulative = 0;
  for (int p = 1; p < pieces; ++p) {
    cumulative += share[static_cast<size_t>(p) - 1];
    const auto bound = static_cast<int64_t>(std::llround(cumulative / total * static_cast<double>(count)));
    // At least one item per piece (count >= pieces), in order.
    bounds[p] = std::clamp(bound, bounds[p - 1] + 1, count - (pieces - p));
  }
}

void ThreadShares::learn(int pieces, const int64_t* bounds, const double* seconds) {
  std::array<double, kMaxThreads> target{};
  double total_rate = 0;
  for (int p = 0; p < pieces; ++p) {
    const auto items = static_cast<double>(bounds[p + 1] - bounds[p]);
    if (seconds[p] < kMinSeconds || items <= 0) return;
    target[static_cast<size_t>(p)] = items / seconds[p];   // items per second
    total_rate += target[static_cast<size_t>(p)];
  }
  // The shares that would have made every piece take the same time, within
  // the bounds: shares past a bound are set to it and the others scaled to
  // fill the rest, until none is past (each round fixes at least one).
  const double equal = 1.0 / pieces, low = kMinShare * equal, high = kMaxShare * equal;
  std::array<bool, kMaxThreads> fixed{};
  for (int p = 0; p < pieces; ++p) target[static_cast<size_t>(p)] /= total_rate;
  for (int round = 0; round < pieces; ++round) {
    double fixed_sum = 0, free_sum = 0;
    for (int p = 0; p < pieces; ++p) (fixed[static_cast<size_t>(p)] ? fixed_sum : free_sum) += target[static_cast<size_t>(p)];
    if (free_sum <= 0) break;
    const double scale = (1.0 - fixed_sum) / free_sum;
    bool clamped = false;
    for (int p = 0; p < pieces; ++p) {
      const auto i = static_cast<size_t>(p);
      if (fixed[i]) continue;
      const double scaled = target[i] * scale;
      if (scaled < low || scaled > high) {
        target[i] = scaled < low ? low : high;
        fixed[i] = clamped = true;
      }
    }
    if (!clamped) {
      for (int p = 0; p < pieces; ++p) {
        if (!fixed[static_cast<size_t>(p)]) target[static_cast<size_t>(p)] *= scale;
      }
      break;
    }
  }
  // A step towards the target: both sum to 1 and keep within the bounds, so
  // the result does too.
  auto& shares = shares_[static_cast<size_t>(pieces)];
  for (int p = 0; p < pieces; ++p) {
    const auto i = static_cast<size_t>(p);
    const float stored = shares[i].load(std::memory_order_relaxed);
    const double current = stored > 0 ? stored : equal;
    shares[i].store(static_cast<float>(current + kLearnStep * (target[i] - current)), std::memory_order_relaxed);
  }
}

}  // namespace litevit::runtime::hwy
