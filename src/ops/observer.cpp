#include "ops/observer.h"

namespace nabla::ops {
namespace {
thread_local std::vector<DispatchCallback> observers;
thread_local int depth = 0;
}  // namespace

const char* kernel_kind_name(KernelKind kind) {
  switch (kind) {
    case KernelKind::none: return "view";
    case KernelKind::fast: return "fast";
    case KernelKind::reference: return "reference";
  }
  return "?";
}

ObserveDispatch::ObserveDispatch(DispatchCallback callback) : index_(observers.size()) {
  observers.push_back(std::move(callback));
}
// Scopes end in reverse order of their start, so the last observer is this one.
ObserveDispatch::~ObserveDispatch() { observers.resize(index_); }

namespace detail {
bool observing() { return !observers.empty(); }
void notify(const Dispatched& call) {
  // A callback may dispatch ops itself (e.g. read a tensor); it sees them only if it registered later.
  const size_t count = observers.size();
  for (size_t i = 0; i < count; ++i) observers[i](call);
}
int kernel_depth() { return depth; }
KernelDepth::KernelDepth() { ++depth; }
KernelDepth::~KernelDepth() { --depth; }
}  // namespace detail

}  // namespace nabla::ops
