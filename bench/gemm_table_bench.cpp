// The GEMM table of bench/compare.py: nabla's float32 matmul against calling cblas_sgemm
// directly (OpenBLAS with the same number of threads, its own threading), for square sizes
// and the layer shapes of workloads W2 (MLP) and W3 (LeNet-5, convolutions as im2col GEMMs with
// the batch of 64 folded into N). One JSON line per shape and thread count:
//
//   build/bench/gemm_table_bench [--quick]
//
// Shapes are MxKxN for (M, K) @ (K, N). Each timing is the median of 5 runs of as many calls as
// fill 0.1 s (0.02 s with --quick), after a warm-up call.
#include "bench_common.hpp"

#include <nabla/tensor.hpp>

#include <cblas.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Shape3 {
  int64_t m, k, n;
  std::string note;
};

const std::vector<Shape3> shapes = {
    {256, 256, 256, "square"},
    {512, 512, 512, "square"},
    {1024, 1024, 1024, "square"},
    {2048, 2048, 2048, "square"},
    {64, 784, 256, "W2 fc1 forward"},
    {256, 64, 784, "W2 fc1 weight grad"},
    {64, 256, 128, "W2 fc2 forward"},
    {64, 128, 256, "W2 fc2 input grad"},
    {6, 25, 64 * 784, "W3 conv1 forward (im2col)"},
    {16, 150, 64 * 100, "W3 conv2 forward (im2col)"},
    {64, 400, 120, "W3 fc1 forward"},
};

// Median seconds per call of fn.
template <typename F>
double time_call(F&& fn, double budget) {
  fn();
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    int64_t calls = 0;
    const auto start = std::chrono::steady_clock::now();
    do {
      fn();
      ++calls;
    } while (bench::seconds_since(start) < budget / 5);
    runs.push_back(bench::seconds_since(start) / static_cast<double>(calls));
  }
  return bench::median(runs);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const double budget = quick ? 0.02 : 0.1;
  for (const Shape3& s : shapes) {
    if (quick && s.m * s.k * s.n > int64_t{1} << 28) continue;
    const nabla::Tensor a = nabla::randn({s.m, s.k}), b = nabla::randn({s.k, s.n});
    std::vector<float> c(static_cast<size_t>(s.m * s.n));
    const double flops = 2.0 * static_cast<double>(s.m * s.k * s.n);
    for (int threads : {1, 2}) {
      nabla::set_num_threads(threads);  // also pins OpenBLAS to one thread for nabla's own calls
      const double t_nabla = time_call([&] { (void)a.matmul(b); }, budget);
      openblas_set_num_threads(threads);
      const double t_blas = time_call(
          [&] {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s.m), static_cast<int>(s.n),
                        static_cast<int>(s.k), 1.0f, a.data_ptr<float>(), static_cast<int>(s.k), b.data_ptr<float>(),
                        static_cast<int>(s.n), 0.0f, c.data(), static_cast<int>(s.n));
          },
          budget);
      openblas_set_num_threads(1);
      const std::string shape = std::to_string(s.m) + "x" + std::to_string(s.k) + "x" + std::to_string(s.n);
      bench::Json j{{"kind", "gemm"},          {"shape", shape},
                    {"note", s.note},          {"threads", threads},
                    {"nabla_seconds", t_nabla}, {"cblas_seconds", t_blas},
                    {"nabla_gflops", flops / t_nabla / 1e9}, {"cblas_gflops", flops / t_blas / 1e9}};
      std::cout << j.dump() << std::endl;
    }
  }
  return 0;
}
