#pragma once
// nn::StateDict: a module's parameters and buffers by dotted name, in registration order (as PyTorch's
// OrderedDict). It is the one type that `Module::state_dict()` returns and `load_state_dict()` takes.
// It converts implicitly from and to the std::map that safetensors reads and writes, so
//   save_safetensors(path, model->state_dict());
//   model->load_state_dict(load_safetensors(path));
// need no conversion loop.
#include <initializer_list>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nabla/tensor.h"

namespace nabla::nn {

class StateDict {
 public:
  using Entry = std::pair<std::string, Tensor>;

  StateDict() = default;
  StateDict(std::initializer_list<Entry> entries);
  StateDict(const std::map<std::string, Tensor>& tensors);  // NOLINT: implicit, see above (name order)
  operator std::map<std::string, Tensor>() const;           // NOLINT: implicit, see above

  // Adds `name`, or replaces its tensor keeping its position.
  void insert(const std::string& name, Tensor tensor);
  bool erase(const std::string& name);
  bool contains(const std::string& name) const { return index_.count(name) > 0; }
  const Tensor* find(const std::string& name) const;  // null when absent
  const Tensor& at(const std::string& name) const;    // throws naming the missing key
  Tensor& operator[](const std::string& name);        // inserts an undefined tensor when absent, as std::map

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<std::string> keys() const;
  // A deep copy (detached clones): a snapshot that later training steps do not change.
  StateDict clone() const;

  auto begin() { return entries_.begin(); }
  auto end() { return entries_.end(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> index_;  // name → position in entries_
};

}  // namespace nabla::nn
