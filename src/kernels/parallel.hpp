// nabla's thread count and the one parallel loop kernels use. Work is split into STATIC
// chunks, so a kernel whose chunks write disjoint outputs gives the same result for any
// thread count; reductions must still combine partial results in a fixed order.
#pragma once

#include <cstdint>
#include <type_traits>

namespace nabla::kernels {

/// nabla's thread count (what nabla::get_num_threads() returns).
int num_threads();

/// The count used when set_num_threads was never called: NABLA_NUM_THREADS when it holds a
/// positive integer, otherwise std::thread::hardware_concurrency() (at least 1). Read afresh
/// on every call.
int default_num_threads();

/// Makes OpenBLAS use nabla's thread count; the first call applies the default. Cheap after
/// that, so BLAS wrappers call it before each BLAS call.
void ensure_blas_threads();

namespace detail {
using ChunkFn = void (*)(void* context, int64_t begin, int64_t end);
void parallel_run(int64_t begin, int64_t end, int64_t chunks, ChunkFn fn, void* context);
}  // namespace detail

/// Calls fn(chunk_begin, chunk_end) for consecutive chunks covering [begin, end) exactly once,
/// on up to num_threads() threads (the caller's included), and returns when all are done.
/// Chunks hold at least `grain` indices (all of them in one chunk when the range is small);
/// chunk boundaries depend only on (begin, end, grain, num_threads()). An exception thrown by
/// fn is rethrown here (the one from the lowest chunk) after every chunk has finished. Nested
/// calls, and calls made while another thread's parallel_for is running, run serially.
template <typename F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& fn) {
  if (end <= begin) return;
  const int64_t n = end - begin;
  const int64_t g = grain < 1 ? 1 : grain;
  const int64_t by_grain = (n + g - 1) / g;
  const int64_t threads = num_threads();
  const int64_t chunks = by_grain < threads ? by_grain : threads;
  if (chunks <= 1) {
    fn(begin, end);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  detail::parallel_run(
      begin, end, chunks, [](void* ctx, int64_t lo, int64_t hi) { (*static_cast<Fn*>(ctx))(lo, hi); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

/// Calls fn(i) once for every i in [0, count), each call a task that the first idle thread
/// takes (the caller's included): for a few pieces of work whose results do not depend on which
/// thread runs them, e.g. GEMM tiles. Unlike parallel_for's one chunk per thread, a thread that
/// is descheduled or slow holds up at most one task. Exceptions as in parallel_for.
template <typename F>
void parallel_tasks(int64_t count, F&& fn) {
  if (count <= 0) return;
  if (count == 1 || num_threads() == 1) {
    for (int64_t i = 0; i < count; ++i) fn(i);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  detail::parallel_run(
      0, count, count,
      [](void* ctx, int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) (*static_cast<Fn*>(ctx))(i);
      },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace nabla::kernels
