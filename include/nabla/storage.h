#pragma once
// Storage: a block of bytes shared by a tensor and all its views, with the version counter that
// autograd uses to detect in-place writes to tensors it saved.
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "nabla/allocator.h"

namespace nabla {

class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_ = Device::cpu;
  std::atomic<uint32_t> version_{0};
};

}  // namespace nabla
