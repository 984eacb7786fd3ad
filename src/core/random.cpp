#include "nabla/random.h"

namespace nabla {

// Philox4x32 with 10 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
std::array<uint32_t, 4> philox(uint64_t seed, uint64_t counter) {
  constexpr uint32_t multiplier0 = 0xD2511F53u, multiplier1 = 0xCD9E8D57u;
  constexpr uint32_t weyl0 = 0x9E3779B9u, weyl1 = 0xBB67AE85u;
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t product0 = static_cast<uint64_t>(multiplier0) * c0;
    uint64_t product1 = static_cast<uint64_t>(multiplier1) * c2;
    uint32_t next0 = static_cast<uint32_t>(product1 >> 32) ^ c1 ^ k0;
    uint32_t next1 = static_cast<uint32_t>(product1);
    uint32_t next2 = static_cast<uint32_t>(product0 >> 32) ^ c3 ^ k1;
    uint32_t next3 = static_cast<uint32_t>(product0);
    c0 = next0; c1 = next1; c2 = next2; c3 = next3;
    k0 += weyl0;
    k1 += weyl1;
  }
  return {c0, c1, c2, c3};
}

Generator& default_generator() {
  static Generator generator(0);  // shared by all threads, like PyTorch's default CPU generator
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

}  // namespace nabla
