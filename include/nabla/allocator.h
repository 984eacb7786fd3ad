#pragma once
// The caching allocator: 64-byte aligned blocks, kept in size buckets after release, with byte counters.
#include <cstddef>
#include <cstdint>

namespace nabla {

enum class Device : uint8_t { cpu, cuda };

struct MemoryStats {
  int64_t allocated = 0;       // bytes handed out and not yet released
  int64_t reserved = 0;        // bytes held from the system (allocated + cached)
  int64_t peak_allocated = 0;  // since the last reset_peak()
  int64_t peak_reserved = 0;
  int64_t allocations = 0;     // calls to allocate() since the start
};

namespace memory {
void* allocate(size_t bytes);                // 64-byte aligned; never null (throws nabla::Error)
void release(void* pointer, size_t bytes);   // back to the cache, not to the system
MemoryStats stats();
void reset_peak();
void empty_cache();                          // returns cached blocks to the system
}  // namespace memory

}  // namespace nabla
