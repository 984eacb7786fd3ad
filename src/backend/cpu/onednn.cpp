#include "backend/cpu/onednn.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <unordered_map>
#include <vector>

namespace nabla::cpu::onednn {
namespace {

using dims = dnnl::memory::dims;

std::atomic<int64_t> primitive_hits{0}, primitive_misses{0}, weight_hits{0}, weight_misses{0};

// A reordered weight: valid while its storage is alive (the weak pointer) at the version it was made from.
struct WeightEntry {
  std::weak_ptr<Storage> owner;
  int64_t offset = 0;
  uint32_t version = 0;
  dnnl::memory::desc user, inner;
  std::shared_ptr<Buffer> buffer;
  dnnl::memory memory;
  uint64_t last_used = 0;
};

// Few entries are live at once (a model's conv weights, in one or two layouts each). Entries of freed
// weights are dropped at every miss, and beyond the capacity the least recently used.
constexpr size_t weight_capacity = 256;

std::mutex weight_mutex;
uint64_t weight_clock = 0;
// By the address of the weight's storage: a lookup touches only that weight's entries.
std::unordered_multimap<const Storage*, WeightEntry>& weight_entries() {
  static std::unordered_multimap<const Storage*, WeightEntry> entries;
  return entries;
}

void prune_weights(std::unordered_multimap<const Storage*, WeightEntry>& entries) {
  for (auto it = entries.begin(); it != entries.end();) it = it->second.owner.expired() ? entries.erase(it) : std::next(it);
  while (entries.size() >= weight_capacity) {
    auto oldest = std::min_element(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    entries.erase(oldest);
  }
}

}  // namespace

dnnl::engine& engine() {
  static dnnl::engine instance(dnnl::engine::kind::cpu, 0);
  return instance;
}

dnnl::stream& stream() {
  static dnnl::stream instance(engine());
  return instance;
}

bool addressable(const Tensor& t) {
  if (t.dtype() != DType::f32 || t.numel() == 0) return false;
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.shape()[d] > 1 && t.strides()[d] <= 0) return false;
  }
  return true;
}

namespace {
// Strides for oneDNN: a dim of size 1 never steps, so give it the stride a contiguous layout would have
// (oneDNN compares descriptors by strides, and this lets a contiguous view match a plain layout).
dims clean_strides(const Shape& shape, const Shape& strides) {
  dims result(strides.begin(), strides.end());
  int64_t running = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 1) result[d] = running;
    running = std::max<int64_t>(running, result[d] * shape[d]);
  }
  return result;
}
}  // namespace

dnnl::memory::desc describe(const Tensor& t) { return describe(t.shape(), t.strides()); }

dnnl::memory::desc describe(const Shape& shape, const Shape& strides) {
  return dnnl::memory::desc(dims(shape.begin(), shape.end()), dnnl::memory::data_type::f32, clean_strides(shape, strides));
}

// [O, I/g, kh, kw] as oneDNN's [g, O/g, I/g, kh, kw] (the same elements, the group split off dim 0).
dnnl::memory::desc describe_grouped_weight(const Tensor& weight, int64_t groups) {
  if (groups == 1) return describe(weight);
  const Shape& shape = weight.shape();
  dims strides = clean_strides(shape, weight.strides());
  const int64_t per_group = shape[0] / groups;
  dims grouped_dims{groups, per_group, shape[1], shape[2], shape[3]};
  dims grouped_strides{strides[0] * per_group, strides[0], strides[1], strides[2], strides[3]};
  return dnnl::memory::desc(grouped_dims, dnnl::memory::data_type::f32, grouped_strides);
}

dnnl::memory::desc grouped_weight_desc(const Shape& shape, int64_t groups) {
  const Shape strides = contiguous_strides(shape);
  if (groups == 1) return dnnl::memory::desc(dims(shape.begin(), shape.end()), dnnl::memory::data_type::f32, dims(strides.begin(), strides.end()));
  const int64_t per_group = shape[0] / groups;
  return dnnl::memory::desc({groups, per_group, shape[1], shape[2], shape[3]}, dnnl::memory::data_type::f32,
                            {strides[0] * per_group, strides[0], strides[1], strides[2], strides[3]});
}

dnnl::memory wrap(const Tensor& t, const dnnl::memory::desc& desc) {
  return dnnl::memory(desc, engine(), t.raw_data());
}

Buffer::Buffer(size_t bytes) : data_(bytes ? memory::allocate(bytes) : nullptr), bytes_(bytes) {}
Buffer::~Buffer() {
  if (data_) memory::release(data_, bytes_);
}
Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    if (data_) memory::release(data_, bytes_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

dnnl::memory temporary(const dnnl::memory::desc& desc, Buffer& owner) {
  owner = Buffer(desc.get_size());
  return dnnl::memory(desc, engine(), owner.data());
}

Edge make_input_edge(const dnnl::memory::desc& user, const dnnl::memory::desc& inner) {
  Edge edge{user, inner, {}};
  if (!edge.same()) edge.convert = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), inner));
  return edge;
}

Edge make_output_edge(const dnnl::memory::desc& inner, const dnnl::memory::desc& user) {
  Edge edge{user, inner, {}};
  if (!edge.same()) edge.convert = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), inner, engine(), user));
  return edge;
}

dnnl::memory input_memory(const Edge& edge, const Tensor& t, Buffer& owner) {
  dnnl::memory user = wrap(t, edge.user);
  if (edge.same()) return user;
  dnnl::memory inner = temporary(edge.inner, owner);
  edge.convert.execute(stream(), user, inner);
  return inner;
}

dnnl::memory output_memory(const Edge& edge, const Tensor& t, Buffer& owner) {
  if (edge.same()) return wrap(t, edge.user);
  return temporary(edge.inner, owner);
}

void finish_output(const Edge& edge, const dnnl::memory& inner, const Tensor& t) {
  if (edge.same()) return;
  dnnl::memory source = inner, user = wrap(t, edge.user);  // handles: execute takes non-const references
  edge.convert.execute(stream(), source, user);
}

dnnl::memory scratchpad(const dnnl::memory::desc& desc, Buffer& owner) { return temporary(desc, owner); }

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

CachedWeight cached_weight(const Tensor& weight, const Edge& edge) {
  if (edge.same()) return {wrap(weight, edge.user), nullptr};
  const Storage* storage = weight.storage().get();
  std::lock_guard<std::mutex> lock(weight_mutex);
  auto& entries = weight_entries();
  auto [it, end] = entries.equal_range(storage);
  while (it != end) {
    WeightEntry& entry = it->second;
    // A dead owner at this address is a freed weight whose storage's memory was reused.
    const bool current = entry.owner.lock().get() == storage;
    const bool same_view = entry.offset == weight.offset() && entry.user == edge.user && entry.inner == edge.inner;
    if (current && same_view && entry.version == weight.version()) {
      ++weight_hits;
      entry.last_used = ++weight_clock;
      return {entry.memory, entry.buffer};
    }
    // Freed, or an older version of this weight: of no more use.
    it = (!current || same_view) ? entries.erase(it) : std::next(it);
  }
  ++weight_misses;
  WeightEntry entry{weight.storage(), weight.offset(), weight.version(), edge.user, edge.inner,
                    std::make_shared<Buffer>(), {}, ++weight_clock};
  entry.memory = temporary(edge.inner, *entry.buffer);
  dnnl::memory user = wrap(weight, edge.user);
  edge.convert.execute(stream(), user, entry.memory);
  CachedWeight result{entry.memory, entry.buffer};
  // Misses are rare (once per weight and version): a good time to return freed weights' copies.
  prune_weights(entries);
  entries.emplace(storage, std::move(entry));
  return result;
}

void clear_weight_cache() {
  std::lock_guard<std::mutex> lock(weight_mutex);
  weight_entries().clear();
}

CacheStats cache_stats() {
  return {primitive_hits.load(), primitive_misses.load(), weight_hits.load(), weight_misses.load()};
}

void count_primitive(bool hit) { (hit ? primitive_hits : primitive_misses)++; }

}  // namespace nabla::cpu::onednn
