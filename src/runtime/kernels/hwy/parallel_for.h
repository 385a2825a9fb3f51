// parallel_for: the one parallel loop of the Highway kernels, and how it
// splits a range among threads.
//
// Each call site splits its range into one contiguous piece per thread (the
// kernels rely on contiguity: a ring of rows, keys packed once per piece).
// The pieces are not equal: a call site learns from the time each thread took
// on its earlier calls which share of the items each thread should get
// (ThreadShares), so that all threads finish together. On a shared host one
// core is often 10-20% slower than the other for seconds at a time (measured
// here: two pinned threads running the same FMA loop), and with equal pieces
// every parallel region waits for the slow core: in mobilevit_xxs on 2
// threads the last thread finished 2-17% of each region's time after the
// first, depending on the minute. Hybrid CPUs (performance and efficiency
// cores) have the same problem, permanently. Whole models, bench/ab.py,
// learned vs equal pieces (B/A): mobilevit_xxs 0.896 and 0.936 while the
// cores differed, 0.989 and 1.006 while they did not; mobilevit_xs 0.961 and
// 0.999, mobilevit_s 0.971 and 1.007; deit_tiny (80% of it in oneDNN, which
// splits on its own) 1.008. The results do not depend on the split: every
// item is computed the same way whichever thread does it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace litevit::runtime::hwy {

// Below this much work (elements read or written) one thread is faster: an
// OpenMP region costs a few microseconds to start (anchors/substrate.md sec. 8).
constexpr int64_t kMinParallelWork = int64_t{1} << 15;

// The share of a call site's items that each of its threads gets, learned
// from how long each thread took. Up to kMaxThreads threads adapt; with more,
// the pieces are equal. Shares are per thread count (a plan compiled for 2
// threads and one for 3 keep their own) and start equal. Updates are relaxed
// atomics: runs of one plan from several threads at once may interleave
// their updates, which only makes the estimate noisier.
class ThreadShares {
 public:
  static constexpr int kMaxThreads = 8;

  // bounds[0 .. pieces]: the pieces [bounds[p], bounds[p + 1]) of [0, count),
  // contiguous, in order, none empty when count >= pieces.
  void split(int pieces, int64_t count, int64_t* bounds) const;

  // After a call split by `bounds`: piece p took seconds[p]. Moves the shares
  // a step towards the ones that would have made the pieces take equal time.
  void learn(int pieces, const int64_t* bounds, const double* seconds);

 private:
  // shares_[pieces][p]: thread p's share when the range is cut in `pieces`;
  // 0 means not learned yet (equal shares).
  std::array<std::array<std::atomic<float>, kMaxThreads>, kMaxThreads + 1> shares_{};
};

// Calls body(begin, end) on contiguous pieces of [0, count), one piece per
// thread, when threads > 1 and count * work_per_item is worth a parallel
// region; otherwise calls body(0, count) on this thread with no region at all.
// The pieces' sizes follow this call site's ThreadShares.
template <typename Body>
void parallel_for(int threads, int64_t count, int64_t work_per_item, const Body& body) {
  if (count <= 0) return;
  if (threads <= 1 || count == 1 || count * work_per_item < kMinParallelWork) {
    body(int64_t{0}, count);
    return;
  }
  const int pieces = static_cast<int>(std::min<int64_t>(threads, count));
  if (pieces > ThreadShares::kMaxThreads) {
#pragma omp parallel for num_threads(pieces) schedule(static, 1)
    for (int p = 0; p < pieces; ++p) body(count * p / pieces, count * (p + 1) / pieces);
    return;
  }
  static ThreadShares shares;   // one per call site: each lambda is its own Body type
  std::array<int64_t, ThreadShares::kMaxThreads + 1> bounds;
  std::array<double, ThreadShares::kMaxThreads> seconds;
  shares.split(pieces, count, bounds.data());
#pragma omp parallel for num_threads(pieces) schedule(static, 1)
  for (int p = 0; p < pieces; ++p) {
    const auto start = std::chrono::steady_clock::now();
    body(bounds[static_cast<size_t>(p)], bounds[static_cast<size_t>(p) + 1]);
    seconds[static_cast<size_t>(p)] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  shares.learn(pieces, bounds.data(), seconds.data());
}

}  // namespace litevit::runtime::hwy
