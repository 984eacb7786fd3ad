#pragma once
// Image files: PNG (libpng) and JPEG (libjpeg) in, PNG out, and the two conversions a model's input needs
// (grayscale, resizing). Images are uint8 tensors [C, H, W], C = 1 (gray) or 3 (RGB), as torchvision's.
#include <cstdint>
#include <string>

#include "nabla/tensor.h"

namespace nabla::data {

// Reads a PNG or JPEG file, chosen by its first bytes (never by its extension), into u8 [C, H, W]:
// gray stays 1 channel, colour becomes 3 (RGB), alpha is dropped, a palette is expanded and 16-bit samples
// are scaled to 8 bits. A missing, unknown, corrupt or truncated file is one error naming it.
Tensor read_image(const std::string& path);

// Writes u8 [C, H, W] (C = 1 or 3) or [H, W] as an 8-bit PNG, atomically (temporary file renamed into
// place). f32 images are taken to be in [0, 1], clamped and rounded to 0…255.
void write_png(const std::string& path, const Tensor& image);

// [3, H, W] → [1, H, W] with ITU-R 601 luma weights, as PIL's convert("L"): 0.299 R + 0.587 G + 0.114 B,
// rounded for u8. A [1, H, W] image is returned as is. u8 or f32.
Tensor to_grayscale(const Tensor& image);

// [C, H, W] (u8 or f32) → [C, height, width], PIL's BILINEAR resize: pixel centres at half-integers, a
// triangle filter whose support grows with the shrink factor, so shrinking averages every source pixel
// (antialiased) rather than sampling four. Enlarging is plain bilinear interpolation, identical to
// PyTorch's interpolate(mode="bilinear", align_corners=False). u8 results are rounded.
Tensor resize_bilinear(const Tensor& image, int64_t height, int64_t width);

}  // namespace nabla::data
