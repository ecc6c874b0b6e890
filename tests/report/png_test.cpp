// encode_png decoded by an independent reader (CRCs, IHDR, inflate, all five row filters), and
// base64 against RFC 4648's test vectors.
#include "test_support.hpp"

#include <nabla/error.hpp>
#include <nabla/report/report.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

using namespace nabla;
using nabla::report::testing::decode_png;

namespace {

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(gen() & 0xff);
  return v;
}

}  // namespace

TEST(Png, RoundTripsGreyRgbAndRgbaExactly) {
  for (const int64_t channels : {1, 2, 3, 4}) {
    const int64_t h = 13, w = 7;
    // Half noise, half smooth ramps, so that several filter types win somewhere.
    std::vector<uint8_t> pixels = random_bytes(static_cast<size_t>(h * w * channels), static_cast<uint32_t>(channels));
    for (int64_t y = h / 2; y < h; ++y)
      for (int64_t i = 0; i < w * channels; ++i) pixels[static_cast<size_t>(y * w * channels + i)] = static_cast<uint8_t>(3 * y + 5 * i);
    const std::string png = report::encode_png(pixels, h, w, channels);
    const auto d = decode_png(png);
    EXPECT_EQ(d.chunk_types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
    EXPECT_EQ(d.width, 7u);
    EXPECT_EQ(d.height, 13u);
    EXPECT_EQ(d.channels, channels);
    EXPECT_EQ(d.pixels, pixels) << channels << " channels";
  }
}

TEST(Png, PicksTheFilterThatPredictsBest) {
  // Every row the same, varying along x: rows after the first are exact copies (Up gives zeros),
  // and the first row is a ramp (Sub gives a constant).
  const int64_t h = 5, w = 16;
  std::vector<uint8_t> pixels;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) pixels.push_back(static_cast<uint8_t>(100 + 9 * x));
  const auto d = decode_png(report::encode_png(pixels, h, w, 1));
  ASSERT_EQ(d.filters.size(), 5u);
  EXPECT_EQ(d.filters[0], 1) << "Sub for a ramp";
  for (size_t y = 1; y < d.filters.size(); ++y) EXPECT_EQ(d.filters[y], 2) << "Up for a repeated row " << y;
  EXPECT_EQ(d.pixels, pixels);
}

TEST(Png, KnownPixelValuesOfAnRgbImage) {
  const std::vector<uint8_t> pixels = {255, 0, 0, 0, 255, 0,  // red, green
                                       0, 0, 255, 17, 34, 51};  // blue, #112233
  const auto d = decode_png(report::encode_png(pixels, 2, 2, 3));
  ASSERT_EQ(d.pixels.size(), 12u);
  EXPECT_EQ(d.at(1, 0)[1], 255);
  EXPECT_EQ(d.at(0, 1)[2], 255);
  EXPECT_EQ(d.at(1, 1)[0], 17);
  EXPECT_EQ(d.at(1, 1)[2], 51);
}

TEST(Png, RejectsInconsistentSizes) {
  EXPECT_THROW(report::encode_png(std::vector<uint8_t>(11), 2, 2, 3), Error);
  EXPECT_THROW(report::encode_png(std::vector<uint8_t>(10), 2, 1, 5), Error);
  EXPECT_THROW(report::encode_png({}, 0, 4, 1), Error);
  try {
    report::encode_png(std::vector<uint8_t>(11), 2, 2, 3);
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("expected 12 bytes"));
  }
}

TEST(Base64, Rfc4648TestVectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(report::base64_encode(plain), encoded);
    EXPECT_EQ(report::base64_decode(encoded), plain);
  }
}

TEST(Base64, RoundTripsEveryByteValueAndRejectsMalformedText) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t cut = 0; cut < 3; ++cut) {
    const std::string bytes = all.substr(cut);
    const std::string text = report::base64_encode(bytes);
    EXPECT_EQ(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
              std::string::npos);
    EXPECT_EQ(report::base64_decode(text), bytes);
  }
  EXPECT_EQ(report::base64_encode("\xfb\xff"), "+/8=");
  EXPECT_THROW(report::base64_decode("Zm9"), Error);        // length
  EXPECT_THROW(report::base64_decode("Zm9v!A=="), Error);   // character
  EXPECT_THROW(report::base64_decode("Zg==Zm9v"), Error);   // padding in the middle
  EXPECT_THROW(report::base64_decode("Zm=v"), Error);       // '=' before a character
}

TEST(Png, DataUriIsBase64OfTheFile) {
  const std::string png = report::encode_png({0, 128, 255, 64}, 2, 2, 1);
  const std::string uri = report::png_data_uri(png);
  ASSERT_EQ(uri.rfind("data:image/png;base64,", 0), 0u);
  EXPECT_EQ(report::base64_decode(uri.substr(22)), png);
}
