// Why the convolution kernels use tap GEMMs (src/kernels/conv.cpp, "tap GEMMs on the phase
// planes"): for one image of a stride-1 3x3 convolution with padding 1, times on one core
//   columns: copy the column matrix (K x columns) out of the padded image, then one GEMM
//            (backward input: one GEMM into the column matrix, then add its rows back)
//   taps:    nine GEMMs, one per kernel tap, reading (writing) the padded image directly
// for the forward, the weight gradient and the input gradient, on the layer shapes of the small
// ResNet (16, 32, 64 channels) and of LeNet-5's second layer (6 input channels), where one
// GEMM wins. Raw OpenBLAS calls, as the kernels make them. One JSON line per shape and pass:
//
//   build/bench/conv_taps_bench [--quick]
#include "bench_common.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct Layer {
  int cig, cog, height, width;
  const char* note;
};

const Layer layers[] = {
    {16, 16, 28, 28, "ResNet stage 1"},
    {32, 32, 14, 14, "ResNet stage 2"},
    {64, 64, 7, 7, "ResNet stage 3"},
    {6, 16, 10, 10, "6 input channels, like LeNet-5 C3"},
};

// Median microseconds per call of f over 5 runs of `reps` calls, after a warm-up.
template <typename F>
double time_us(int reps, F&& f) {
  for (int r = 0; r < 10; ++r) f();
  std::vector<double> runs;
  for (int run = 0; run < 5; ++run) {
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) f();
    runs.push_back(bench::seconds_since(start) * 1e6 / reps);
  }
  return bench::median(runs);
}

void gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float beta, float* c,
          int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
              ldb, beta, c, ldc);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  openblas_set_num_threads(1);
  const int reps = quick ? 20 : 2000;
  for (const Layer& l : layers) {
    // The padded image as the kernels lay it out: planes of (H + 2) x (W + 2) plus a 2-float tail.
    const int wp = l.width + 2, plane = (l.height + 2) * wp + 2, columns = l.height * wp, k = l.cig * 9;
    std::vector<float> padded(static_cast<size_t>(l.cig * plane), 0.3f), col(static_cast<size_t>(k * columns));
    std::vector<float> w(static_cast<size_t>(l.cog * k), 0.1f), y(static_cast<size_t>(l.cog * columns), 0.2f);
    std::vector<float> gw(w.size()), gpadded(padded.size());
    auto offset = [&](int t) { return (t / 3) * wp + t % 3; };
    auto build_columns = [&] {
      for (int c = 0; c < l.cig; ++c)
        for (int t = 0; t < 9; ++t)
          std::copy_n(padded.data() + c * plane + offset(t), columns, col.data() + (c * 9 + t) * columns);
    };
    const double forward_columns = time_us(reps, [&] {
      build_columns();
      gemm(false, false, l.cog, columns, k, w.data(), k, col.data(), columns, 0.0f, y.data(), columns);
    });
    const double forward_taps = time_us(reps, [&] {
      for (int t = 0; t < 9; ++t)
        gemm(false, false, l.cog, columns, l.cig, w.data() + t * l.cog * l.cig, l.cig, padded.data() + offset(t), plane,
             t == 0 ? 0.0f : 1.0f, y.data(), columns);
    });
    const double weight_columns = time_us(reps, [&] {
      build_columns();
      gemm(false, true, l.cog, k, columns, y.data(), columns, col.data(), columns, 1.0f, gw.data(), k);
    });
    const double weight_taps = time_us(reps, [&] {
      for (int t = 0; t < 9; ++t)
        gemm(false, true, l.cog, l.cig, columns, y.data(), columns, padded.data() + offset(t), plane, 1.0f,
             gw.data() + t * l.cog * l.cig, l.cig);
    });
    const double input_columns = time_us(reps, [&] {
      gemm(true, false, k, columns, l.cog, w.data(), k, y.data(), columns, 0.0f, col.data(), columns);
      std::fill(gpadded.begin(), gpadded.end(), 0.0f);
      for (int c = 0; c < l.cig; ++c)
        for (int t = 0; t < 9; ++t) {
          float* to = gpadded.data() + c * plane + offset(t);
          const float* from = col.data() + (c * 9 + t) * columns;
          for (int j = 0; j < columns; ++j) to[j] += from[j];
        }
    });
    const double input_taps = time_us(reps, [&] {
      std::fill(gpadded.begin(), gpadded.end(), 0.0f);
      for (int t = 0; t < 9; ++t)
        gemm(true, false, l.cig, columns, l.cog, w.data() + t * l.cog * l.cig, l.cig, y.data(), columns, 1.0f,
             gpadded.data() + offset(t), plane);
    });
    const double flops = 2.0 * l.cog * k * l.height * l.width;  // the convolution's own products
    const struct {
      const char* pass;
      double columns_us, taps_us;
    } rows[] = {{"forward", forward_columns, forward_taps},
                {"weight grad", weight_columns, weight_taps},
                {"input grad", input_columns, input_taps}};
    for (const auto& r : rows) {
      bench::Json j{{"layer", l.note},
                    {"shape", std::to_string(l.cig) + "->" + std::to_string(l.cog) + " 3x3 on " +
                                  std::to_string(l.height) + "x" + std::to_string(l.width)},
                    {"pass", r.pass},
                    {"columns_us", r.columns_us},
                    {"taps_us", r.taps_us},
                    {"taps_over_columns", r.taps_us / r.columns_us},
                    {"taps_gflops", flops / r.taps_us / 1e3}};
      std::cout << j.dump() << std::endl;
    }
  }
  return 0;
}
