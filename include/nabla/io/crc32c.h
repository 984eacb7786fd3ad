#pragma once
// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected), the checksum TensorBoard's and TFRecord's record
// framing uses, and the "masked" form they store (a CRC of data that itself holds CRCs is weak, so the
// stored value is rotated and offset).
#include <cstdint>
#include <string_view>

namespace nabla::io {

// The CRC-32C of `bytes`, continuing from `crc` (the CRC of the bytes before them; 0 to start).
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);

// The stored form: ((crc >> 15) | (crc << 17)) + 0xA282EAD8, modulo 2^32.
uint32_t masked_crc32c(std::string_view bytes);

}  // namespace nabla::io
