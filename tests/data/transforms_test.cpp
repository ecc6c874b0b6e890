// Transforms: exact values for the deterministic ones, statistics and invariants for the random
// ones, seeded reproducibility, and their use as DataLoader batch transforms.
#include <nabla/data/transforms.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace nabla::data {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Tensor images(int64_t n, int64_t c, int64_t h, int64_t w) {
  // 1, 2, 3, ...: every pixel distinct and non-zero, so zero marks padding.
  return arange(1.0, static_cast<double>(n * c * h * w + 1), 1.0, float32).reshape({n, c, h, w});
}

TEST(ScaleToUnit, Uint8ToFloatAndBatchForm) {
  const Tensor u8 = tensor(std::vector<int64_t>{0, 51, 255}, {3}).to(uint8);
  const Tensor x = scale_to_unit(u8);
  EXPECT_EQ(x.dtype(), float32);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0.0f, 0.2f, 1.0f}));
  const Tensor f = tensor({0.5f});
  EXPECT_TRUE(scale_to_unit(f).is_same(f));
  EXPECT_THAT([] { scale_to_unit(zeros({2}, int64)); }, ThrowsMessage<Error>(HasSubstr("got int64")));
  const BatchTransform t = scale_to_unit;  // usable where a BatchTransform is expected
  const Batch b = t(Batch{u8, tensor(std::vector<int64_t>{7}, {1})});
  EXPECT_EQ(b.input.dtype(), float32);
  EXPECT_EQ(b.target.to_vector<int64_t>(), (std::vector<int64_t>{7}));
}

TEST(ScaleToUnit, EveryByteIsTheFloatDivisionBy255) {
  // torchvision's ToTensor: x.float() / 255, division in float; also on a non-contiguous view.
  std::vector<int64_t> all(256);
  for (int64_t v = 0; v < 256; ++v) all[static_cast<size_t>(v)] = v;
  const Tensor u8 = tensor(all, {2, 128}).to(uint8);
  const std::vector<float> got = scale_to_unit(u8).to_vector<float>();
  for (size_t v = 0; v < 256; ++v) ASSERT_EQ(got[v], static_cast<float>(v) / 255.0f) << "byte " << v;
  EXPECT_EQ(scale_to_unit(u8.t()).to_vector<float>(), u8.t().to(float32).div(255.0).to_vector<float>());
}

TEST(Flatten, KeepsDimZero) {
  EXPECT_EQ(flatten(zeros({2, 1, 3, 4})).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(zeros({5})).shape(), (Shape{5, 1}));
  EXPECT_THROW(flatten(scalar_tensor(1.0)), Error);
}

TEST(Normalize, PerChannel) {
  const Tensor x = tensor(std::vector<float>{1, 2, 3, 10, 5, 6, 7, 18}, {2, 2, 2, 1});
  const Tensor y = Normalize{.mean = {1, 2}, .std = {2, 4}}(x);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{0, 0.5f, 0.25f, 2, 2, 2.5f, 1.25f, 4}));
  EXPECT_EQ(normalize(zeros({1, 1, 2, 2}, uint8), {0.5}, {0.5}).dtype(), float32);
  EXPECT_THAT([&] { normalize(x, {1}, {1}); }, ThrowsMessage<Error>(HasSubstr("one mean and one std per channel (2")));
  EXPECT_THAT([&] { normalize(x, {1, 1}, {1, 0}); }, ThrowsMessage<Error>(HasSubstr("std must be positive")));
}

TEST(Standardize, FitsOnTrainingDataOnly) {
  const Tensor train = tensor(std::vector<double>{1, 10, 3, 10, 5, 10}, {3, 2});
  Standardize s(1e-3);
  EXPECT_THAT([&] { s(train); }, ThrowsMessage<Error>(HasSubstr("call fit")));
  s.fit(train);
  const double sd = std::sqrt(8.0 / 3.0);  // population std of 1, 3, 5
  EXPECT_EQ(s.mean().to_vector<double>(), (std::vector<double>{3, 10}));
  EXPECT_NEAR(s.std().to_vector<double>()[0], sd, 1e-12);
  EXPECT_EQ(s.std().to_vector<double>()[1], 1e-3);  // constant feature: the floor
  const Tensor z = s(train);
  EXPECT_EQ(z.dtype(), float64);
  EXPECT_NEAR(z.to_vector<double>()[0], -2.0 / sd, 1e-12);
  EXPECT_NEAR(z.to_vector<double>()[1], 0.0, 1e-12);
  // Test data uses the training statistics, not its own.
  const Tensor test = tensor(std::vector<float>{7, 10.5f}, {1, 2});
  const std::vector<float> zt = s(test).to_vector<float>();
  EXPECT_NEAR(zt[0], 4.0 / sd, 1e-5);
  EXPECT_NEAR(zt[1], 500.0, 1e-2);
  EXPECT_EQ(s(zeros({4, 2}, uint8)).dtype(), float32);
  EXPECT_THAT([&] { s(zeros({4, 3})); }, ThrowsMessage<Error>(HasSubstr("fitted on examples of shape [2]")));
  EXPECT_THROW(Standardize(0.0), Error);
}

TEST(GaussianNoise, StatisticsAndSeeds) {
  Generator g(1);
  const Tensor noisy = add_gaussian_noise(full({20000}, 3.0), 0.5, g);
  EXPECT_NEAR(noisy.mean().item(), 3.0, 0.02);
  EXPECT_NEAR(noisy.std().item(), 0.5, 0.02);
  Generator a(5), b(5);
  EXPECT_EQ(add_gaussian_noise(zeros({50}), 1.0, a).to_vector<float>(),
            add_gaussian_noise(zeros({50}), 1.0, b).to_vector<float>());
  EXPECT_THAT([&] { add_gaussian_noise(zeros({2}, uint8), 1.0, g); },
              ThrowsMessage<Error>(HasSubstr("scale uint8 images with scale_to_unit first")));
  // Copies of the transform share its generator, so the caller's handle sees the stream advance.
  auto shared = std::make_shared<Generator>(9);
  const BatchTransform t = GaussianNoise{.std = 1.0, .generator = shared};
  const Generator::State before = shared->get_state();
  t(Batch{zeros({4}), Tensor()});
  EXPECT_NE(shared->get_state(), before);
}

TEST(RandomMask, ZeroesAFractionWithoutRescaling) {
  Generator g(2);
  const Tensor masked = random_mask(ones({20000}), 0.3, g);
  const std::vector<float> v = masked.to_vector<float>();
  const auto zeros_count = std::count(v.begin(), v.end(), 0.0f);
  EXPECT_EQ(zeros_count + std::count(v.begin(), v.end(), 1.0f), 20000);  // survivors unchanged
  EXPECT_NEAR(static_cast<double>(zeros_count) / 20000.0, 0.3, 0.015);
  EXPECT_EQ(random_mask(ones({10}), 0.0, g).to_vector<float>(), std::vector<float>(10, 1.0f));
  EXPECT_EQ(random_mask(ones({10}), 1.0, g).to_vector<float>(), std::vector<float>(10, 0.0f));
  EXPECT_EQ(random_mask(ones({3}, uint8), 0.5, g).dtype(), uint8);
  EXPECT_THROW(random_mask(ones({3}), 1.5, g), Error);
}

// True when out is `in` shifted by (dy, dx) with zeros where the shift leaves the image.
bool is_shift(const std::vector<float>& in, const std::vector<float>& out, int64_t h, int64_t w, int64_t oh,
              int64_t ow, int64_t dy, int64_t dx) {
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      const int64_t sy = y + dy, sx = x + dx;
      const float expected = sy >= 0 && sy < h && sx >= 0 && sx < w ? in[sy * w + sx] : 0.0f;
      if (out[y * ow + x] != expected) return false;
    }
  return true;
}

TEST(RandomCrop, EveryOutputIsAShiftedWindow) {
  const int64_t n = 64, h = 5, w = 6, pad = 2;
  const Tensor x = images(n, 1, h, w);
  Generator g(3);
  const Tensor y = random_crop(x, pad, g);
  ASSERT_EQ(y.shape(), x.shape());
  std::set<std::pair<int64_t, int64_t>> offsets;
  for (int64_t i = 0; i < n; ++i) {
    const auto in = x.select(0, i).contiguous().to_vector<float>();
    const auto out = y.select(0, i).contiguous().to_vector<float>();
    int matches = 0;
    for (int64_t dy = -pad; dy <= pad; ++dy)
      for (int64_t dx = -pad; dx <= pad; ++dx)
        if (is_shift(in, out, h, w, h, w, dy, dx)) {
          ++matches;
          offsets.insert({dy, dx});
        }
    EXPECT_EQ(matches, 1) << "image " << i;
  }
  EXPECT_GT(offsets.size(), 10u);  // 25 possible offsets, drawn per image
  // A smaller window without padding, uint8 kept.
  const Tensor u8 = images(2, 3, 4, 4).to(uint8);
  const Tensor small = random_crop(u8, 0, g, 3, 2);
  EXPECT_EQ(small.shape(), (Shape{2, 3, 3, 2}));
  EXPECT_EQ(small.dtype(), uint8);
  EXPECT_THAT([&] { random_crop(u8, 0, g, 5, 4); }, ThrowsMessage<Error>(HasSubstr("does not fit")));
  EXPECT_THAT([&] { random_crop(zeros({4, 4}), 1, g); }, ThrowsMessage<Error>(HasSubstr("(N, C, H, W)")));
}

TEST(RandomHorizontalFlip, MirrorsWholeImages) {
  const int64_t n = 200;
  const Tensor x = images(n, 2, 3, 4);
  Generator g(4);
  const Tensor y = random_horizontal_flip(x, g);
  const Tensor mirrored = x.index_select(3, tensor(std::vector<int64_t>{3, 2, 1, 0}, {4}));
  int flipped = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto out = y.select(0, i).contiguous().to_vector<float>();
    const bool same = out == x.select(0, i).contiguous().to_vector<float>();
    const bool mirror = out == mirrored.select(0, i).contiguous().to_vector<float>();
    EXPECT_TRUE(same != mirror) << "image " << i;
    flipped += mirror;
  }
  EXPECT_NEAR(flipped, 100, 30);
  EXPECT_EQ(random_horizontal_flip(x, g, 0.0).to_vector<float>(), x.to_vector<float>());
  EXPECT_EQ(random_horizontal_flip(x, g, 1.0).to_vector<float>(), mirrored.to_vector<float>());
}

TEST(Transforms, SameSeedSameAugmentation) {
  const Tensor x = images(16, 1, 8, 8);
  auto run = [&](uint64_t seed) {
    auto g = std::make_shared<Generator>(seed);
    const BatchTransform t = compose({RandomCrop{.padding = 2, .generator = g},
                                      RandomHorizontalFlip{.generator = g}});
    return t(Batch{x, Tensor()}).input.to_vector<float>();
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

TEST(Transforms, ComposeAndDenoising) {
  const Tensor u8 = images(2, 1, 2, 2).to(uint8);
  const BatchTransform t = compose({scale_to_unit, flatten});
  const Batch b = t(Batch{u8, Tensor()});
  EXPECT_EQ(b.input.shape(), (Shape{2, 4}));
  EXPECT_FLOAT_EQ(b.input.to_vector<float>()[7], 8.0f / 255.0f);
  EXPECT_THROW(compose({scale_to_unit, BatchTransform()}), Error);

  const BatchTransform d = denoising(RandomMask{.fraction = 1.0});
  const Batch pair = d(Batch{ones({3, 2}), tensor(std::vector<int64_t>{0, 1, 2}, {3})});
  EXPECT_EQ(pair.input.to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(pair.target.to_vector<float>(), std::vector<float>(6, 1.0f));
}

TEST(Transforms, RandomTransformInLoaderSameWithPrefetch) {
  auto data = std::make_shared<TensorDataset>(images(40, 1, 4, 4).to(uint8), arange(40.0, int64));
  auto batches = [&](int64_t prefetch) {
    auto g = std::make_shared<Generator>(12);
    DataLoader loader(data, {.batch_size = 8,
                             .shuffle = true,
                             .seed = 1,
                             .transform = compose({scale_to_unit, GaussianNoise{.std = 0.1, .generator = g},
                                                   RandomHorizontalFlip{.generator = g}}),
                             .prefetch = prefetch});
    std::vector<std::vector<float>> out;
    for (int e = 0; e < 2; ++e)
      for (const Batch& b : loader) out.push_back(b.input.to_vector<float>());
    return out;
  };
  EXPECT_EQ(batches(0), batches(3));
}

}  // namespace
}  // namespace nabla::data
