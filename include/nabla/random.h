#pragma once
// Philox4x32-10: a counter-based generator. State is (seed, offset); block k of the stream is
// philox(seed, offset + k), so any element can be computed independently (threads, resumed runs).
#include <array>
#include <cstdint>

namespace nabla {

std::array<uint32_t, 4> philox(uint64_t seed, uint64_t counter);  // one block of four 32-bit words

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }
  // Reserves `blocks` counter values and returns the first: a draw of n values uses blocks [first, first+n/4].
  uint64_t reserve(uint64_t blocks) { uint64_t first = offset_; offset_ += blocks; return first; }

 private:
  uint64_t seed_ = 0;
  uint64_t offset_ = 0;
};

Generator& default_generator();
void manual_seed(uint64_t seed);

// Uniform float in [0, 1) from a 32-bit word (24 random bits), and in double from two words (53 bits).
inline float uniform_float(uint32_t word) { return static_cast<float>(word >> 8) * (1.0f / 16777216.0f); }
inline double uniform_double(uint32_t high, uint32_t low) {
  uint64_t bits = (static_cast<uint64_t>(high) << 21) ^ (low >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

}  // namespace nabla
