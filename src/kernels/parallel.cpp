// nabla's thread count, shared with OpenBLAS, and the persistent pool of std::threads behind
// parallel_for. One parallel_for runs at a time: the caller and the pool's workers take its
// chunks from a shared counter (which thread runs a chunk varies; the chunks themselves don't).
#include "kernels/parallel.hpp"

#include <nabla/error.hpp>
#include <nabla/tensor.hpp>

#include <cblas.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nabla::kernels {
namespace {

// True on pool workers, and on a caller while it runs chunks: parallel_for there runs serially.
thread_local bool in_parallel_region = false;

struct Job {
  int64_t begin = 0, end = 0, chunks = 0;
  detail::ChunkFn fn = nullptr;
  void* context = nullptr;
  std::atomic<int64_t> next{0};           // the next chunk nobody has taken
  std::vector<std::exception_ptr> errors;  // per chunk, so the lowest chunk's error is rethrown

  // Chunk c covers [begin + n*c/chunks, begin + n*(c+1)/chunks): sizes differ by at most one.
  void run_chunk(int64_t c) {
    const int64_t n = end - begin;
    try {
      fn(context, begin + n * c / chunks, begin + n * (c + 1) / chunks);
    } catch (...) {
      errors[static_cast<size_t>(c)] = std::current_exception();
    }
  }
  // Takes and runs chunks until none are left.
  void drain() {
    for (int64_t c = next.fetch_add(1); c < chunks; c = next.fetch_add(1)) run_chunk(c);
  }
};

// Workers spin for a while (about 100 µs) after each job before sleeping on the condition
// variable: a training step calls parallel_for many times in quick succession, and waking a
// sleeping thread costs 5-20 µs each time, as much as a small GEMM tile. Sleeping workers are
// only notified when there are some, so the hot path takes no lock.
class Pool {
public:
  explicit Pool(int workers) {
    try {
      for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
    } catch (...) {
      shutdown();  // joinable threads must not be destroyed
      throw;
    }
  }
  ~Pool() { shutdown(); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  int workers() const { return static_cast<int>(threads_.size()); }

  // Runs every chunk of `job` on the workers and the calling thread; returns when all are done.
  void run(Job& job) {
    job_.store(&job);
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
      std::lock_guard lock(mutex_);  // orders the notify after a sleeper's predicate check
      wake_.notify_all();
    }
    job.drain();
    // Every chunk is taken now. Clearing job_ first means a worker that joins from here on finds
    // no job; one that joined before is counted in active_ until it has left the job.
    job_.store(nullptr);
    while (active_.load() != 0) pause();
  }

private:
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      stop_.store(true);
    }
    wake_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  // Returns when there is a generation other than `seen`, or on shutdown.
  void wait_for_work(uint64_t seen) {
    constexpr int kSpins = 1 << 13;
    for (int i = 0; i < kSpins; ++i) {
      if (generation_.load(std::memory_order_acquire) != seen || stop_.load(std::memory_order_relaxed)) return;
      pause();
    }
    std::unique_lock lock(mutex_);
    sleepers_.fetch_add(1);
    wake_.wait(lock, [&] { return stop_.load() || generation_.load() != seen; });
    sleepers_.fetch_sub(1);
  }

  void work() {
    in_parallel_region = true;
    uint64_t seen = 0;
    for (;;) {
      wait_for_work(seen);
      if (stop_.load()) return;
      active_.fetch_add(1);  // before reading job_, so run() cannot return while we hold it
      seen = generation_.load();
      if (Job* job = job_.load()) job->drain();
      active_.fetch_sub(1);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<Job*> job_{nullptr};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};    // workers that may be inside job_->drain()
  std::atomic<int> sleepers_{0};  // workers waiting on wake_
  std::atomic<bool> stop_{false};
};

struct State {
  std::once_flag init;
  std::atomic<int> threads{0};  // 0 until initialised
  std::mutex run_mutex;         // held while a job runs or while the pool is replaced
  std::unique_ptr<Pool> pool;   // threads - 1 workers, made on first use
};

State& state() {
  static State s;
  return s;
}

// OpenBLAS rounds differently with different thread counts (measured with 0.3.21: sgemm from
// about 16x64x512 up), which would make trained weights depend on the thread count. nabla
// promises bit-identical results on any thread count, so BLAS always runs single-threaded;
// parallel GEMM has to come from fixed-size tiles handed out by parallel_for.
void pin_blas_threads() { openblas_set_num_threads(1); }

void initialise() {
  State& s = state();
  std::call_once(s.init, [&] {
    const int n = default_num_threads();
    s.threads.store(n);
    pin_blas_threads();
  });
}

}  // namespace

int default_num_threads() {
  if (const char* env = std::getenv("NABLA_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= INT_MAX) return static_cast<int>(n);
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

int num_threads() {
  const int n = state().threads.load(std::memory_order_acquire);
  if (n != 0) return n;
  initialise();
  return state().threads.load(std::memory_order_acquire);
}

void ensure_blas_threads() {
  if (state().threads.load(std::memory_order_acquire) == 0) initialise();
}

namespace detail {

void parallel_run(int64_t begin, int64_t end, int64_t chunks, ChunkFn fn, void* context) {
  Job job;
  job.begin = begin;
  job.end = end;
  job.chunks = chunks;
  job.fn = fn;
  job.context = context;
  job.errors.resize(static_cast<size_t>(chunks));
  State& s = state();
  std::unique_lock run_lock(s.run_mutex, std::defer_lock);
  if (in_parallel_region || !run_lock.try_lock()) {
    job.drain();  // nested, or the pool is busy: the same chunks, one after another
  } else {
    const int workers = num_threads() - 1;
    if (!s.pool || s.pool->workers() != workers) {
      s.pool.reset();
      s.pool = std::make_unique<Pool>(workers);
    }
    in_parallel_region = true;
    s.pool->run(job);
    in_parallel_region = false;
  }
  for (const std::exception_ptr& error : job.errors)
    if (error) std::rethrow_exception(error);
}

}  // namespace detail
}  // namespace nabla::kernels

namespace nabla {

void set_num_threads(int threads) {
  NABLA_CHECK(threads >= 1, "set_num_threads: expected a positive number of threads, got ", threads);
  NABLA_CHECK(!kernels::in_parallel_region, "set_num_threads: cannot be called from inside a parallel_for");
  kernels::initialise();
  kernels::State& s = kernels::state();
  std::lock_guard lock(s.run_mutex);  // waits for a running parallel_for; the pool is rebuilt lazily
  s.threads.store(threads, std::memory_order_release);
  kernels::pin_blas_threads();
}

int get_num_threads() { return kernels::num_threads(); }

}  // namespace nabla
