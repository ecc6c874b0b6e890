// The max-pooling fast path against the window-by-window reference, on shapes that take it
// (and some that must not), with ties and NaNs in the data.
#include "kernels/pool.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace nabla::kernels {
namespace {

PoolShape shape2d(int64_t planes, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                  bool ceil_mode = false) {
  PoolShape s;
  s.planes = planes;
  s.input = {1, h, w};
  s.kernel = {1, kh, kw};
  s.stride = {1, sh, sw};
  auto out = [&](int64_t in, int64_t k, int64_t st) {
    const int64_t span = in - k;
    return (ceil_mode ? (span + st - 1) / st : span / st) + 1;
  };
  s.output = {1, out(h, kh, sh), out(w, kw, sw)};
  return s;
}

// Small integers give many ties; every 17th value is NaN and every 13th -inf.
std::vector<float> data(int64_t n, bool specials) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t state = 12345;
  for (int64_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    v[static_cast<size_t>(i)] = static_cast<float>((state >> 24) % 5);
    if (specials && i % 17 == 3) v[static_cast<size_t>(i)] = std::numeric_limits<float>::quiet_NaN();
    if (specials && i % 13 == 5) v[static_cast<size_t>(i)] = -std::numeric_limits<float>::infinity();
  }
  return v;
}

void expect_same(const PoolShape& s, bool specials) {
  const std::vector<float> x = data(s.planes * s.input_volume(), specials);
  const auto out = static_cast<size_t>(s.planes * s.output_volume());
  std::vector<float> y(out), y_ref(out);
  std::vector<int64_t> i(out), i_ref(out);
  max_pool_forward(s, x.data(), y.data(), i.data());
  max_pool_forward_reference(s, x.data(), y_ref.data(), i_ref.data());
  for (size_t k = 0; k < out; ++k) {
    ASSERT_EQ(i[k], i_ref[k]) << "output " << k;
    if (std::isnan(y_ref[k])) {
      ASSERT_TRUE(std::isnan(y[k])) << "output " << k;
    } else {
      ASSERT_EQ(y[k], y_ref[k]) << "output " << k;
    }
  }
}

TEST(MaxPoolFastPath, MatchesReferenceWithTiesNaNsAndInfinities) {
  const int64_t cases[][6] = {{28, 28, 2, 2, 2, 2}, {10, 10, 2, 2, 2, 2}, {9, 11, 2, 2, 2, 2}, {7, 7, 3, 3, 2, 2},
                              {8, 13, 3, 2, 1, 3},  {5, 6, 1, 1, 1, 1},   {1, 9, 1, 3, 1, 2},  {6, 6, 6, 6, 1, 1}};
  for (const auto& c : cases)
    for (bool specials : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "input " << c[0] << "x" << c[1] << " kernel " << c[2] << "x" << c[3]
                                        << " stride " << c[4] << "x" << c[5] << " specials " << specials);
      expect_same(shape2d(3, c[0], c[1], c[2], c[3], c[4], c[5]), specials);
    }
}

TEST(MaxPoolFastPath, ShapesOutsideItUseTheReference) {
  // ceil_mode clipping the last window, and padding: both must still equal the reference.
  expect_same(shape2d(2, 9, 9, 2, 2, 2, 2, /*ceil_mode=*/true), true);
  PoolShape padded = shape2d(2, 8, 8, 3, 3, 2, 2);
  padded.padding = {0, 1, 1};
  padded.output = {1, 4, 4};
  expect_same(padded, true);
}

}  // namespace
}  // namespace nabla::kernels
