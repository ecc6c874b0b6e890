#include <nabla/nabla.hpp>

#include <gtest/gtest.h>

namespace nabla {
namespace {

// Each test starts and ends with an empty cache so that other tests' tensors do not interfere.
class MemoryCache : public ::testing::Test {
protected:
  void SetUp() override { memory::empty_cache(); }
  void TearDown() override { memory::set_cache_limit(512u << 20); }
};

TEST_F(MemoryCache, FreedLargeBufferIsReusedForTheSameSizeClass) {
  const float* first = nullptr;
  {
    Tensor big = zeros({1000, 100});  // 400,000 bytes
    first = big.data_ptr<float>();
  }
  // 400,000 bytes lie in the class of 2^18 * 1.75 = 458,752 bytes.
  EXPECT_EQ(memory::cached_bytes(), 458752u);
  Tensor again = ones({1100, 100});  // 440,000 bytes: same class
  EXPECT_EQ(again.data_ptr<float>(), first);
  EXPECT_EQ(memory::cached_bytes(), 0u);
  EXPECT_FLOAT_EQ(again.sum().item(), 110000.0f);  // recycled memory is fully overwritten
}

TEST_F(MemoryCache, DifferentClassesAreNotMixedAndSmallBuffersBypassTheCache) {
  { Tensor small = zeros({100}); }
  EXPECT_EQ(memory::cached_bytes(), 0u);
  const float* first = nullptr;
  {
    Tensor big = zeros({65536});  // 256 KiB, a class of its own
    first = big.data_ptr<float>();
  }
  Tensor larger = zeros({65536 + 16384 + 1});  // above 1.25 * 256 KiB: a larger class
  EXPECT_NE(larger.data_ptr<float>(), first);
  EXPECT_EQ(memory::cached_bytes(), 262144u);
}

TEST_F(MemoryCache, LimitBoundsTheCacheAndZeroTurnsItOff) {
  memory::set_cache_limit(300000);
  {
    Tensor a = zeros({65536}), b = zeros({65536});  // 256 KiB each
  }
  EXPECT_EQ(memory::cached_bytes(), 262144u);  // the second did not fit under the limit
  memory::set_cache_limit(0);
  EXPECT_EQ(memory::cached_bytes(), 0u);
  { Tensor c = zeros({65536}); }
  EXPECT_EQ(memory::cached_bytes(), 0u);
  EXPECT_EQ(memory::cache_limit(), 0u);
}

TEST_F(MemoryCache, BuffersAreAlignedTo64Bytes) {
  for (int64_t n : {1, 7, 4096, 4097, 100000, 1 << 20}) {
    Tensor t = empty({n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr<float>()) % 64, 0u) << n;
  }
}

}  // namespace
}  // namespace nabla
