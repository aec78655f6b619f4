// engine/rng.hpp — the project's one random number generator.
//
// xoshiro256** seeded through splitmix64. Every random draw in the library (initialization, minibatch
// indices, VAE noise, exploration, the simulator) comes from an Rng passed in by its owner, so a run is a
// pure function of its seeds. The distributions are written here rather than taken from <random>,
// whose distributions are implementation-defined: the same seed gives the same bits with any standard
// library. The state is four words and can be saved in a checkpoint.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mtf {

/// A seed for a sub-stream: splitmix64 of (base, index). Used wherever one seed must fan out.
std::uint64_t mix_seed(std::uint64_t base, std::uint64_t index);
/// The seed of one named purpose of a run ("logging policy", "evaluation starts", ...): mix_seed of the
/// purpose's FNV-1a hash. Every seed of a run derives from its one run seed this way, so two purposes
/// never share a stream and adding a purpose changes no other.
std::uint64_t mix_seed(std::uint64_t base, std::string_view purpose);

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
  void reseed(std::uint64_t seed);

  /// Next raw 64-bit output.
  std::uint64_t next_u64();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal (Box–Muller on two uniforms; the second value is cached).
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  /// n standard normals in float, vectorized: Box–Muller on pairs of 24-bit uniforms taken from one
  /// 64-bit draw, with Eigen's SIMD log/sin/cos. Much faster than n calls of normal() (the noise of a
  /// BCQ iteration is ~74,000 numbers); the tails are cut at |z| < 5.77 (u1 >= 2^-24), probability
  /// below 1e-8. Does not touch the cached value of normal(). The same seed and n give the same bits;
  /// the values are not a prefix-stable stream across different n (SIMD and scalar tails round apart).
  void fill_normal(float* out, std::size_t n);
  /// Uniform integer in [0, n) without modulo bias (Lemire's method); n > 0.
  std::uint64_t below(std::uint64_t n);
  /// Bernoulli(p).
  bool bernoulli(double p) { return uniform() < p; }
  /// A new generator whose stream is independent of this one (seeded from this one's output).
  Rng split() { return Rng(next_u64()); }

  /// Full state for checkpoints: the four words, the cached normal and whether it is valid.
  struct State {
    std::array<std::uint64_t, 4> s;
    double cached_normal;
    bool has_cached_normal;
  };
  State state() const { return {s_, cached_normal_, has_cached_normal_}; }
  void set_state(const State& st) {
    s_ = st.s;
    cached_normal_ = st.cached_normal;
    has_cached_normal_ = st.has_cached_normal;
  }

 private:
  std::array<std::uint64_t, 4> s_{};
  double cached_normal_ = 0.0;
  bool has_cached_normal_ = false;
};

}  // namespace mtf
