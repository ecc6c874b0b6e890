// Seeded random number generation that gives the same numbers on every machine and
// standard library: xoshiro256++ seeded through splitmix64, uniform floats from the
// top bits, normals by Box-Muller (std::*_distribution is implementation-defined).
#pragma once

#include <array>
#include <cstdint>

namespace nabla {

/// An explicit random stream. Copyable; copies continue independently from the same state.
class Generator {
public:
  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }

  /// Restarts the stream from `seed` (like torch.Generator.manual_seed).
  void manual_seed(uint64_t seed);
  uint64_t initial_seed() const { return seed_; }

  uint64_t next_u64();
  /// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
  float uniform_float();
  double uniform_double();
  /// Standard normal draw (Box-Muller on two uniform doubles; the pair's second value is kept
  /// for the next call so that the stream is a pure function of the seed).
  double normal();
  /// Uniform integer in [low, high); unbiased (rejection sampling).
  int64_t randint(int64_t low, int64_t high);

  /// The full state, so a training checkpoint can resume the exact stream.
  struct State {
    uint64_t seed = 0;
    std::array<uint64_t, 4> s{};
    bool has_spare_normal = false;
    double spare_normal = 0.0;
    bool operator==(const State&) const = default;
  };
  State get_state() const;
  void set_state(const State& state);

private:
  uint64_t seed_ = 0;
  std::array<uint64_t, 4> s_{};
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

/// The generator used when none is passed explicitly.
Generator& default_generator();

/// Seeds the default generator (like torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace nabla
