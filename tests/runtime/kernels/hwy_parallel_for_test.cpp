// parallel_for and ThreadShares (hwy/parallel_for.h): how a range is cut into
// one contiguous piece per thread, and how the pieces follow the threads'
// measured speeds. ThreadShares is fed made-up times, so these tests do not
// depend on the speed of the machine; parallel_for itself is checked to run
// every item exactly once while its pieces change.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "runtime/kernels/hwy/parallel_for.h"

namespace {

using litevit::runtime::hwy::parallel_for;
using litevit::runtime::hwy::ThreadShares;

std::vector<int64_t> split(const ThreadShares& shares, int pieces, int64_t count) {
  std::vector<int64_t> bounds(static_cast<size_t>(pieces) + 1);
  shares.split(pieces, count, bounds.data());
  return bounds;
}

// Learns `calls` times from a split of `count` items in which thread p takes
// seconds_per_item[p] per item.
void learn(ThreadShares& shares, int64_t count, const std::vector<double>& seconds_per_item, int calls) {
  const int pieces = static_cast<int>(seconds_per_item.size());
  for (int call = 0; call < calls; ++call) {
    const std::vector<int64_t> bounds = split(shares, pieces, count);
    std::vector<double> seconds;
    for (int p = 0; p < pieces; ++p) {
      const auto i = static_cast<size_t>(p);
      seconds.push_back(static_cast<double>(bounds[i + 1] - bounds[i]) * seconds_per_item[i]);
    }
    shares.learn(pieces, bounds.data(), seconds.data());
  }
}

TEST(ThreadShares, StartsWithEqualPieces) {
  const ThreadShares shares;
  EXPECT_EQ(split(shares, 2, 10), (std::vector<int64_t>{0, 5, 10}));
  EXPECT_EQ(split(shares, 3, 10), (std::vector<int64_t>{0, 3, 6, 10}));
  EXPECT_EQ(split(shares, 4, 4), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(ThreadShares, GivesTheSlowerThreadFewerItems) {
  ThreadShares shares;
  // Thread 0 takes twice as long per item: equal time at 1/3 of the items.
  learn(shares, 300, {2e-6, 1e-6}, 100);
  const std::vector<int64_t> bounds = split(shares, 2, 300);
  EXPECT_NEAR(static_cast<double>(bounds[1]), 100.0, 2.0);
  // And back to equal pieces when the threads are equally fast again.
  learn(shares, 300, {1e-6, 1e-6}, 100);
  EXPECT_NEAR(static_cast<double>(split(shares, 2, 300)[1]), 150.0, 2.0);
}

TEST(ThreadShares, KeepsEveryShareWithinHalfAndOneAndAHalfOfEqual) {
  ThreadShares shares;
  learn(shares, 1000, {1e-4, 1e-6, 1e-6}, 200);   // thread 0 100x slower
  const std::vector<int64_t> bounds = split(shares, 3, 3000);
  EXPECT_NEAR(static_cast<double>(bounds[1]), 500.0, 5.0);   // half of the equal 1000
}

TEST(ThreadShares, LearnsPerThreadCount) {
  ThreadShares shares;
  learn(shares, 100, {3e-6, 1e-6}, 100);
  EXPECT_NE(split(shares, 2, 100)[1], 50);
  EXPECT_EQ(split(shares, 3, 99), (std::vector<int64_t>{0, 33, 66, 99}));
}

TEST(ThreadShares, IgnoresPiecesTooShortToTime) {
  ThreadShares shares;
  const std::vector<int64_t> bounds = {0, 50, 100};
  const std::vector<double> seconds = {1e-7, 1e-8};   // below the 2 us it trusts
  for (int call = 0; call < 50; ++call) shares.learn(2, bounds.data(), seconds.data());
  EXPECT_EQ(split(shares, 2, 100), (std::vector<int64_t>{0, 50, 100}));
}

TEST(ThreadShares, PiecesAreContiguousAndNeverEmpty) {
  for (int pieces = 2; pieces <= ThreadShares::kMaxThreads; ++pieces) {
    ThreadShares shares;
    std::vector<double> speeds;
    for (int p = 0; p < pieces; ++p) speeds.push_back(p == 0 ? 1e-6 : 5e-6);   // thread 0 fastest
    learn(shares, 1000, speeds, 100);
    for (int64_t count = pieces; count <= 60; ++count) {
      const std::vector<int64_t> bounds = split(shares, pieces, count);
      SCOPED_TRACE(testing::Message() << pieces << " pieces of " << count);
      EXPECT_EQ(bounds.front(), 0);
      EXPECT_EQ(bounds.back(), count);
      for (size_t p = 0; p + 1 < bounds.size(); ++p) EXPECT_LT(bounds[p], bounds[p + 1]);
    }
  }
}

TEST(parallel_for, RunsEveryItemOnceWhileThePiecesAdapt) {
  // Items on the first piece cost more, so its share shrinks call by call;
  // every call must still cover the range exactly once, in contiguous pieces.
  for (int threads : {1, 2, 3}) {
    for (int64_t count : {1, 2, 3, 7, 64, 1000}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, " << count << " items");
      for (int call = 0; call < 30; ++call) {
        std::vector<std::atomic<int>> runs(static_cast<size_t>(count));
        parallel_for(threads, count, int64_t{1} << 15, [&](int64_t begin, int64_t end) {
          ASSERT_LT(begin, end);
          volatile double sink = 0;
          for (int64_t i = begin; i < end; ++i) {
            runs[static_cast<size_t>(i)].fetch_add(1);
            if (begin == 0) {
              for (int spin = 0; spin < 2000; ++spin) sink = sink + spin;
            }
          }
        });
        for (int64_t i = 0; i < count; ++i) ASSERT_EQ(runs[static_cast<size_t>(i)].load(), 1) << "item " << i;
      }
    }
  }
}

}  // namespace
