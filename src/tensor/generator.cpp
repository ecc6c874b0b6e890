// xoshiro256++ (Blackman & Vigna) seeded through splitmix64; see generator.hpp for why
// nabla does not use the standard library's distributions.
#include <nabla/error.hpp>
#include <nabla/generator.hpp>

#include <cmath>
#include <numbers>

namespace nabla {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

void Generator::manual_seed(uint64_t seed) {
  seed_ = seed;
  uint64_t x = seed;
  for (auto& word : s_) word = splitmix64(x);
  has_spare_normal_ = false;
  spare_normal_ = 0.0;
}

uint64_t Generator::next_u64() {
  const uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Generator::uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

double Generator::uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  // 1 - u lies in (0, 1], so the logarithm is finite.
  const double u1 = 1.0 - uniform_double();
  const double u2 = uniform_double();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = radius * std::sin(angle);
  has_spare_normal_ = true;
  return radius * std::cos(angle);
}

int64_t Generator::randint(int64_t low, int64_t high) {
  NABLA_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  // Reject the top partial block so every value is equally likely.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
  uint64_t x = next_u64();
  while (x > limit) x = next_u64();
  return low + static_cast<int64_t>(x % range);
}

Generator::State Generator::get_state() const { return {seed_, s_, has_spare_normal_, spare_normal_}; }

void Generator::set_state(const State& state) {
  NABLA_CHECK(state.s[0] | state.s[1] | state.s[2] | state.s[3], "Generator::set_state: all-zero xoshiro state is invalid");
  seed_ = state.seed;
  s_ = state.s;
  has_spare_normal_ = state.has_spare_normal;
  spare_normal_ = state.spare_normal;
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace nabla
