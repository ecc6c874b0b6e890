// Convolution kernels: the reference loops pinned by hand-computed values and by the adjoint
// identities that tie forward and backward together; the vol2col + GEMM fast paths against the
// references on hundreds of random 1-D/2-D/3-D geometries (odd sizes, strides, padding,
// dilation, groups, output sizes other than the usual formula), in float32 and float64; and
// bit-identical fast-path results for 1, 2, 3 and 8 threads.
#include "kernels/conv.hpp"

#include <nabla/tensor.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace nabla::kernels {
namespace {

template <typename T>
std::vector<T> random_values(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(dist(rng));
  return v;
}

int64_t x_size(const ConvShape& s) { return s.batch * s.in_channels * s.input_volume(); }
int64_t y_size(const ConvShape& s) { return s.batch * s.out_channels * s.output_volume(); }
int64_t w_size(const ConvShape& s) { return s.out_channels * (s.in_channels / s.groups) * s.kernel_volume(); }

std::string describe(const ConvShape& s) {
  std::ostringstream os;
  auto arr = [&](const char* name, const std::array<int64_t, 3>& a) {
    os << ' ' << name << "=(" << a[0] << ',' << a[1] << ',' << a[2] << ')';
  };
  os << "N=" << s.batch << " Cin=" << s.in_channels << " Cout=" << s.out_channels << " groups=" << s.groups;
  arr("in", s.input);
  arr("out", s.output);
  arr("k", s.kernel);
  arr("stride", s.stride);
  arr("pad", s.padding);
  arr("dil", s.dilation);
  return os.str();
}

// A random geometry with `dims` spatial dims. The output size is the usual formula's, or one
// less or more (as asymmetric padding and transposed convolutions with output_padding make it).
ConvShape random_shape(std::mt19937& rng, int dims) {
  auto r = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  ConvShape s;
  s.batch = r(1, 3);
  s.groups = r(1, 3);
  s.in_channels = s.groups * r(1, 3);
  s.out_channels = s.groups * r(1, 3);
  for (int i = 3 - dims; i < 3; ++i) {
    s.kernel[i] = r(1, 4);
    s.stride[i] = r(1, 3);
    s.dilation[i] = r(1, 2);
    s.padding[i] = r(0, 2);
    const int64_t extent = s.dilation[i] * (s.kernel[i] - 1) + 1;
    s.input[i] = std::max({r(1, 9), extent - 2 * s.padding[i], int64_t{1}});
    const int64_t formula = (s.input[i] + 2 * s.padding[i] - extent) / s.stride[i] + 1;
    s.output[i] = std::max<int64_t>(1, formula + (r(0, 3) == 0 ? r(-1, 1) : 0));
  }
  return s;
}

// |fast - ref| <= tol (1 + |ref|) everywhere.
template <typename T>
void expect_close(const std::vector<T>& fast, const std::vector<T>& ref, double tol, const std::string& what) {
  ASSERT_EQ(fast.size(), ref.size()) << what;
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_LE(std::abs(double(fast[i]) - double(ref[i])), tol * (1 + std::abs(double(ref[i]))))
        << what << " element " << i << ": fast " << fast[i] << ", reference " << ref[i];
}

template <typename T>
void check_fast_against_reference(const ConvShape& s, std::mt19937& rng) {
  const std::string what = describe(s);
  const double tol = (std::is_same_v<T, float> ? 2e-6 : 1e-14) * double(w_size(s) + y_size(s));
  const std::vector<T> x = random_values<T>(x_size(s), rng), w = random_values<T>(w_size(s), rng);
  const std::vector<T> b = random_values<T>(s.out_channels, rng), gy = random_values<T>(y_size(s), rng);
  // Outputs start as NaN: every kernel must write every element.
  const T nan = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> y(static_cast<size_t>(y_size(s)), nan), y_ref = y;
  conv_forward(s, x.data(), w.data(), b.data(), y.data());
  conv_forward_reference(s, x.data(), w.data(), b.data(), y_ref.data());
  expect_close(y, y_ref, tol, "forward " + what);
  conv_forward(s, x.data(), w.data(), static_cast<const T*>(nullptr), y.data());
  conv_forward_reference(s, x.data(), w.data(), static_cast<const T*>(nullptr), y_ref.data());
  expect_close(y, y_ref, tol, "forward without bias " + what);

  std::vector<T> gx(x.size(), nan), gx_ref = gx;
  conv_backward_input(s, gy.data(), w.data(), gx.data());
  conv_backward_input_reference(s, gy.data(), w.data(), gx_ref.data());
  expect_close(gx, gx_ref, tol, "backward input " + what);

  std::vector<T> gw(w.size(), nan), gw_ref = gw;
  conv_backward_weight(s, x.data(), gy.data(), gw.data());
  conv_backward_weight_reference(s, x.data(), gy.data(), gw_ref.data());
  expect_close(gw, gw_ref, tol, "backward weight " + what);
}

TEST(ConvReference, MatchesHandComputedValues) {
  // 1-D, one channel: x = [1, 2, 3, 4], w = [1, 0, -1], padding 1, bias 0.5:
  // y[o] = x[o - 1] - x[o + 1] + 0.5 = [-1.5, -1.5, -1.5, 3.5].
  ConvShape s;
  s.input = {1, 1, 4};
  s.output = {1, 1, 4};
  s.kernel = {1, 1, 3};
  s.padding = {0, 0, 1};
  const std::vector<double> x = {1, 2, 3, 4}, w = {1, 0, -1}, b = {0.5};
  std::vector<double> y(4);
  conv_forward_reference(s, x.data(), w.data(), b.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{-1.5, -1.5, -1.5, 3.5}));
  // Two groups of one channel, kernel 2, stride 2, dilation 2: y_c[o] = w_c[0] x_c[2o] + w_c[1] x_c[2o + 2]
  // with x0 = [1, 2, 3, 4, 5], w0 = [1, 10] and x1 = [10, 20, 30, 40, 50], w1 = [2, 3].
  ConvShape g;
  g.in_channels = g.out_channels = g.groups = 2;
  g.input = {1, 1, 5};
  g.output = {1, 1, 2};
  g.kernel = {1, 1, 2};
  g.stride = {1, 1, 2};
  g.dilation = {1, 1, 2};
  const std::vector<double> gxv = {1, 2, 3, 4, 5, 10, 20, 30, 40, 50}, gwv = {1, 10, 2, 3};
  std::vector<double> gyv(4);
  conv_forward_reference(g, gxv.data(), gwv.data(), static_cast<const double*>(nullptr), gyv.data());
  // y0 = [1 + 30, 3 + 50], y1 = [20 + 90, 60 + 150]
  EXPECT_EQ(gyv, (std::vector<double>{31, 53, 110, 210}));
}

TEST(ConvReference, BackwardLoopsAreTheAdjointsOfTheForward) {
  // <conv(x, w), gy> = <x, backward_input(gy, w)> = <w, backward_weight(x, gy)>.
  std::mt19937 rng(3);
  for (int dims = 1; dims <= 3; ++dims)
    for (int trial = 0; trial < 20; ++trial) {
      const ConvShape s = random_shape(rng, dims);
      const std::vector<double> x = random_values<double>(x_size(s), rng), w = random_values<double>(w_size(s), rng);
      const std::vector<double> gy = random_values<double>(y_size(s), rng);
      std::vector<double> y(gy.size()), gx(x.size()), gw(w.size());
      conv_forward_reference(s, x.data(), w.data(), static_cast<const double*>(nullptr), y.data());
      conv_backward_input_reference(s, gy.data(), w.data(), gx.data());
      conv_backward_weight_reference(s, x.data(), gy.data(), gw.data());
      double a = 0, b = 0, c = 0;
      for (size_t i = 0; i < y.size(); ++i) a += y[i] * gy[i];
      for (size_t i = 0; i < x.size(); ++i) b += x[i] * gx[i];
      for (size_t i = 0; i < w.size(); ++i) c += w[i] * gw[i];
      EXPECT_NEAR(a, b, 1e-10 * (1 + std::abs(a))) << describe(s);
      EXPECT_NEAR(a, c, 1e-10 * (1 + std::abs(a))) << describe(s);
    }
}

TEST(ConvFast, MatchesReferenceOnRandomShapesFloat64) {
  std::mt19937 rng(1);
  for (int dims = 1; dims <= 3; ++dims)
    for (int trial = 0; trial < 150; ++trial) check_fast_against_reference<double>(random_shape(rng, dims), rng);
}

TEST(ConvFast, MatchesReferenceOnRandomShapesFloat32) {
  std::mt19937 rng(2);
  for (int dims = 1; dims <= 3; ++dims)
    for (int trial = 0; trial < 150; ++trial) check_fast_against_reference<float>(random_shape(rng, dims), rng);
}

// Random 1-D and 2-D geometries with at least 8 input channels per group: the fast paths' tap
// GEMMs, which read the phase planes of the padded image instead of a column matrix.
ConvShape random_tap_shape(std::mt19937& rng, int dims) {
  ConvShape s = random_shape(rng, dims);
  auto r = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  s.groups = r(1, 2);
  s.in_channels = s.groups * r(8, 10);
  s.out_channels = s.groups * r(1, 5);
  for (int i = 3 - dims; i < 3; ++i) {
    const int64_t extent = s.dilation[i] * (s.kernel[i] - 1) + 1;
    const int64_t formula = (s.input[i] + 2 * s.padding[i] - extent) / s.stride[i] + 1;
    s.output[i] = std::max<int64_t>(1, formula + (r(0, 3) == 0 ? r(-1, 1) : 0));
  }
  return s;
}

TEST(ConvFast, TapGemmsMatchReferenceOnRandomShapes) {
  std::mt19937 rng(3);
  for (int dims = 1; dims <= 2; ++dims)
    for (int trial = 0; trial < 60; ++trial) {
      const ConvShape s = random_tap_shape(rng, dims);
      check_fast_against_reference<double>(s, rng);
      check_fast_against_reference<float>(s, rng);
    }
}

// Named geometries the random ones may miss: pointwise (the columns are the input itself),
// depthwise, a kernel covering the whole input, stride over kernel, empty batch, many images,
// depth padding around a depth-1 input, a strided 3x3 on tap GEMMs.
std::vector<ConvShape> special_shapes() {
  std::vector<ConvShape> shapes;
  ConvShape s;
  s.batch = 3;
  s.in_channels = 5;
  s.out_channels = 4;
  s.input = s.output = {1, 6, 7};
  shapes.push_back(s);  // 1x1, stride 1, no padding
  s.groups = 1;
  s.in_channels = s.out_channels = s.groups = 6;
  s.kernel = {1, 3, 3};
  s.padding = {0, 1, 1};
  shapes.push_back(s);  // depthwise 3x3 "same"
  s = ConvShape{};
  s.batch = 2;
  s.in_channels = 2;
  s.out_channels = 3;
  s.input = {3, 4, 5};
  s.kernel = {3, 4, 5};
  shapes.push_back(s);  // kernel == input, output 1x1x1
  s = ConvShape{};
  s.in_channels = 2;
  s.out_channels = 2;
  s.input = {1, 9, 8};
  s.output = {1, 4, 3};
  s.kernel = {1, 2, 2};
  s.stride = {1, 3, 3};
  s.padding = {0, 1, 1};
  shapes.push_back(s);  // stride larger than the kernel: some inputs are never read
  s.batch = 0;
  shapes.push_back(s);  // no images
  s.batch = 21;
  shapes.push_back(s);  // more images than weight-gradient blocks
  // depth 1 read only at depth -1, all padding: no output reads the input
  shapes.push_back({.batch = 2, .in_channels = 9, .out_channels = 3, .input = {1, 4, 5}, .output = {1, 4, 5},
                    .kernel = {1, 3, 3}, .padding = {1, 1, 1}});
  // stride 2, 3x3: four phase planes read by tap GEMMs
  shapes.push_back({.batch = 2, .in_channels = 9, .out_channels = 3, .input = {1, 4, 5}, .output = {1, 2, 3},
                    .kernel = {1, 3, 3}, .stride = {1, 2, 2}, .padding = {0, 1, 1}});
  return shapes;
}

TEST(ConvFast, MatchesReferenceOnSpecialShapes) {
  std::mt19937 rng(5);
  for (const ConvShape& s : special_shapes()) {
    check_fast_against_reference<double>(s, rng);
    check_fast_against_reference<float>(s, rng);
  }
}

// Restores nabla's thread count when a test ends.
struct ThreadCount {
  int saved = get_num_threads();
  ~ThreadCount() { set_num_threads(saved); }
};

TEST(ConvFast, ResultsAreBitIdenticalForAnyThreadCount) {
  ThreadCount restore;
  std::vector<ConvShape> shapes;
  ConvShape s;  // LeNet's second layer on a batch of 13
  s.batch = 13;
  s.in_channels = 6;
  s.out_channels = 16;
  s.input = {1, 14, 14};
  s.output = {1, 10, 10};
  s.kernel = {1, 5, 5};
  shapes.push_back(s);
  s = ConvShape{};  // one large image: the GEMMs themselves are split into tiles
  s.in_channels = 16;
  s.out_channels = 64;
  s.input = s.output = {1, 34, 34};
  s.kernel = {1, 3, 3};
  s.padding = {0, 1, 1};
  shapes.push_back(s);
  // tap GEMMs: grouped, dilated, 11 images (more than the weight-gradient blocks)
  shapes.push_back({.batch = 11, .in_channels = 16, .out_channels = 6, .groups = 2, .input = {1, 9, 12},
                    .output = {1, 7, 12}, .kernel = {1, 3, 3}, .padding = {0, 1, 2}, .dilation = {1, 2, 2}});
  s = ConvShape{};  // 3-D, grouped, strided, 5 images
  s.batch = 5;
  s.in_channels = s.out_channels = 4;
  s.groups = 2;
  s.input = {5, 6, 7};
  s.output = {3, 3, 4};
  s.kernel = {2, 3, 2};
  s.stride = {2, 2, 2};
  s.padding = {1, 1, 1};
  shapes.push_back(s);
  std::mt19937 rng(9);
  for (const ConvShape& shape : shapes) {
    const std::vector<float> x = random_values<float>(x_size(shape), rng), w = random_values<float>(w_size(shape), rng);
    const std::vector<float> b = random_values<float>(shape.out_channels, rng);
    const std::vector<float> gy = random_values<float>(y_size(shape), rng);
    std::vector<float> first;
    for (int threads : {1, 2, 3, 8}) {
      set_num_threads(threads);
      std::vector<float> y(gy.size()), gx(x.size()), gw(w.size()), gb(b.size());
      conv_forward(shape, x.data(), w.data(), b.data(), y.data());
      conv_backward_input(shape, gy.data(), w.data(), gx.data());
      conv_backward_weight(shape, x.data(), gy.data(), gw.data());
      channel_sums(shape.batch, shape.out_channels, shape.output_volume(), gy.data(), gb.data());
      std::vector<float> all = y;
      for (const auto* part : {&gx, &gw, &gb}) all.insert(all.end(), part->begin(), part->end());
      if (first.empty()) first = all;
      ASSERT_EQ(0, std::memcmp(first.data(), all.data(), all.size() * sizeof(float)))
          << "threads=" << threads << " " << describe(shape);
    }
  }
}

TEST(ConvBias, AddsPerChannelAndSumsOverBatchAndVolume) {
  // y (2, 3, 2): bias [1, 2, 3] added to each channel's row.
  std::vector<double> y(12, 10.0);
  const std::vector<double> b = {1, 2, 3};
  add_channel_bias(2, 3, 2, b.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{11, 11, 12, 12, 13, 13, 11, 11, 12, 12, 13, 13}));
  // gb[c] = sum over n and volume of gy[n][c][:].
  std::vector<double> gy(12);
  for (size_t i = 0; i < gy.size(); ++i) gy[i] = double(i);
  std::vector<double> gb(3);
  channel_sums(2, 3, 2, gy.data(), gb.data());
  EXPECT_EQ(gb, (std::vector<double>{0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11}));
  channel_sums(0, 3, 2, gy.data(), gb.data());
  EXPECT_EQ(gb, (std::vector<double>{0, 0, 0}));
}

}  // namespace
}  // namespace nabla::kernels
