#include "nabla/io/crc32c.h"

#include <array>

namespace nabla::io {
namespace {

// One table of 256 entries, byte at a time: the event files hold a few kilobytes per epoch, so a faster
// slicing-by-8 or SSE4.2 version would save nothing measurable.
constexpr std::array<uint32_t, 256> make_table() {
  constexpr uint32_t reflected_polynomial = 0x82F63B78;
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t value = byte;
    for (int bit = 0; bit < 8; ++bit) value = (value & 1) ? (value >> 1) ^ reflected_polynomial : value >> 1;
    table[byte] = value;
  }
  return table;
}

constexpr std::array<uint32_t, 256> table = make_table();

}  // namespace

uint32_t crc32c(std::string_view bytes, uint32_t crc) {
  crc = ~crc;
  for (const char character : bytes) crc = table[(crc ^ static_cast<unsigned char>(character)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(std::string_view bytes) {
  const uint32_t crc = crc32c(bytes);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

}  // namespace nabla::io
