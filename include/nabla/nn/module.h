#pragma once
// nn::Module: the base of every layer and model, as PyTorch's frontend. A module owns named parameters,
// buffers (state that is saved but not trained, e.g. batch norm's running mean) and child modules.
#include <array>
#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/nn/state_dict.h"
#include "nabla/nn/values.h"
#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;  // in registration order, dotted names

// A module's forward has whatever signature it needs: forward(x), forward(x, mask),
// forward(target, memory, target_mask), returning a Tensor, a tuple or a struct of tensors (values.h).
// How a call reaches it:
//   - One tensor in, one out (most layers): override the virtual `forward(const Tensor&)`; then
//     `module(x)` works through any handle, ModulePtr included.
//   - Any other signature: declare your own `forward(...)` and derive from `TypedModule<YourModule>`,
//     whose operator() forwards any arguments to it; or call `nn::call(module, args...)`; or hold the module
//     in an AnyModule (any_module.h), which checks arguments at run time.
// One C++ rule to know: `forward(const Tensor&)` is the virtual, so a one-tensor forward that returns
// something else takes its input by value, `Halves forward(Tensor x)` (else it would try to override).
// Every path runs the same hooks, which see the forward's tensor arguments and its result as Values
// (arguments that are not tensors pass through unseen). Without hooks a call costs one check.
class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string name = "Module") : name_(std::move(name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The forward pass of a one-input module. Modules with other signatures define their own `forward`.
  virtual Tensor forward(const Tensor& input);
  // Runs forward pre-hooks, forward, then forward hooks (which may replace the output); and arranges for
  // backward hooks to see the gradient of the output.
  Tensor operator()(const Tensor& input);

  const std::string& name() const { return name_; }
  virtual std::string describe() const;  // one line, e.g. "Linear(in_features=784, out_features=256, bias=true)"

  // ---- registration (returns the stored handle; parameters require grad)
  Tensor& register_parameter(const std::string& name, Tensor tensor, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  // ---- introspection
  NamedTensors named_parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<Tensor> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_modules(const std::string& prefix = "");
  std::shared_ptr<Module> child(const std::string& name) const;  // throws naming the missing child
  int64_t parameter_count(bool trainable_only = false) const;

  // ---- modes
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  // Freezing: stop (or restart) gradients for every parameter of this module and its children.
  void requires_grad_(bool enabled);

  // ---- state: parameters then buffers, by dotted name, in registration order
  StateDict state_dict() const;
  // Copies values in place (handles held elsewhere stay valid). With strict, missing and unexpected keys
  // are errors; a shape mismatch is always one. Each error names every key at fault.
  void load_state_dict(const StateDict& state, bool strict = true);

  // ---- hooks. Each returns std::nullopt to keep the value, or a replacement (a Tensor converts to Values).
  using ForwardPreHook = std::function<std::optional<Values>(Module&, const Values& inputs)>;
  using ForwardHook = std::function<std::optional<Values>(Module&, const Values& inputs, const Values& output)>;
  // Called during backward with the gradient of each output tensor (zeros for one that got none).
  using BackwardHook = std::function<void(Module&, const Values& grad_outputs)>;
  // Each register_* also takes the one-tensor spellings, for modules with one input and one output:
  //   pre: (Module&, const Tensor& input) -> std::optional<Tensor>
  //   forward: (Module&, const Tensor& input, const Tensor& output) -> std::optional<Tensor>
  //   backward: (Module&, const Tensor& grad_output)
  // and hooks that only observe may return void.
  template <typename Hook>
  size_t register_forward_pre_hook(Hook&& hook) {
    return add_forward_pre_hook(adapt_forward_pre_hook(std::forward<Hook>(hook)));
  }
  template <typename Hook>
  size_t register_forward_hook(Hook&& hook) {
    return add_forward_hook(adapt_forward_hook(std::forward<Hook>(hook)));
  }
  template <typename Hook>
  size_t register_full_backward_hook(Hook&& hook) {
    return add_backward_hook(adapt_backward_hook(std::forward<Hook>(hook)));
  }
  void remove_hook(size_t handle);
  bool has_hooks() const { return !forward_pre_hooks_.empty() || !forward_hooks_.empty() || !backward_hooks_.empty(); }

  // ---- the hook steps of a call, in order (used by nn::call; a module rarely calls them itself)
  // Runs the pre-hooks; a replacement must keep the number of tensors.
  void run_forward_pre_hooks(Values& inputs);
  // Runs the forward hooks; true when one replaced the output.
  bool run_forward_hooks(const Values& inputs, Values& output);
  // With backward hooks and an output that requires grad, routes the outputs through one identity
  // autograd node whose backward calls the hooks with every output's gradient; true when it did.
  bool attach_backward_hooks(Values& output);

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  size_t add_forward_pre_hook(ForwardPreHook hook);
  size_t add_forward_hook(ForwardHook hook);
  size_t add_backward_hook(BackwardHook hook);
  template <typename Hook>
  ForwardPreHook adapt_forward_pre_hook(Hook&& hook);
  template <typename Hook>
  ForwardHook adapt_forward_hook(Hook&& hook);
  template <typename Hook>
  BackwardHook adapt_backward_hook(Hook&& hook);
  // The one tensor of a one-tensor hook's Values; an error naming the module when there are several.
  const Tensor& single(const Values& values, const char* what) const;

  std::string name_;
  bool training_ = true;
  NamedTensors parameters_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::map<size_t, ForwardPreHook> forward_pre_hooks_;
  std::map<size_t, ForwardHook> forward_hooks_;
  std::map<size_t, BackwardHook> backward_hooks_;
  size_t next_hook_ = 1;
};

namespace detail {

// A hook's result as an optional replacement: void (observe only), std::optional<Tensor> or std::optional<Values>.
template <typename Call>
std::optional<Values> replacement(Call&& call) {
  using Result = decltype(call());
  if constexpr (std::is_void_v<Result>) {
    call();
    return std::nullopt;
  } else {
    auto result = call();
    if (!result) return std::nullopt;
    return Values(*result);
  }
}

template <typename A>
inline constexpr bool is_tensor_argument = std::is_same_v<std::remove_cvref_t<A>, Tensor>;

// For each argument, its slot among the tensor arguments (or `none` for an argument that is not a Tensor).
inline constexpr size_t none = static_cast<size_t>(-1);
template <typename... Args>
constexpr std::array<size_t, sizeof...(Args)> tensor_slots() {
  std::array<size_t, sizeof...(Args)> slots{};
  constexpr bool is_tensor[] = {is_tensor_argument<Args>..., false};
  size_t next = 0;
  for (size_t i = 0; i < sizeof...(Args); ++i) slots[i] = is_tensor[i] ? next++ : none;
  return slots;
}

// The argument that forward receives: the (possibly hook-replaced) tensor, or the argument as given.
template <size_t Slot, typename A>
decltype(auto) argument(const Values& inputs, A&& given) {
  if constexpr (Slot == none) {
    return std::forward<A>(given);
  } else {
    return static_cast<const Tensor&>(inputs[Slot]);
  }
}

}  // namespace detail

template <typename Hook>
Module::ForwardPreHook Module::adapt_forward_pre_hook(Hook&& hook) {
  if constexpr (std::is_invocable_v<Hook&, Module&, const Values&>) {
    return [hook = std::forward<Hook>(hook)](Module& module, const Values& inputs) mutable {
      return detail::replacement([&] { return hook(module, inputs); });
    };
  } else {
    static_assert(std::is_invocable_v<Hook&, Module&, const Tensor&>,
                  "a forward pre-hook takes (Module&, const Values& inputs) or (Module&, const Tensor& input)");
    return [hook = std::forward<Hook>(hook)](Module& module, const Values& inputs) mutable {
      return detail::replacement([&] { return hook(module, module.single(inputs, "forward pre-hook input")); });
    };
  }
}

template <typename Hook>
Module::ForwardHook Module::adapt_forward_hook(Hook&& hook) {
  if constexpr (std::is_invocable_v<Hook&, Module&, const Values&, const Values&>) {
    return [hook = std::forward<Hook>(hook)](Module& module, const Values& inputs, const Values& output) mutable {
      return detail::replacement([&] { return hook(module, inputs, output); });
    };
  } else {
    static_assert(std::is_invocable_v<Hook&, Module&, const Tensor&, const Tensor&>,
                  "a forward hook takes (Module&, const Values& inputs, const Values& output) or "
                  "(Module&, const Tensor& input, const Tensor& output)");
    return [hook = std::forward<Hook>(hook)](Module& module, const Values& inputs, const Values& output) mutable {
      return detail::replacement([&] {
        return hook(module, module.single(inputs, "forward hook input"), module.single(output, "forward hook output"));
      });
    };
  }
}

template <typename Hook>
Module::BackwardHook Module::adapt_backward_hook(Hook&& hook) {
  if constexpr (std::is_invocable_v<Hook&, Module&, const Values&>) {
    return BackwardHook(std::forward<Hook>(hook));
  } else {
    static_assert(std::is_invocable_v<Hook&, Module&, const Tensor&>,
                  "a backward hook takes (Module&, const Values& grad_outputs) or (Module&, const Tensor& grad_output)");
    return [hook = std::forward<Hook>(hook)](Module& module, const Values& grads) mutable {
      hook(module, module.single(grads, "backward hook gradient"));
    };
  }
}

// Calls module.forward(args...) with the module's hooks around it, whatever forward's signature. Tensor
// arguments are what pre-hooks see and may replace; the result is what forward hooks see and may replace.
template <typename M, typename... Args>
  requires std::derived_from<M, Module>
auto call(M& module, Args&&... args) {
  using Output = std::remove_cvref_t<decltype(module.forward(std::forward<Args>(args)...))>;
  if (!module.has_hooks()) return Output(module.forward(std::forward<Args>(args)...));
  static_assert(ForwardValue<Output>,
                "nabla::nn::call: hooks need the forward's result as tensors; specialise nn::ValueTraits for it");
  Values inputs;
  (
      [&](const auto& argument) {
        if constexpr (detail::is_tensor_argument<decltype(argument)>) inputs.push_back(argument);
      }(args),
      ...);
  module.run_forward_pre_hooks(inputs);
  static constexpr auto slots = detail::tensor_slots<Args...>();
  auto given = std::forward_as_tuple(std::forward<Args>(args)...);
  Output output = [&]<size_t... Indices>(std::index_sequence<Indices...>) {
    return Output(module.forward(detail::argument<slots[Indices]>(inputs, std::get<Indices>(std::move(given)))...));
  }(std::index_sequence_for<Args...>{});
  Values values = to_values(output);
  bool replaced = module.run_forward_hooks(inputs, values);
  replaced = module.attach_backward_hooks(values) || replaced;
  if (replaced) output = from_values<Output>(values, module.name());
  return output;
}

// A module whose forward has its own signature: derive from TypedModule<YourModule> and `module(args...)`
// calls YourModule::forward(args...) with hooks (see nn::call).
template <typename Derived>
class TypedModule : public Module {
 public:
  using Module::Module;
  template <typename... Args>
  auto operator()(Args&&... args) {
    return call(static_cast<Derived&>(*this), std::forward<Args>(args)...);
  }
};

// Makes a module held by shared_ptr, as std::make_shared, but also from a braced options struct:
//   auto conv = nn::make<nn::Conv2d>({.in_channels = 1, .out_channels = 6, .kernel_size = 5});
template <typename M, typename... Args>
  requires std::constructible_from<M, Args...>
std::shared_ptr<M> make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}
template <typename M, typename... Rest>
  requires requires { typename M::Options; } && std::constructible_from<M, const typename M::Options&, Rest...>
std::shared_ptr<M> make(const typename M::Options& options, Rest&&... rest) {
  return std::make_shared<M>(options, std::forward<Rest>(rest)...);
}

using ModulePtr = std::shared_ptr<Module>;

}  // namespace nabla::nn
