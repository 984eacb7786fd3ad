#pragma once
// nn::AnyModule: holds any module, whatever its forward's signature, and calls it with arguments that are
// checked at run time (arity, then each argument's type), as PyTorch's C++ AnyModule. Containers hold
// their children as AnyModules, so a Sequential may start with a module that takes (x, mask).
//
//   nn::AnyModule attention(std::make_shared<Attention>(64));   // forward(const Tensor&, const Tensor&)
//   Tensor y = attention.forward(x, mask);                       // checked: two Tensors
//   auto [boxes, scores] = detector.forward_as<Detections>(image);
//
// The signature is read from `&M::forward`. A module whose forward is overloaded (or a template) is
// called through its virtual one-tensor forward, unless it erases its own forward as Sequential does
// (`std::any forward_any(std::vector<std::any>&)` and `ForwardSignature forward_signature() const`).
// Arguments are stored by value as std::any; an arithmetic argument converts to the arithmetic type
// forward takes (an int literal for an int64_t). Hooks run as for any other call (nn::call).
#include <any>
#include <concepts>
#include <memory>
#include <string>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

#include "nabla/nn/module.h"

namespace nabla::nn {

// The forward signature an AnyModule found, for checks and messages: "(Tensor, Tensor) -> Tensor".
struct ForwardSignature {
  std::vector<std::string> parameters;  // each parameter's type, without const and &
  std::string result;
  bool takes_one_tensor() const { return parameters.size() == 1 && parameters[0] == "Tensor"; }
  bool returns_tensor() const { return result == "Tensor"; }
  std::string to_string() const;
};

// A readable name for a type: "Tensor", "int64_t"-like builtins as the compiler spells them, else demangled.
std::string type_name(const std::type_info& type);

namespace detail {

template <typename F>
struct ForwardTraits;
template <typename R, typename C, typename... P>
struct ForwardTraits<R (C::*)(P...)> {
  using Result = R;
  using Parameters = std::tuple<P...>;
};
template <typename R, typename C, typename... P>
struct ForwardTraits<R (C::*)(P...) const> : ForwardTraits<R (C::*)(P...)> {};
template <typename R, typename C, typename... P>
struct ForwardTraits<R (C::*)(P...) noexcept> : ForwardTraits<R (C::*)(P...)> {};
template <typename R, typename C, typename... P>
struct ForwardTraits<R (C::*)(P...) const noexcept> : ForwardTraits<R (C::*)(P...)> {};

template <typename M>
concept HasOneForward = requires { &M::forward; };

template <typename M>
concept ErasesItsForward = requires(M& module, const M& constant, std::vector<std::any>& arguments) {
  { module.forward_any(arguments) } -> std::same_as<std::any>;
  { constant.forward_signature() } -> std::same_as<ForwardSignature>;
};

// Whether `argument` can be passed where forward takes a D: the same type, or arithmetic to arithmetic.
bool arithmetic_argument(const std::any& argument);
template <typename D>
bool accepts(const std::any& argument) {
  if (argument.type() == typeid(D)) return true;
  if constexpr (std::is_arithmetic_v<D>) return arithmetic_argument(argument);
  return false;
}
// Converts an arithmetic argument in place to D (after `accepts` said yes), then hands out the D.
template <typename D>
D& unwrap(std::any& argument);

template <typename... Parameters>
ForwardSignature signature_of(const std::type_info& result) {
  return {{type_name(typeid(std::remove_cvref_t<Parameters>))...}, type_name(result)};
}

}  // namespace detail

class AnyModule {
 public:
  AnyModule() = default;
  template <typename M>
    requires std::derived_from<M, Module>
  AnyModule(std::shared_ptr<M> module);  // NOLINT: implicit, so containers take any module pointer

  // Calls forward; its result must be a Tensor (else use forward_as).
  template <typename... Args>
  Tensor forward(Args&&... args) const {
    if constexpr (sizeof...(Args) == 1 && (detail::is_tensor_argument<Args> && ...)) {
      return holder().forward_tensor(args...);  // the common case: no std::any on the way
    } else {
      return result_as<Tensor>(forward_any({std::any(std::decay_t<Args>(std::forward<Args>(args)))...}));
    }
  }
  template <typename Result, typename... Args>
  Result forward_as(Args&&... args) const {
    return result_as<Result>(forward_any({std::any(std::decay_t<Args>(std::forward<Args>(args)))...}));
  }
  // The erased call: checks the arguments against the signature, with an error naming the module.
  std::any forward_any(std::vector<std::any> arguments) const;

  const ForwardSignature& signature() const { return holder().signature; }
  const std::shared_ptr<Module>& ptr() const;
  template <typename M>
  std::shared_ptr<M> ptr() const;  // checked: an error naming both types when the module is not an M
  Module& operator*() const { return *ptr(); }
  Module* operator->() const { return ptr().get(); }
  bool empty() const { return holder_ == nullptr; }

 private:
  struct Holder {
    virtual ~Holder() = default;
    // const: calling a module does not change which module is held
    virtual std::any forward(std::vector<std::any>& arguments) const = 0;
    virtual Tensor forward_tensor(const Tensor& input) const = 0;
    ForwardSignature signature;
  };
  template <typename M>
  struct TypedHolder;

  const Holder& holder() const;
  template <typename Result>
  Result result_as(std::any result) const;
  [[noreturn]] void throw_result_error(const std::any& result, const std::type_info& wanted) const;

  std::shared_ptr<Holder> holder_;
  std::shared_ptr<Module> module_;
};

// Reports a call whose arguments do not fit the signature.
[[noreturn]] void throw_argument_error(const Module& module, const ForwardSignature& signature,
                                       const std::vector<std::any>& arguments);

template <typename M>
struct AnyModule::TypedHolder final : AnyModule::Holder {
  std::shared_ptr<M> module;

  explicit TypedHolder(std::shared_ptr<M> held) : module(std::move(held)) {
    if constexpr (detail::ErasesItsForward<M>) {
      signature = module->forward_signature();
    } else if constexpr (detail::HasOneForward<M>) {
      using Traits = detail::ForwardTraits<decltype(&M::forward)>;
      signature = [&]<typename... P>(std::tuple<P...>*) {
        return detail::signature_of<P...>(typeid(std::remove_cvref_t<typename Traits::Result>));
      }(static_cast<typename Traits::Parameters*>(nullptr));
    } else {
      signature = detail::signature_of<Tensor>(typeid(Tensor));  // the virtual one-tensor forward
    }
  }

  std::any forward(std::vector<std::any>& arguments) const override {
    if constexpr (detail::ErasesItsForward<M>) {
      return module->forward_any(arguments);
    } else if constexpr (detail::HasOneForward<M>) {
      using Traits = detail::ForwardTraits<decltype(&M::forward)>;
      using Parameters = typename Traits::Parameters;
      return [&]<size_t... I>(std::index_sequence<I...>) {
        using Decayed = std::tuple<std::remove_cvref_t<std::tuple_element_t<I, Parameters>>...>;
        bool fits = arguments.size() == sizeof...(I) &&
                    (detail::accepts<std::tuple_element_t<I, Decayed>>(arguments[I]) && ...);
        if (!fits) throw_argument_error(*module, signature, arguments);
        return std::any(call(*module, detail::unwrap<std::tuple_element_t<I, Decayed>>(arguments[I])...));
      }(std::make_index_sequence<std::tuple_size_v<Parameters>>{});
    } else {
      if (arguments.size() != 1 || !detail::accepts<Tensor>(arguments[0])) {
        throw_argument_error(*module, signature, arguments);
      }
      return std::any((*module)(std::any_cast<const Tensor&>(arguments[0])));
    }
  }

  Tensor forward_tensor(const Tensor& input) const override {
    if constexpr (!detail::ErasesItsForward<M> && !detail::HasOneForward<M>) {
      return (*module)(input);
    } else if constexpr (!detail::ErasesItsForward<M>) {
      using Traits = detail::ForwardTraits<decltype(&M::forward)>;
      using Parameters = typename Traits::Parameters;
      if constexpr (std::tuple_size_v<Parameters> == 1 &&
                    std::is_same_v<std::remove_cvref_t<std::tuple_element_t<0, Parameters>>, Tensor> &&
                    std::is_same_v<std::remove_cvref_t<typename Traits::Result>, Tensor>) {
        return call(*module, input);
      }
    }
    // Another signature: the checked path, which names the mismatch.
    std::vector<std::any> arguments{std::any(input)};
    std::any result = forward(arguments);
    if (result.type() != typeid(Tensor)) {
      throw Error(fmt::format("AnyModule({}): forward returns {}, not a Tensor; use forward_as<{}>(...)",
                              module->name(), signature.result, signature.result));
    }
    return std::any_cast<Tensor>(std::move(result));
  }
};

template <typename M>
  requires std::derived_from<M, Module>
AnyModule::AnyModule(std::shared_ptr<M> module) {
  NABLA_CHECK(module != nullptr, "AnyModule: the module is null");
  module_ = module;
  holder_ = std::make_shared<TypedHolder<M>>(std::move(module));
}

template <typename M>
std::shared_ptr<M> AnyModule::ptr() const {
  auto typed = std::dynamic_pointer_cast<M>(ptr());
  NABLA_CHECK(typed != nullptr, "AnyModule({}): the module is not a {}", ptr()->name(), type_name(typeid(M)));
  return typed;
}

template <typename Result>
Result AnyModule::result_as(std::any result) const {
  if (result.type() != typeid(Result)) throw_result_error(result, typeid(Result));
  return std::any_cast<Result>(std::move(result));
}

namespace detail {

template <typename D>
D& unwrap(std::any& argument) {
  if constexpr (std::is_arithmetic_v<D>) {
    if (argument.type() != typeid(D)) {
      // `accepts` checked that it holds one of these.
      auto convert = [&]<typename... From>() {
        ((argument.type() == typeid(From) ? (argument = static_cast<D>(std::any_cast<From>(argument)), true) : false) ||
         ...);
      };
      convert.template operator()<bool, char, signed char, unsigned char, short, unsigned short, int, unsigned, long,
                                  unsigned long, long long, unsigned long long, float, double, long double>();
    }
  }
  return std::any_cast<D&>(argument);
}

}  // namespace detail
}  // namespace nabla::nn
