#pragma once
// The six comparisons as function objects, for the contiguous (compare.cpp) and the strided
// (strided_compare.cpp) comparison kernels: each compares two values of the computing type C.
namespace nabla::cpu::comparisons {

struct Equal { template <typename C> bool operator()(C a, C b) const { return a == b; } };
struct NotEqual { template <typename C> bool operator()(C a, C b) const { return a != b; } };
struct Less { template <typename C> bool operator()(C a, C b) const { return a < b; } };
struct LessEqual { template <typename C> bool operator()(C a, C b) const { return a <= b; } };
struct Greater { template <typename C> bool operator()(C a, C b) const { return a > b; } };
struct GreaterEqual { template <typename C> bool operator()(C a, C b) const { return a >= b; } };

}  // namespace nabla::cpu::comparisons
