// Builds the schema, shape-rule, reference-kernel and backward tables from ops.def.
#include "ops/op.h"

namespace nabla::ops {
namespace {

template <typename T, typename Variant>
struct variant_index;
template <typename T, typename... Types>
struct variant_index<T, std::variant<Types...>> {
  static constexpr size_t value = [] {
    size_t index = 0;
    bool found = false;
    ((found = found || std::is_same_v<T, Types>, index += found ? 0 : 1), ...);
    return index;
  }();
};

constexpr Schema schemas[] = {
#define NABLA_OP(name, inputs, outputs, differentiable, alias, sync, saves, AttrType) \
  {#name, inputs, outputs, differentiable, Alias::alias, Sync::sync, Saves::saves,  \
   variant_index<AttrType, ::nabla::ops::Attrs>::value},
#include "ops/ops.def"
#undef NABLA_OP
};
static_assert(std::size(schemas) == op_count);

const ShapeRule shape_rules[] = {
#define NABLA_OP(name, ...) &shape_##name,
#include "ops/ops.def"
#undef NABLA_OP
};
const Kernel reference_kernels[] = {
#define NABLA_OP(name, ...) &reference_##name,
#include "ops/ops.def"
#undef NABLA_OP
};
const Backward backwards[] = {
#define NABLA_OP(name, ...) &backward_##name,
#include "ops/ops.def"
#undef NABLA_OP
};

}  // namespace

const Schema& schema(OpId op) { return schemas[static_cast<int>(op)]; }
const char* op_name(OpId op) { return schemas[static_cast<int>(op)].name; }
ShapeRule shape_rule(OpId op) { return shape_rules[static_cast<int>(op)]; }
Kernel reference_kernel(OpId op) { return reference_kernels[static_cast<int>(op)]; }
Backward backward_function(OpId op) { return backwards[static_cast<int>(op)]; }

}  // namespace nabla::ops
