#include "nabla/nn/any_module.h"

#include <cxxabi.h>

#include <cstdlib>

namespace nabla::nn {

std::string ForwardSignature::to_string() const {
  return fmt::format("({}) -> {}", fmt::join(parameters, ", "), result);
}

std::string type_name(const std::type_info& type) {
  if (type == typeid(Tensor)) return "Tensor";
  if (type == typeid(std::string)) return "std::string";
  int status = 0;
  char* demangled = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && demangled != nullptr ? demangled : type.name();
  std::free(demangled);
  return name;
}

namespace detail {

bool arithmetic_argument(const std::any& argument) {
  const std::type_info& type = argument.type();
  return type == typeid(bool) || type == typeid(char) || type == typeid(signed char) || type == typeid(unsigned char) ||
         type == typeid(short) || type == typeid(unsigned short) || type == typeid(int) || type == typeid(unsigned) ||
         type == typeid(long) || type == typeid(unsigned long) || type == typeid(long long) ||
         type == typeid(unsigned long long) || type == typeid(float) || type == typeid(double) ||
         type == typeid(long double);
}

}  // namespace detail

void throw_argument_error(const Module& module, const ForwardSignature& signature,
                          const std::vector<std::any>& arguments) {
  std::vector<std::string> given;
  for (const std::any& argument : arguments) given.push_back(argument.has_value() ? type_name(argument.type()) : "empty");
  throw Error(fmt::format("AnyModule({}): forward takes {} argument{} ({}), got {} ({})", module.name(),
                          signature.parameters.size(), signature.parameters.size() == 1 ? "" : "s",
                          fmt::join(signature.parameters, ", "), arguments.size(), fmt::join(given, ", ")));
}

std::any AnyModule::forward_any(std::vector<std::any> arguments) const {
  return holder().forward(arguments);
}

const std::shared_ptr<Module>& AnyModule::ptr() const {
  NABLA_CHECK(module_ != nullptr, "AnyModule: empty (it holds no module)");
  return module_;
}

const AnyModule::Holder& AnyModule::holder() const {
  NABLA_CHECK(holder_ != nullptr, "AnyModule: empty (it holds no module)");
  return *holder_;
}

void AnyModule::throw_result_error(const std::any& result, const std::type_info& wanted) const {
  throw Error(fmt::format("AnyModule({}): forward returns {}, asked for {}", ptr()->name(),
                          type_name(result.type()), type_name(wanted)));
}

}  // namespace nabla::nn
