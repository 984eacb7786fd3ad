// The post-accumulate hooks' table. A leaf is found by its TensorImpl; the entry holds a weak pointer to it,
// so a dead leaf's hooks never run for a new tensor that happens to reuse its address.
#include "nabla/grad_hooks.h"

#include <atomic>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "nabla/error.h"

namespace nabla::autograd {
namespace {

struct Entry {
  std::weak_ptr<TensorImpl> leaf;
  std::vector<PostAccumulateGradHook> hooks;
};

std::mutex table_mutex;
std::unordered_map<const TensorImpl*, Entry> table;
std::atomic<bool> any_hooks{false};  // backward pays one load when no leaf has a hook

}  // namespace

void register_post_accumulate_grad_hook(const Tensor& leaf, PostAccumulateGradHook hook) {
  NABLA_CHECK(leaf.defined() && leaf.requires_grad() && leaf.is_leaf(),
              "register_post_accumulate_grad_hook: the tensor must be a leaf that requires grad");
  std::lock_guard lock(table_mutex);
  Entry& entry = table[leaf.impl()];
  if (entry.leaf.lock() != leaf.impl_ptr()) entry = Entry{leaf.impl_ptr(), {}};  // a dead leaf's entry
  entry.hooks.push_back(std::move(hook));
  any_hooks = true;
}

void run_post_accumulate_grad_hooks(const Tensor& leaf) {
  if (!any_hooks) return;
  std::vector<PostAccumulateGradHook> hooks;
  {
    std::lock_guard lock(table_mutex);
    auto it = table.find(leaf.impl());
    if (it == table.end()) return;
    if (it->second.leaf.lock() != leaf.impl_ptr()) {
      table.erase(it);
      return;
    }
    hooks = it->second.hooks;  // run outside the lock: a hook may register another
  }
  for (const PostAccumulateGradHook& hook : hooks) hook(leaf);
}

}  // namespace nabla::autograd
