#pragma once
// Dispatch observers: code that wants to see every op the dispatcher runs on this thread — which op, its
// tensors, and whether a fast or a reference kernel computed it. Tests use it to prove what ran (coverage
// of gradcheck and golden cases, "the fast kernel was selected", "no op of a training step fell back to a
// reference kernel"); `nabla summary` counts FLOPs per op with it. Observers are thread-local and nest:
// an ObserveDispatch lives for a scope, and every observer registered on the thread sees each call.
#include <functional>
#include <vector>

#include "ops/op.h"

namespace nabla::ops {

enum class KernelKind : uint8_t {
  none,       // a view: no kernel ran
  fast,       // a backend kernel (src/backend/cpu)
  reference,  // the reference kernel (plain loops in double)
};
const char* kernel_kind_name(KernelKind kind);

struct Dispatched {
  OpId op;
  const std::vector<Tensor>& inputs;
  const std::vector<Tensor>& outputs;
  const Attrs& attrs;
  KernelKind kernel;
  int depth;  // 0 for an op called from outside any kernel; 1 for an op a kernel dispatched, and so on
};

using DispatchCallback = std::function<void(const Dispatched&)>;

// Registers `callback` on this thread for the lifetime of the object.
class ObserveDispatch {
 public:
  explicit ObserveDispatch(DispatchCallback callback);
  ~ObserveDispatch();
  ObserveDispatch(const ObserveDispatch&) = delete;
  ObserveDispatch& operator=(const ObserveDispatch&) = delete;

 private:
  size_t index_;
};

namespace detail {
// The dispatcher's side (src/ops/dispatch.cpp).
bool observing();
void notify(const Dispatched& call);
// Nesting depth of kernels on this thread; KernelDepth marks a kernel running.
int kernel_depth();
class KernelDepth {
 public:
  KernelDepth();
  ~KernelDepth();
};
}  // namespace detail

}  // namespace nabla::ops
