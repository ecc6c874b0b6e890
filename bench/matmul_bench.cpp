// nabla's matmul against calling cblas_sgemm directly, float32, side by side: the overhead of
// the tensor layer (shape checks, output allocation, autograd bookkeeping) must stay under 10%.
// The BLAS baseline writes into a preallocated buffer; nabla allocates its output every call.
//
//   build/bench/matmul_bench --benchmark_min_time=0.2
//   NABLA_NUM_THREADS=1 build/bench/matmul_bench --benchmark_min_time=0.2
//       --benchmark_min_warmup_time=0.5 --benchmark_repetitions=5
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
//   (one command line)
//
// The warm-up matters for 1024x1024x1024: Storage's aligned_alloc leaves the freed 4 MB output
// slightly too small for the next aligned request, so glibc grows the heap (1024 fresh-page
// faults per call) for the first ~10 calls before reusing memory; the warm-up measures the
// steady state a training loop runs in.
//
// Shapes are named MxKxN for (M, K) @ (K, N). Both sides use nabla's thread count
// (NABLA_NUM_THREADS, default all cores), which nabla passes on to OpenBLAS.
#include <nabla/tensor.hpp>

#include <benchmark/benchmark.h>
#include <cblas.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

// Inputs are made once per shape and kept for the whole program, so that benchmark runs do not
// churn the heap (and restart the allocator transient above) by freeing and remaking them.
const nabla::Tensor& input(int64_t rows, int64_t cols) {
  static std::map<std::pair<int64_t, int64_t>, nabla::Tensor> cache;
  auto [it, inserted] = cache.try_emplace({rows, cols});
  if (inserted) it->second = nabla::randn({rows, cols});
  return it->second;
}

void set_flops(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k),
                                                benchmark::Counter::kIsIterationInvariantRate,
                                                benchmark::Counter::kIs1000);
}

// (M, K) @ (K, N), both row-major.
void BM_nabla_matmul(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  const nabla::Tensor& x = input(m, k);
  const nabla::Tensor& w = input(k, n);
  for (auto _ : state) {
    nabla::Tensor y = x.matmul(w);
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  set_flops(state, m, k, n);
}

void BM_cblas_sgemm(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  const nabla::Tensor& x = input(m, k);
  const nabla::Tensor& w = input(k, n);
  std::vector<float> y(static_cast<size_t>(m * n));
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), 1.0f, x.data_ptr<float>(), static_cast<int>(k), w.data_ptr<float>(),
                static_cast<int>(n), 0.0f, y.data(), static_cast<int>(n));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, m, k, n);
}

// The Linear layer: x (M, K) @ W^T with W stored (N, K); nabla passes W to BLAS transposed.
void BM_nabla_matmul_wt(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  const nabla::Tensor& x = input(m, k);
  const nabla::Tensor& w = input(n, k);
  for (auto _ : state) {
    nabla::Tensor y = x.matmul(w.t());
    benchmark::DoNotOptimize(y.data_ptr<float>());
  }
  set_flops(state, m, k, n);
}

void BM_cblas_sgemm_wt(benchmark::State& state, int64_t m, int64_t k, int64_t n) {
  const nabla::Tensor& x = input(m, k);
  const nabla::Tensor& w = input(n, k);
  std::vector<float> y(static_cast<size_t>(m * n));
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), 1.0f, x.data_ptr<float>(), static_cast<int>(k), w.data_ptr<float>(),
                static_cast<int>(k), 0.0f, y.data(), static_cast<int>(n));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, m, k, n);
}

// Multi-threaded BLAS: rates are per wall-clock second, not per main-thread CPU second.
// 8x8x8 measures the fixed cost per call.
#define NABLA_MATMUL_BENCH(fn)                                            \
  BENCHMARK_CAPTURE(fn, 64x784x256, 64, 784, 256)->UseRealTime();         \
  BENCHMARK_CAPTURE(fn, 64x256x128, 64, 256, 128)->UseRealTime();         \
  BENCHMARK_CAPTURE(fn, 1024x1024x1024, 1024, 1024, 1024)->UseRealTime(); \
  BENCHMARK_CAPTURE(fn, 8x8x8, 8, 8, 8)->UseRealTime()

NABLA_MATMUL_BENCH(BM_nabla_matmul);
NABLA_MATMUL_BENCH(BM_cblas_sgemm);
NABLA_MATMUL_BENCH(BM_nabla_matmul_wt);
NABLA_MATMUL_BENCH(BM_cblas_sgemm_wt);

}  // namespace

int main(int argc, char** argv) {
  // Reading the thread count applies it to OpenBLAS before the first raw cblas call.
  benchmark::AddCustomContext("nabla_threads", std::to_string(nabla::get_num_threads()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
