#pragma once
// nabla's side of oneDNN: one engine and stream, memory descriptors for tensors, scratchpads and
// temporaries from nabla's caching allocator (so memory stats count them), a primitive cache keyed by
// a struct of all dims, and a cache of reordered weights keyed by (storage, version).
//
// oneDNN (Debian's libdnnl 2.6) runs on libgomp, so its threads are nabla's one OpenMP pool. Its errors
// (dnnl::error) become one-line nabla::Errors in `guarded`, on the calling thread.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "nabla/tensor.h"

namespace nabla::cpu::onednn {

dnnl::engine& engine();
dnnl::stream& stream();

// Runs `work`; a dnnl::error becomes a nabla::Error naming `what` (never called inside a parallel region).
template <typename Work>
decltype(auto) guarded(const char* what, Work&& work) {
  try {
    return work();
  } catch (const dnnl::error& error) {
    throw Error(fmt::format("{}: oneDNN failed ({}, status {})", what, error.what(), static_cast<int>(error.status)));
  }
}

// Whether oneDNN can address `t` in place: float32, non-empty, no negative or zero strides on dims
// larger than 1 (broadcast views go to the reference kernels).
bool addressable(const Tensor& t);

// A descriptor of `t`'s f32 data with its own strides; `dims` regroups them (e.g. 5-D grouped weights)
// and must describe the same elements: dims/strides given explicitly.
dnnl::memory::desc describe(const Tensor& t);
dnnl::memory::desc describe(const Shape& shape, const Shape& strides);  // a view of some tensor's data
dnnl::memory::desc describe_grouped_weight(const Tensor& weight, int64_t groups);
dnnl::memory::desc grouped_weight_desc(const Shape& shape, int64_t groups);  // contiguous [O, I/g, kh, kw]

// User memory over a tensor's data (offset applied); the tensor must outlive the call.
dnnl::memory wrap(const Tensor& t, const dnnl::memory::desc& desc);

// Bytes from nabla's caching allocator, released when this goes out of scope.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t bytes);
  ~Buffer();
  Buffer(Buffer&& other) noexcept : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() const { return data_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

// Memory of `desc` backed by a Buffer (kept in `owner`); an empty desc gives an empty memory.
dnnl::memory temporary(const dnnl::memory::desc& desc, Buffer& owner);

// One side of a primitive call whose layout may differ from the tensor's: when the primitive wants
// another layout, a reorder (created once, kept in the plan) converts at the edge.
struct Edge {
  dnnl::memory::desc user, inner;
  dnnl::reorder convert;  // user → inner for inputs, inner → user for outputs; empty when equal
  bool same() const { return user == inner; }
};
Edge make_input_edge(const dnnl::memory::desc& user, const dnnl::memory::desc& inner);
Edge make_output_edge(const dnnl::memory::desc& inner, const dnnl::memory::desc& user);

// The memory a primitive reads for an input tensor: the tensor itself, or a converted temporary.
dnnl::memory input_memory(const Edge& edge, const Tensor& t, Buffer& owner);
// The memory a primitive writes for an output tensor; call finish_output after the primitive ran.
dnnl::memory output_memory(const Edge& edge, const Tensor& t, Buffer& owner);
void finish_output(const Edge& edge, const dnnl::memory& inner, const Tensor& t);

// The scratchpad a primitive asked for (user scratchpad mode), from nabla's allocator.
dnnl::memory scratchpad(const dnnl::memory::desc& desc, Buffer& owner);
dnnl::primitive_attr user_scratchpad();

// The weight `weight` in the layout `inner`, reordered once per (storage, version): a weight that was not
// modified (its version counter did not move) is not reordered again. `convert` is a reorder from
// `user` to `inner` created by the caller's plan. Writes that bypass the dispatcher must bump the
// storage's version, as autograd already requires.
struct CachedWeight {
  dnnl::memory memory;
  std::shared_ptr<const Buffer> keep;  // holds the reordered bytes while the caller uses them
};
CachedWeight cached_weight(const Tensor& weight, const Edge& edge);

// Frees every cached weight reorder (they are otherwise dropped lazily, once their weight is freed).
void clear_weight_cache();

// Counters for tests and benchmarks.
struct CacheStats {
  int64_t primitive_hits = 0, primitive_misses = 0, weight_hits = 0, weight_misses = 0;
};
CacheStats cache_stats();
void count_primitive(bool hit);

// A bounded map from plan keys (structs of int64 only, compared bytewise: no padding bytes) to plans,
// evicting the least recently used. Thread-safe; plans are shared, so an evicted one stays alive while in
// use. A kernel's selector and the kernel itself ask for the same key back to back: the last key each
// thread asked for is answered without the lock.
template <typename Key, typename Plan>
class PlanCache {
  static_assert(sizeof(Key) % sizeof(int64_t) == 0, "plan keys hold int64 fields only");

 public:
  explicit PlanCache(size_t capacity) : capacity_(capacity) {}

  template <typename Make>
  std::shared_ptr<const Plan> get(const Key& key, Make&& make) {
    thread_local Key last_key{};
    thread_local std::shared_ptr<const Plan> last_plan;
    if (last_plan && same(last_key, key)) {
      count_primitive(true);
      return last_plan;
    }
    last_plan = find_or_make(key, make);
    last_key = key;
    return last_plan;
  }

 private:
  struct Hash {
    size_t operator()(const Key& key) const {
      const auto* words = reinterpret_cast<const int64_t*>(&key);
      uint64_t hash = 1469598103934665603ull;
      for (size_t i = 0; i < sizeof(Key) / sizeof(int64_t); ++i) hash = (hash ^ static_cast<uint64_t>(words[i])) * 1099511628211ull;
      return static_cast<size_t>(hash);
    }
  };
  static bool same(const Key& a, const Key& b) { return std::memcmp(&a, &b, sizeof(Key)) == 0; }
  struct Equal {
    bool operator()(const Key& a, const Key& b) const { return same(a, b); }
  };
  using Entry = std::pair<Key, std::shared_ptr<const Plan>>;

  template <typename Make>
  std::shared_ptr<const Plan> find_or_make(const Key& key, Make& make) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto found = index_.find(key);
      if (found != index_.end()) {
        order_.splice(order_.begin(), order_, found->second);
        count_primitive(true);
        return found->second->second;
      }
    }
    count_primitive(false);
    auto plan = std::make_shared<const Plan>(make());  // created outside the lock: it can take a while
    std::lock_guard<std::mutex> lock(mutex_);
    if (index_.count(key)) return plan;
    order_.emplace_front(key, plan);
    index_[key] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return plan;
  }

  size_t capacity_;
  std::mutex mutex_;
  std::list<Entry> order_;
  std::unordered_map<Key, typename std::list<Entry>::iterator, Hash, Equal> index_;
};

}  // namespace nabla::cpu::onednn
