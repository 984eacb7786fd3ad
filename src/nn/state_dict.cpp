#include "nabla/nn/state_dict.h"

#include "nabla/autograd.h"
#include "nabla/error.h"

namespace nabla::nn {

StateDict::StateDict(std::initializer_list<Entry> entries) {
  for (const auto& [name, tensor] : entries) insert(name, tensor);
}

StateDict::StateDict(const std::map<std::string, Tensor>& tensors) {
  for (const auto& [name, tensor] : tensors) insert(name, tensor);
}

StateDict::operator std::map<std::string, Tensor>() const {
  return std::map<std::string, Tensor>(entries_.begin(), entries_.end());
}

void StateDict::insert(const std::string& name, Tensor tensor) {
  auto [it, added] = index_.try_emplace(name, entries_.size());
  if (added) {
    entries_.emplace_back(name, std::move(tensor));
  } else {
    entries_[it->second].second = std::move(tensor);
  }
}

bool StateDict::erase(const std::string& name) {
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  size_t position = it->second;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(position));
  index_.erase(it);
  for (auto& [key, index] : index_) {
    if (index > position) --index;
  }
  return true;
}

const Tensor* StateDict::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const Tensor& StateDict::at(const std::string& name) const {
  const Tensor* tensor = find(name);
  NABLA_CHECK(tensor != nullptr, "StateDict: no key '{}' among {} keys", name, size());
  return *tensor;
}

Tensor& StateDict::operator[](const std::string& name) {
  if (!contains(name)) insert(name, Tensor());
  return entries_[index_.at(name)].second;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> result;
  result.reserve(entries_.size());
  for (const auto& [name, tensor] : entries_) result.push_back(name);
  return result;
}

StateDict StateDict::clone() const {
  autograd::NoGradGuard no_grad;
  StateDict copy;
  for (const auto& [name, tensor] : entries_) copy.insert(name, tensor.defined() ? tensor.detach().clone() : tensor);
  return copy;
}

}  // namespace nabla::nn
