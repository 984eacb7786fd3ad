// The CPU caching allocator. Freed blocks go to a free list keyed by their rounded size and are reused
// by the next request of that size class, so a training step that allocates the same tensors every
// iteration stops calling the system allocator after the first step.
#include "nabla/allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "nabla/error.h"

namespace nabla::memory {
namespace {

constexpr size_t alignment = 64;

// Size classes: multiples of 64 bytes up to 4 KiB, then 1/8-octave steps, so waste stays under 12.5 %.
size_t size_class(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes <= 4096) return (bytes + alignment - 1) / alignment * alignment;
  size_t power = 1;
  while (power * 2 <= bytes) power *= 2;
  size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

struct Pool {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free_blocks;
  MemoryStats stats;
};

Pool& pool() {
  static Pool* instance = new Pool;  // never destroyed: tensors may outlive static destruction order
  return *instance;
}

}  // namespace

void* allocate(size_t bytes) {
  size_t rounded = size_class(bytes);
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  ++p.stats.allocations;
  void* pointer = nullptr;
  auto it = p.free_blocks.find(rounded);
  if (it != p.free_blocks.end() && !it->second.empty()) {
    pointer = it->second.back();
    it->second.pop_back();
  } else {
    pointer = std::aligned_alloc(alignment, rounded);
    if (!pointer) {
      // Give the cache back and try once more before failing.
      for (auto& [size, blocks] : p.free_blocks) {
        for (void* block : blocks) std::free(block);
        p.stats.reserved -= static_cast<int64_t>(size * blocks.size());
        blocks.clear();
      }
      pointer = std::aligned_alloc(alignment, rounded);
    }
    NABLA_CHECK(pointer, "allocator: out of memory allocating {} bytes ({} MiB reserved)", rounded,
                p.stats.reserved >> 20);
    p.stats.reserved += static_cast<int64_t>(rounded);
    p.stats.peak_reserved = std::max(p.stats.peak_reserved, p.stats.reserved);
  }
  p.stats.allocated += static_cast<int64_t>(rounded);
  p.stats.peak_allocated = std::max(p.stats.peak_allocated, p.stats.allocated);
  return pointer;
}

void release(void* pointer, size_t bytes) {
  if (!pointer) return;
  size_t rounded = size_class(bytes);
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  p.free_blocks[rounded].push_back(pointer);
  p.stats.allocated -= static_cast<int64_t>(rounded);
}

MemoryStats stats() {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  return p.stats;
}

void reset_peak() {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  p.stats.peak_allocated = p.stats.allocated;
  p.stats.peak_reserved = p.stats.reserved;
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard lock(p.mutex);
  for (auto& [size, blocks] : p.free_blocks) {
    for (void* block : blocks) std::free(block);
    p.stats.reserved -= static_cast<int64_t>(size * blocks.size());
  }
  p.free_blocks.clear();
}

}  // namespace nabla::memory
