// SampleRng: the random stream of one training sample.
//
// Every random choice the data pipeline makes for a sample (its degradation,
// a synthetic face, an epoch's order) comes from a SampleRng built from
// (seed, stream, index) alone, never from shared generator state. A sample
// therefore draws the same values whichever thread handles it and however
// many threads there are. `stream` separates independent uses of the same
// (seed, index) pair, e.g. the degradation of sample 7 and the synthetic face
// number 7 do not share values.
//
// The generator is std::mt19937_64 seeded through SplitMix64, and the
// uniform helpers below are written out by hand (the standard distributions
// are implementation-defined), so draws match across standard libraries.
//
// Not thread-safe: one SampleRng per thread of use.
#ifndef FACET_TRAINER_DATA_SAMPLE_RNG_H_
#define FACET_TRAINER_DATA_SAMPLE_RNG_H_

#include <cmath>
#include <cstdint>
#include <random>

namespace facet {

// Stream ids; never renumber (they fix what a given seed produces).
enum class RngStream : uint64_t {
  kDegradation = 1,
  kSyntheticFace = 2,
  kEpochOrder = 3,
};

// SplitMix64's finaliser: a bijective 64-bit mix.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class SampleRng {
 public:
  SampleRng(uint64_t seed, RngStream stream, uint64_t index)
      : engine_(SplitMix64(
            SplitMix64(SplitMix64(seed) ^ static_cast<uint64_t>(stream)) +
            index)) {}

  // A raw 64-bit draw.
  uint64_t Next() { return engine_(); }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

  // Uniform integer in [lo, hi] (both inclusive). REQUIRES: lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    // Multiply-shift keeps the bias below 2^-40 for the small spans used here.
    const unsigned __int128 wide =
        static_cast<unsigned __int128>(engine_()) * span;
    return lo + static_cast<int64_t>(wide >> 64);
  }

  // Returns true with probability p.
  bool Bernoulli(double p) { return Uniform() < p; }

  // A standard normal draw (Box-Muller; one of the pair is discarded).
  double Normal(double mean, double stddev);

 private:
  std::mt19937_64 engine_;
};

inline double SampleRng::Normal(double mean, double stddev) {
  double u1 = Uniform();
  while (u1 <= 0.0) u1 = Uniform();
  const double u2 = Uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  return mean + stddev * r * std::cos(6.283185307179586 * u2);
}

}  // namespace facet

#endif  // FACET_TRAINER_DATA_SAMPLE_RNG_H_
