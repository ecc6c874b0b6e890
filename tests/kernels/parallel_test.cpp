// parallel_for's contract (each index once, static chunks, errors rethrown, nesting) and the
// thread-count setting shared with OpenBLAS.
#include "kernels/parallel.hpp"

#include <nabla/tensor.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

extern "C" int openblas_get_num_threads(void);

namespace nabla::kernels {
namespace {

// Restores the thread count a test changed.
class ThreadCountGuard {
public:
  ThreadCountGuard() : saved_(get_num_threads()) {}
  ~ThreadCountGuard() { set_num_threads(saved_); }

private:
  int saved_;
};

std::vector<std::pair<int64_t, int64_t>> chunks_of(int64_t begin, int64_t end, int64_t grain) {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  parallel_for(begin, end, grain, [&](int64_t lo, int64_t hi) {
    std::lock_guard lock(mutex);
    chunks.emplace_back(lo, hi);
  });
  std::sort(chunks.begin(), chunks.end());
  return chunks;
}

TEST(ParallelFor, CoversEveryIndexExactlyOnce) {
  ThreadCountGuard guard;
  for (int threads : {1, 2, 3, 4, 7}) {
    set_num_threads(threads);
    for (int64_t grain : {1, 3, 100, 1000})
      for (auto range : {std::pair<int64_t, int64_t>{0, 0}, {0, 1}, {5, 6}, {0, 10}, {3, 1000}, {-7, 2049}}) {
        const int64_t begin = range.first, end = range.second;
        std::vector<std::atomic<int>> hits(static_cast<size_t>(std::max<int64_t>(end - begin, 0)));
        parallel_for(begin, end, grain, [&](int64_t lo, int64_t hi) {
          ASSERT_LE(begin, lo);
          ASSERT_LT(lo, hi);
          ASSERT_LE(hi, end);
          for (int64_t i = lo; i < hi; ++i) hits[static_cast<size_t>(i - begin)]++;
        });
        for (size_t i = 0; i < hits.size(); ++i)
          ASSERT_EQ(hits[i].load(), 1) << "index " << begin + static_cast<int64_t>(i) << " with " << threads
                                       << " threads, grain " << grain;
      }
  }
}

TEST(ParallelFor, ChunksAreStaticAndRespectTheGrain) {
  ThreadCountGuard guard;
  set_num_threads(4);
  // 10 indices in 4 near-equal consecutive chunks, the same on every call.
  const auto chunks = chunks_of(0, 10, 1);
  EXPECT_EQ(chunks, (std::vector<std::pair<int64_t, int64_t>>{{0, 2}, {2, 5}, {5, 7}, {7, 10}}));
  for (int repeat = 0; repeat < 20; ++repeat) ASSERT_EQ(chunks_of(0, 10, 1), chunks);
  // A grain of 4 allows at most 3 chunks of 10; a grain above the range means one chunk.
  EXPECT_EQ(chunks_of(0, 10, 4).size(), 3u);
  EXPECT_EQ(chunks_of(0, 10, 11), (std::vector<std::pair<int64_t, int64_t>>{{0, 10}}));
  set_num_threads(1);
  EXPECT_EQ(chunks_of(0, 10, 1), (std::vector<std::pair<int64_t, int64_t>>{{0, 10}}));
}

TEST(ParallelFor, UsesSeveralThreads) {
  ThreadCountGuard guard;
  set_num_threads(3);
  std::mutex mutex;
  std::vector<std::thread::id> ids;
  parallel_for(0, 3, 1, [&](int64_t, int64_t) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // keep each thread busy
    std::lock_guard lock(mutex);
    ids.push_back(std::this_thread::get_id());
  });
  std::sort(ids.begin(), ids.end());
  EXPECT_GT(std::unique(ids.begin(), ids.end()) - ids.begin(), 1);
}

TEST(ParallelFor, RethrowsTheLowestChunksError) {
  ThreadCountGuard guard;
  set_num_threads(4);
  std::atomic<int> ran{0};
  try {
    parallel_for(0, 4, 1, [&](int64_t lo, int64_t) {
      ran++;
      if (lo >= 1) throw std::runtime_error("chunk " + std::to_string(lo));
    });
    FAIL() << "expected the chunk's exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "chunk 1");
  }
  EXPECT_EQ(ran.load(), 4);  // every chunk still ran
  // The pool is still usable afterwards.
  EXPECT_EQ(chunks_of(0, 8, 1).size(), 4u);
}

TEST(ParallelFor, NestedCallsRunAndCoverEverything) {
  ThreadCountGuard guard;
  set_num_threads(3);
  std::vector<std::atomic<int>> hits(60);
  parallel_for(0, 6, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      parallel_for(0, 10, 1, [&](int64_t a, int64_t b) {
        for (int64_t j = a; j < b; ++j) hits[static_cast<size_t>(i * 10 + j)]++;
      });
  });
  for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
}

TEST(ParallelFor, ConcurrentCallersDoNotInterfere) {
  ThreadCountGuard guard;
  set_num_threads(2);
  std::vector<std::atomic<int64_t>> sums(4);
  std::vector<std::thread> callers;
  for (size_t t = 0; t < sums.size(); ++t)
    callers.emplace_back([&, t] {
      for (int repeat = 0; repeat < 50; ++repeat)
        parallel_for(0, 100, 1, [&](int64_t lo, int64_t hi) {
          for (int64_t i = lo; i < hi; ++i) sums[t] += i;
        });
    });
  for (std::thread& c : callers) c.join();
  for (const auto& s : sums) EXPECT_EQ(s.load(), 50 * 4950);
}

TEST(NumThreads, SetGetAndOpenBlasStaysSingleThreaded) {
  // OpenBLAS's rounding depends on its thread count; it is kept at 1 so results never do.
  ThreadCountGuard guard;
  set_num_threads(3);
  EXPECT_EQ(get_num_threads(), 3);
  EXPECT_EQ(num_threads(), 3);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  EXPECT_EQ(openblas_get_num_threads(), 1);
}

TEST(NumThreads, RejectsNonPositiveCounts) {
  ThreadCountGuard guard;
  const int before = get_num_threads();
  EXPECT_THROW(set_num_threads(0), Error);
  EXPECT_THROW(set_num_threads(-2), Error);
  try {
    set_num_threads(0);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("got 0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(get_num_threads(), before);
}

TEST(NumThreads, CannotBeChangedInsideAParallelRegion) {
  ThreadCountGuard guard;
  set_num_threads(2);
  EXPECT_THROW(parallel_for(0, 2, 1, [](int64_t, int64_t) { set_num_threads(1); }), Error);
  EXPECT_EQ(get_num_threads(), 2);
}

TEST(NumThreads, DefaultComesFromTheEnvironment) {
  const char* saved = std::getenv("NABLA_NUM_THREADS");
  const std::string restore = saved ? saved : "";
  const unsigned hw = std::thread::hardware_concurrency();
  const int hardware = hw == 0 ? 1 : static_cast<int>(hw);
  setenv("NABLA_NUM_THREADS", "5", 1);
  EXPECT_EQ(default_num_threads(), 5);
  for (const char* bad : {"0", "-3", "abc", "4x", ""}) {
    setenv("NABLA_NUM_THREADS", bad, 1);
    EXPECT_EQ(default_num_threads(), hardware) << "NABLA_NUM_THREADS=" << bad;
  }
  unsetenv("NABLA_NUM_THREADS");
  EXPECT_EQ(default_num_threads(), hardware);
  if (saved) setenv("NABLA_NUM_THREADS", restore.c_str(), 1);
}

}  // namespace
}  // namespace nabla::kernels
