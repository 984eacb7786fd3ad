#pragma once
// nn::Values: the tensors a module's forward took or returned, flattened in order. Hooks see a module's
// inputs and output as Values whatever its forward's signature, and may return replacements.
//
// ValueTraits<T> says how a forward's result type T flattens to Values and back (so that a forward hook
// can replace it). Provided for: Tensor; Values and std::vector<Tensor>; std::pair and std::tuple of
// supported fixed-size types (nested too); and aggregates whose fields are all Tensors (up to 8), e.g.
//   struct Detections { Tensor boxes, scores; };
// For any other type, specialise nn::ValueTraits with `count`, `append` and `take` as below.
#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "nabla/error.h"
#include "nabla/tensor.h"

namespace nabla::nn {

class Values {
 public:
  Values() = default;
  Values(Tensor tensor) : tensors_{std::move(tensor)} {}  // NOLINT: implicit, so a hook may return a Tensor
  Values(std::vector<Tensor> tensors) : tensors_(std::move(tensors)) {}  // NOLINT: implicit on purpose
  Values(std::initializer_list<Tensor> tensors) : tensors_(tensors) {}

  size_t size() const { return tensors_.size(); }
  bool empty() const { return tensors_.empty(); }
  Tensor& operator[](size_t index) { return tensors_.at(index); }
  const Tensor& operator[](size_t index) const { return tensors_.at(index); }
  void push_back(Tensor tensor) { tensors_.push_back(std::move(tensor)); }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  std::vector<Tensor>& tensors() { return tensors_; }

  auto begin() { return tensors_.begin(); }
  auto end() { return tensors_.end(); }
  auto begin() const { return tensors_.begin(); }
  auto end() const { return tensors_.end(); }

 private:
  std::vector<Tensor> tensors_;
};

// Flattening a forward's result. `count` is the number of tensors (0 when it varies: then the type may
// only stand alone, not inside a tuple); `append` adds them to Values; `take` rebuilds the value from
// values[position …] and advances position.
template <typename T, typename Enable = void>
struct ValueTraits;  // undefined: the type is not supported (see the top of this file)

template <typename T>
concept ForwardValue = requires(const T& value, Values& values, const Values& source, size_t& position) {
  { ValueTraits<T>::count } -> std::convertible_to<size_t>;
  ValueTraits<T>::append(value, values);
  { ValueTraits<T>::take(source, position) } -> std::same_as<T>;
};

template <>
struct ValueTraits<Tensor> {
  static constexpr size_t count = 1;
  static void append(const Tensor& value, Values& values) { values.push_back(value); }
  static Tensor take(const Values& values, size_t& position) { return values[position++]; }
};

template <>
struct ValueTraits<Values> {
  static constexpr size_t count = 0;
  static void append(const Values& value, Values& values) {
    for (const Tensor& tensor : value) values.push_back(tensor);
  }
  static Values take(const Values& values, size_t& position) {
    Values rest(std::vector<Tensor>(values.begin() + static_cast<std::ptrdiff_t>(position), values.end()));
    position = values.size();
    return rest;
  }
};

template <>
struct ValueTraits<std::vector<Tensor>> {
  static constexpr size_t count = 0;
  static void append(const std::vector<Tensor>& value, Values& values) {
    for (const Tensor& tensor : value) values.push_back(tensor);
  }
  static std::vector<Tensor> take(const Values& values, size_t& position) {
    return ValueTraits<Values>::take(values, position).tensors();
  }
};

template <typename... Elements>
struct ValueTraits<std::tuple<Elements...>> {
  static_assert(((ValueTraits<Elements>::count > 0) && ...),
                "nabla::nn::ValueTraits: a tuple may hold only fixed-size values (Tensor, tuples, Tensor structs)");
  static constexpr size_t count = (ValueTraits<Elements>::count + ... + 0);
  static void append(const std::tuple<Elements...>& value, Values& values) {
    std::apply([&](const Elements&... elements) { (ValueTraits<Elements>::append(elements, values), ...); }, value);
  }
  static std::tuple<Elements...> take(const Values& values, size_t& position) {
    return std::tuple<Elements...>{ValueTraits<Elements>::take(values, position)...};  // braces: left to right
  }
};

template <typename First, typename Second>
struct ValueTraits<std::pair<First, Second>> {
  static_assert(ValueTraits<First>::count > 0 && ValueTraits<Second>::count > 0,
                "nabla::nn::ValueTraits: a pair may hold only fixed-size values (Tensor, tuples, Tensor structs)");
  static constexpr size_t count = ValueTraits<First>::count + ValueTraits<Second>::count;
  static void append(const std::pair<First, Second>& value, Values& values) {
    ValueTraits<First>::append(value.first, values);
    ValueTraits<Second>::append(value.second, values);
  }
  static std::pair<First, Second> take(const Values& values, size_t& position) {
    return std::pair<First, Second>{ValueTraits<First>::take(values, position),
                                    ValueTraits<Second>::take(values, position)};
  }
};

namespace detail {

// Counts an aggregate's fields by trying T{tensor, tensor, …} with more and more initializers: the largest
// count that compiles is the number of leading fields that take a Tensor.
struct TensorInitializer {
  operator Tensor() const;  // never defined: used only in unevaluated braces
};

template <typename T, size_t... Indices>
constexpr bool braces_take_tensors(std::index_sequence<Indices...>) {
  return requires { T{(static_cast<void>(Indices), TensorInitializer{})...}; };
}

template <typename T, size_t Count = 0>
constexpr size_t tensor_field_count() {
  if constexpr (Count < 8 && braces_take_tensors<T>(std::make_index_sequence<Count + 1>{})) {
    return tensor_field_count<T, Count + 1>();
  } else {
    return Count;
  }
}

template <typename T>
constexpr bool is_tensor_struct() {
  if constexpr (!std::is_aggregate_v<T> || std::is_array_v<T>) {
    return false;
  } else {
    constexpr size_t fields = tensor_field_count<T>();
    // Every field a Tensor: then the struct is exactly that many Tensors (one type, so no padding).
    return fields > 0 && sizeof(T) == fields * sizeof(Tensor);
  }
}

template <typename T>
void append_fields(const T& value, Values& values) {
  constexpr size_t fields = tensor_field_count<T>();
  if constexpr (fields == 1) {
    const auto& [a] = value;
    values.tensors().insert(values.end(), {a});
  } else if constexpr (fields == 2) {
    const auto& [a, b] = value;
    values.tensors().insert(values.end(), {a, b});
  } else if constexpr (fields == 3) {
    const auto& [a, b, c] = value;
    values.tensors().insert(values.end(), {a, b, c});
  } else if constexpr (fields == 4) {
    const auto& [a, b, c, d] = value;
    values.tensors().insert(values.end(), {a, b, c, d});
  } else if constexpr (fields == 5) {
    const auto& [a, b, c, d, e] = value;
    values.tensors().insert(values.end(), {a, b, c, d, e});
  } else if constexpr (fields == 6) {
    const auto& [a, b, c, d, e, f] = value;
    values.tensors().insert(values.end(), {a, b, c, d, e, f});
  } else if constexpr (fields == 7) {
    const auto& [a, b, c, d, e, f, g] = value;
    values.tensors().insert(values.end(), {a, b, c, d, e, f, g});
  } else {
    const auto& [a, b, c, d, e, f, g, h] = value;
    values.tensors().insert(values.end(), {a, b, c, d, e, f, g, h});
  }
}

}  // namespace detail

template <typename T>
struct ValueTraits<T, std::enable_if_t<detail::is_tensor_struct<T>()>> {
  static constexpr size_t count = detail::tensor_field_count<T>();
  static void append(const T& value, Values& values) { detail::append_fields(value, values); }
  static T take(const Values& values, size_t& position) {
    size_t first = position;
    position += count;
    return [&]<size_t... Indices>(std::index_sequence<Indices...>) {
      return T{values[first + Indices]...};
    }(std::make_index_sequence<count>{});
  }
};

template <ForwardValue T>
Values to_values(const T& value) {
  Values values;
  ValueTraits<T>::append(value, values);
  return values;
}

// Rebuilds a T from Values that a hook returned; `who` names the module in the error.
template <ForwardValue T>
T from_values(const Values& values, const std::string& who) {
  constexpr size_t expected = ValueTraits<T>::count;
  NABLA_CHECK(expected == 0 || values.size() == expected,
              "{}: a hook returned {} tensors where the forward's result has {}", who, values.size(), expected);
  size_t position = 0;
  return ValueTraits<T>::take(values, position);
}

}  // namespace nabla::nn
