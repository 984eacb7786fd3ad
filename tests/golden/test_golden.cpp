// Golden tests: every case of cases.json, made by make_fixtures.py (and full_op_set.py) with PyTorch,
// replayed through nabla's public API. A case checks each output (shape, dtype, values within the case's
// tolerance) and the gradient of sum(output * upstream) with respect to each input that requires grad,
// where upstream is a fixed formula of the flat index (upstream_like). Tensors are "<position>.i<k>"
// (inputs), ".o<k>" (outputs) and ".g<k>" (gradients) in fixtures.safetensors. The fixtures are committed,
// so these tests need no Python. One gtest per case: PyTorch/Golden.Matches/<case>.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "nabla/io/safetensors.h"
#include "nabla/nabla.h"
#include "nabla/nn/attention.h"
#include "nabla/nn/transformer.h"
#include "backend/cpu/kernels.h"
#include "ops/observer.h"
#include "ops/op.h"

namespace nabla::golden {
namespace {

using json = nlohmann::json;
using Tensors = std::vector<Tensor>;
using OpFunction = std::function<Tensors(const Tensors& inputs, const json& args)>;

std::string golden_file(const char* name) { return std::string(NABLA_GOLDEN_DIR) + "/" + name; }

// ---------------------------------------------------------------- loading (once per process)

// Parsed lazily and never throwing: gtest lists the cases before any test runs, and a missing or broken
// file should fail the FixturesLoad test, not abort the listing.
struct CaseFile {
  json cases = json::array();
  std::string error;
};

const CaseFile& case_file() {
  static const CaseFile file = [] {
    CaseFile result;
    try {
      std::ifstream in(golden_file("cases.json"));
      if (!in) throw Error("can't open " + golden_file("cases.json"));
      result.cases = json::parse(in);
    } catch (const std::exception& error) {
      result.error = error.what();
    }
    return result;
  }();
  return file;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& spec : case_file().cases) names.push_back(spec.at("name").get<std::string>());
  return names;
}

// A case and its position in cases.json: the position names its tensors.
std::pair<const json&, size_t> case_spec(const std::string& name) {
  const json& cases = case_file().cases;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (cases[i].at("name") == name) return {cases[i], i};
  }
  throw Error("no golden case named " + name);
}

std::string tensor_name(size_t position, const char* kind, size_t index) {
  return fmt::format("{}.{}{}", position, kind, index);
}

// The lists of flags, left out of cases.json where implied (make_fixtures.Fixtures.add): requires_grad
// absent means none; grads (the stored gradients) absent means those of requires_grad; upstreams (the
// outputs that carry an upstream gradient) absent means all of them.
bool flag(const json& spec, const std::string& list, size_t index) {
  if (spec.contains(list)) return spec.at(list).at(index).get<bool>();
  if (list == "grads") return flag(spec, "requires_grad", index);
  return list == "upstreams";
}

// The ops of ops.def that a case exercises: "covers", or just its op.
std::vector<std::string> covered_ops(const json& spec) {
  if (spec.contains("covers")) return spec.at("covers").get<std::vector<std::string>>();
  return {spec.at("op").get<std::string>()};
}

const std::map<std::string, Tensor>& fixtures() {
  static const std::map<std::string, Tensor> tensors = load_safetensors(golden_file("fixtures.safetensors"));
  return tensors;
}

const Tensor& fixture(const std::string& name) {
  auto it = fixtures().find(name);
  if (it == fixtures().end()) throw Error("fixtures.safetensors has no tensor " + name);
  return it->second;
}

std::optional<ops::OpId> op_named(const std::string& name) {
  for (int i = 0; i < ops::op_count; ++i) {
    if (name == ops::op_name(static_cast<ops::OpId>(i))) return static_cast<ops::OpId>(i);
  }
  return std::nullopt;
}

DType dtype_named(const std::string& name) {
  for (int i = 0; i < dtype_count; ++i) {
    if (dtype_name(static_cast<DType>(i)) == name) return static_cast<DType>(i);
  }
  throw Error("unknown dtype name " + name);
}

// ---------------------------------------------------------------- the ops, as make_fixtures.py runs them

// A Python number: ints and floats promote differently (int tensor + 2 stays int, + 2.5 gives float).
Tensor scalar_argument(const json& args) {
  if (args.at("scalar_kind") == "int") return wrapped_scalar(args.at("scalar").get<int64_t>());
  return wrapped_scalar(args.at("scalar").get<double>());
}

bool float_scalar(const json& args) { return args.contains("scalar") && args.at("scalar_kind") == "float"; }

// Float scalars for + - * / go through the operator overloads that C++ users write: x + 2.5, 2.5 - x.
std::optional<Tensor> arithmetic_with_double(const std::string& op, const Tensor& x, double scalar, bool first) {
  if (op == "add") return first ? scalar + x : x + scalar;
  if (op == "sub") return first ? scalar - x : x - scalar;
  if (op == "mul") return first ? scalar * x : x * scalar;
  if (op == "div") return first ? scalar / x : x / scalar;
  if (op == "pow" && !first) return pow(x, scalar);
  return std::nullopt;
}

OpFunction binary(const std::string& op, Tensor (*function)(const Tensor&, const Tensor&)) {
  return [op, function](const Tensors& x, const json& args) -> Tensors {
    if (!args.contains("scalar")) return {function(x[0], x[1])};
    bool first = args.value("scalar_first", false);
    if (float_scalar(args)) {
      if (auto result = arithmetic_with_double(op, x[0], args.at("scalar").get<double>(), first)) return {*result};
    }
    Tensor scalar = scalar_argument(args);
    return {first ? function(scalar, x[0]) : function(x[0], scalar)};
  };
}

OpFunction unary(Tensor (*function)(const Tensor&)) {
  return [function](const Tensors& x, const json&) -> Tensors { return {function(x[0])}; };
}

// In-place ops write into a clone: a leaf that requires grad may not be modified in place.
OpFunction inplace(bool add) {
  return [add](const Tensors& x, const json& args) -> Tensors {
    Tensor result = x[0].clone();
    if (float_scalar(args)) {
      double scalar = args.at("scalar").get<double>();
      add ? result.add_(scalar) : result.mul_(scalar);
    } else {
      const Tensor other = args.contains("scalar") ? scalar_argument(args) : x[1];
      add ? result.add_(other) : result.mul_(other);
    }
    return {result};
  };
}

std::vector<int64_t> dims_of(const json& args) { return args.value("dims", std::vector<int64_t>{}); }
bool keepdim_of(const json& args) { return args.value("keepdim", false); }
int64_t dim_of(const json& args) { return args.at("dim").get<int64_t>(); }

Reduction reduction_named(const std::string& name) {
  if (name == "none") return Reduction::none;
  if (name == "sum") return Reduction::sum;
  if (name == "mean") return Reduction::mean;
  throw Error("unknown reduction " + name);
}

// index_add and scatter_add (the backward passes of index_select and gather) in PyTorch's argument order:
// self, index, source.
OpFunction index_accumulate(Tensor (*function)(const Tensor&, int64_t, const Tensor&, const Tensor&)) {
  return [function](const Tensors& x, const json& args) -> Tensors { return {function(x[0], dim_of(args), x[1], x[2])}; };
}

Tensors max_op(const Tensors& x, const json& args) {
  if (!args.contains("dim")) return {max(x[0])};
  auto [values, indices] = max(x[0], dim_of(args), keepdim_of(args));
  return {values, indices};
}

// ---------------------------------------------------------------- the full op set (full_op_set.py)

// A number of the args: JSON has no inf or nan, so make_fixtures.py writes them as strings.
double number(const json& value) {
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (text == "inf") return INFINITY;
    if (text == "-inf") return -INFINITY;
    if (text == "nan") return NAN;
    throw Error("not a number in cases.json: " + text);
  }
  return value.get<double>();
}

double number_or(const json& args, const char* key, double otherwise) {
  return args.contains(key) ? number(args.at(key)) : otherwise;
}

std::optional<double> optional_number(const json& args, const char* key) {
  if (!args.contains(key) || args.at(key).is_null()) return std::nullopt;
  return number(args.at(key));
}

// A pair of sizes: an int or [height, width].
Size2 size2(const json& value) {
  if (value.is_array()) return Size2(value.at(0).get<int64_t>(), value.at(1).get<int64_t>());
  return Size2(value.get<int64_t>());
}

Size2 size2_or(const json& args, const char* key, int64_t otherwise) {
  return args.contains(key) ? size2(args.at(key)) : Size2(otherwise);
}

// Inputs by name where the function has optional tensor arguments (args "tensors"); absent ones are
// undefined tensors, which nabla's functions take as "not given".
struct Named {
  std::map<std::string, Tensor> tensors;
  Tensor operator[](const std::string& name) const {
    auto it = tensors.find(name);
    return it == tensors.end() ? Tensor() : it->second;
  }
};

Named named(const Tensors& inputs, const json& args) {
  Named result;
  const json& names = args.at("tensors");
  for (size_t i = 0; i < names.size(); ++i) result.tensors[names[i].get<std::string>()] = inputs.at(i);
  return result;
}

Reduction reduction_of(const json& args) { return reduction_named(args.value("reduction", std::string("mean"))); }

std::vector<int64_t> int_list(const json& args, const char* key) {
  return args.value(key, std::vector<int64_t>{});
}

// In-place functions write into a clone: a leaf that requires grad may not be modified in place.
OpFunction on_clone(std::function<void(Tensor& self, const Tensors& inputs, const json& args)> function) {
  return [function](const Tensors& x, const json& args) -> Tensors {
    Tensor result = x[0].clone();
    function(result, x, args);
    return {result};
  };
}

// ---- canonical forms where LAPACKs may legitimately differ (must match full_op_set.py)

// m [rows, columns] with column j multiplied by signs[j] (and rows, for by_rows).
Tensor scale_columns(const Tensor& m, const std::vector<double>& signs, bool by_rows = false) {
  NABLA_CHECK(m.dim() == 2, "golden: canonical forms take 2-D matrices, got {}", m.describe());
  std::vector<double> data = m.to_vector();
  const int64_t columns = m.size(1);
  for (size_t k = 0; k < data.size(); ++k) {
    data[k] *= signs.at(by_rows ? k / columns : k % columns);
  }
  return from_vector(data, m.shape(), {.dtype = m.dtype()});
}

// Signs that point each column along a fixed ramp (1.25, 1.5, 1.75, …), as full_op_set.sign_fixed.
std::vector<double> ramp_signs(const Tensor& columns) {
  std::vector<double> data = columns.to_vector();
  const int64_t rows = columns.size(0), count = columns.size(1);
  std::vector<double> signs(count);
  for (int64_t j = 0; j < count; ++j) {
    double dot = 0;
    for (int64_t i = 0; i < rows; ++i) dot += data[i * count + j] * ((i + 1) * 0.25 + 1);
    signs[j] = dot >= 0 ? 1.0 : -1.0;
  }
  return signs;
}

Tensors canonical_qr(const Tensor& q, const Tensor& r) {
  std::vector<double> data = r.to_vector(), signs(std::min(r.size(0), r.size(1)));
  for (size_t j = 0; j < signs.size(); ++j) signs[j] = data[j * r.size(1) + j] >= 0 ? 1.0 : -1.0;
  return {scale_columns(q, signs), scale_columns(r, signs, /*by_rows=*/true)};
}

Tensors canonical_svd(const linalg::SVD& svd) {
  std::vector<double> signs = ramp_signs(svd.U);
  return {scale_columns(svd.U, signs), svd.S, scale_columns(svd.Vh, signs, /*by_rows=*/true)};
}

Tensors canonical_eigh(const std::pair<Tensor, Tensor>& result) {
  return {result.first, scale_columns(result.second, ramp_signs(result.second))};
}

// topk with sorted=false has no defined order: compare in index order (2-D, last dim), as full_op_set.
// The values go through gather, so their gradients still flow.
Tensors in_index_order(const Tensor& values, const Tensor& indices) {
  NABLA_CHECK(values.dim() == 2, "golden: unsorted topk cases are 2-D, got {}", values.describe());
  const std::vector<double> index = indices.to_vector();
  const int64_t rows = values.size(0), k = values.size(1);
  std::vector<double> permutation(index.size());
  for (int64_t row = 0; row < rows; ++row) {
    std::vector<int64_t> order(k);
    for (int64_t j = 0; j < k; ++j) order[j] = j;
    std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return index[row * k + a] < index[row * k + b]; });
    for (int64_t j = 0; j < k; ++j) permutation[row * k + j] = static_cast<double>(order[j]);
  }
  Tensor by_index = from_vector(permutation, values.shape(), {.dtype = DType::i64});
  return {gather(values, 1, by_index), gather(indices, 1, by_index)};
}

Tensors topk_op(const Tensors& x, const json& args) {
  const bool sorted = args.value("sorted", true);
  auto [values, indices] = topk(x[0], args.at("k").get<int64_t>(), args.value("dim", int64_t{-1}),
                                args.value("largest", true), sorted);
  if (!sorted) return in_index_order(values, indices);
  return {values, indices};
}

PadMode pad_mode(const json& args) {
  const std::string mode = args.value("mode", std::string("constant"));
  if (mode == "constant") return PadMode::constant;
  if (mode == "reflect") return PadMode::reflect;
  if (mode == "replicate") return PadMode::replicate;
  throw Error("golden: unknown pad mode " + mode);
}

functional::Pool2dOptions pool_options(const json& args) {
  functional::Pool2dOptions options;
  options.kernel_size = size2(args.at("kernel_size"));
  if (args.contains("stride") && !args.at("stride").is_null()) options.stride = size2(args.at("stride"));
  options.padding = size2_or(args, "padding", 0);
  options.dilation = size2_or(args, "dilation", 1);
  options.ceil_mode = args.value("ceil_mode", false);
  options.count_include_pad = args.value("count_include_pad", true);
  return options;
}

functional::UnfoldOptions unfold_options(const json& args) {
  return {.kernel_size = size2(args.at("kernel_size")), .dilation = size2_or(args, "dilation", 1),
          .padding = size2_or(args, "padding", 0), .stride = size2_or(args, "stride", 1)};
}

Tensors interpolate_op(const Tensors& x, const json& args) {
  functional::InterpolateOptions options;
  if (args.contains("size")) options.size = size2(args.at("size"));
  options.scale_factor = optional_number(args, "scale_factor");
  const std::string mode = args.value("mode", std::string("nearest"));
  if (mode == "nearest") {
    options.mode = UpsampleMode::nearest;
  } else if (mode == "bilinear") {
    options.mode = UpsampleMode::bilinear;
  } else {
    throw Error("golden: unknown interpolate mode " + mode);
  }
  // PyTorch's None (not given) is false.
  options.align_corners = args.contains("align_corners") && args.at("align_corners").get<bool>();
  return {functional::interpolate(x[0], options)};
}

Tensors conv2d_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  functional::Conv2dOptions options{.stride = size2_or(args, "stride", 1), .padding = size2_or(args, "padding", 0),
                                    .dilation = size2_or(args, "dilation", 1), .groups = args.value("groups", int64_t{1})};
  return {functional::conv2d(t["x"], t["weight"], t["bias"], options)};
}

Tensors conv1d_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  functional::Conv1dOptions options{.stride = args.value("stride", int64_t{1}), .padding = args.value("padding", int64_t{0}),
                                    .dilation = args.value("dilation", int64_t{1}),
                                    .groups = args.value("groups", int64_t{1})};
  return {functional::conv1d(t["x"], t["weight"], t["bias"], options)};
}

Tensors conv_transpose2d_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  functional::ConvTranspose2dOptions options{
      .stride = size2_or(args, "stride", 1), .padding = size2_or(args, "padding", 0),
      .output_padding = size2_or(args, "output_padding", 0), .dilation = size2_or(args, "dilation", 1),
      .groups = args.value("groups", int64_t{1})};
  return {functional::conv_transpose2d(t["x"], t["weight"], t["bias"], options)};
}

// batch_norm's outputs: y, then the running statistics after the call (its in-place update), when given.
Tensors batch_norm_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  Tensor running_mean = t["running_mean"].defined() ? t["running_mean"].clone() : Tensor();
  Tensor running_var = t["running_var"].defined() ? t["running_var"].clone() : Tensor();
  Tensor y = functional::batch_norm(t["x"], running_mean, running_var, t["weight"], t["bias"], args.value("training", true),
                                    number_or(args, "momentum", 0.1), number_or(args, "eps", 1e-5));
  Tensors outputs{y};
  for (const Tensor& statistic : {running_mean, running_var}) {
    if (statistic.defined()) outputs.push_back(statistic);
  }
  return outputs;
}

Tensors attention_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  functional::AttentionOptions options{.attn_mask = t["mask"], .dropout_p = number_or(args, "dropout_p", 0),
                                       .is_causal = args.value("is_causal", false),
                                       .scale = optional_number(args, "scale")};
  return {functional::scaled_dot_product_attention(t["q"], t["k"], t["v"], options)};
}

// nn::MultiheadAttention with the case's weights swapped into its parameter slots (their dtype is the case's).
void use_attention_weights(nn::MultiheadAttention& attention, const Named& t) {
  attention.in_proj_weight = t["in_proj_weight"];
  attention.in_proj_bias = t["in_proj_bias"];
  attention.out_proj->weight = t["out_proj_weight"];
  attention.out_proj->bias = t["out_proj_bias"];
}

Tensors multihead_attention_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  const Tensor query = t["query"];
  nn::MultiheadAttention attention({.embed_dim = query.size(2), .num_heads = args.at("num_heads").get<int64_t>()});
  use_attention_weights(attention, t);
  const Tensor key = t["key"].defined() ? t["key"] : query, value = t["value"].defined() ? t["value"] : query;
  return {attention(query, key, value,
                    nn::AttentionMasks{.key_padding_mask = t["key_padding_mask"], .attn_mask = t["attn_mask"],
                                       .is_causal = args.value("is_causal", false)})};
}

Tensors transformer_block_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  const Tensor input = t["x"];
  nn::TransformerBlock block({.embed_dim = input.size(2),
                              .num_heads = args.at("num_heads").get<int64_t>(),
                              .activation = args.value("approximate", std::string("none")) == "tanh"
                                                ? nn::FeedForwardActivation::gelu_tanh
                                                : nn::FeedForwardActivation::gelu,
                              .norm_first = args.value("norm_first", true),
                              .causal = args.value("causal", false)});
  use_attention_weights(*block.attn, t);
  for (const char* which : {"ln_1", "ln_2"}) {
    auto norm = std::dynamic_pointer_cast<nn::LayerNorm>(which == std::string("ln_1") ? block.ln_1 : block.ln_2);
    norm->weight = t[std::string(which) + "_weight"];
    norm->bias = t[std::string(which) + "_bias"];
  }
  block.mlp->fc->weight = t["fc_weight"];
  block.mlp->fc->bias = t["fc_bias"];
  block.mlp->proj->weight = t["proj_weight"];
  block.mlp->proj->bias = t["proj_bias"];
  return {block(input)};
}

Tensors cross_entropy_options_op(const Tensors& x, const json& args) {
  Named t = named(x, args);
  functional::CrossEntropyOptions options{.weight = t["weight"], .ignore_index = args.value("ignore_index", int64_t{-100}),
                                          .reduction = reduction_of(args),
                                          .label_smoothing = number_or(args, "label_smoothing", 0)};
  return {functional::cross_entropy(t["logits"], t["target"], options)};
}

Tensors min_op(const Tensors& x, const json& args) {
  if (!args.contains("dim")) return {min(x[0])};
  auto [values, indices] = min(x[0], dim_of(args), keepdim_of(args));
  return {values, indices};
}

std::optional<int64_t> optional_int(const json& args, const char* key) {
  if (!args.contains(key) || args.at(key).is_null()) return std::nullopt;
  return args.at(key).get<int64_t>();
}

// lstm, gru, rnn: (input, h_0[, c_0], then each layer's and direction's weight_ih, weight_hh[, bias_ih,
// bias_hh] in PyTorch's parameter order) through nn::recurrent, the modules' computation.
Tensors recurrent_op(nn::RecurrentKind kind, const Tensors& x, const json& args) {
  const nn::RecurrentOptions options{
      .input_size = args.at("input_size").get<int64_t>(),
      .hidden_size = args.at("hidden_size").get<int64_t>(),
      .num_layers = args.value("num_layers", int64_t{1}),
      .nonlinearity = args.value("nonlinearity", std::string("tanh")) == "relu" ? nn::RNNNonlinearity::relu
                                                                                 : nn::RNNNonlinearity::tanh,
      .bias = args.value("bias", true),
      .batch_first = args.value("batch_first", false),
      .bidirectional = args.value("bidirectional", false)};
  const bool lstm = kind == nn::RecurrentKind::lstm;
  const size_t per_direction = options.bias ? 4 : 2;
  std::vector<std::vector<Tensor>> weights;
  for (size_t first = lstm ? 3 : 2; first + per_direction <= x.size(); first += per_direction) {
    weights.push_back({x[first], x[first + 1], options.bias ? x[first + 2] : Tensor(),
                       options.bias ? x[first + 3] : Tensor()});
  }
  const nn::LSTMOutput out = nn::recurrent(kind, options, weights, x[0], x[1], lstm ? x[2] : Tensor());
  if (lstm) return {out.output, out.h_n, out.c_n};
  return {out.output, out.h_n};
}

void add_full_op_set(std::map<std::string, OpFunction>& table) {
  using T = const Tensors&;
  using A = const json&;
  namespace F = functional;
  auto add = [&table](const char* name, OpFunction function) { table.emplace(name, std::move(function)); };
  // elementwise, unary
  add("abs", unary(&abs));
  add("sign", unary(&sign));
  add("log1p", unary(&log1p));
  add("rsqrt", unary(&rsqrt));
  add("sin", unary(&sin));
  add("cos", unary(&cos));
  add("floor", unary(&floor));
  add("ceil", unary(&ceil));
  add("round", unary(&round));
  add("isfinite", unary(&isfinite));
  add("isnan", unary(&isnan));
  add("logical_not", unary(&logical_not));
  // activations
  add("leaky_relu", [](T x, A a) -> Tensors { return {leaky_relu(x[0], number_or(a, "negative_slope", 0.01))}; });
  add("elu", [](T x, A a) -> Tensors { return {elu(x[0], number_or(a, "alpha", 1.0))}; });
  add("gelu", [](T x, A a) -> Tensors {
    bool tanh = a.value("approximate", std::string("none")) == "tanh";
    return {gelu(x[0], tanh ? GeluApproximation::tanh : GeluApproximation::none)};
  });
  add("silu", unary(&silu));
  add("softplus", [](T x, A a) -> Tensors {
    return {softplus(x[0], number_or(a, "beta", 1.0), number_or(a, "threshold", 20.0))};
  });
  add("clamp", [](T x, A a) -> Tensors { return {clamp(x[0], optional_number(a, "min"), optional_number(a, "max"))}; });
  // several inputs
  add("minimum", binary("minimum", &minimum));
  add("logical_and", binary("logical_and", &logical_and));
  add("logical_or", binary("logical_or", &logical_or));
  add("logical_xor", binary("logical_xor", &logical_xor));
  add("lerp", [](T x, A a) -> Tensors {
    if (a.contains("weight")) return {lerp(x[0], x[1], number(a.at("weight")))};
    return {lerp(x[0], x[1], x[2])};
  });
  add("addcmul", [](T x, A a) -> Tensors { return {addcmul(x[0], x[1], x[2], number_or(a, "value", 1.0))}; });
  add("addcdiv", [](T x, A a) -> Tensors { return {addcdiv(x[0], x[1], x[2], number_or(a, "value", 1.0))}; });
  // in place, on a clone of input 0
  add("copy_", on_clone([](Tensor& r, T x, A) { copy_(r, x[1]); }));
  add("fill_", on_clone([](Tensor& r, T, A a) { fill_(r, number(a.at("value"))); }));
  add("zero_", on_clone([](Tensor& r, T, A) { zero_(r); }));
  add("sub_", on_clone([](Tensor& r, T x, A) { sub_(r, x[1]); }));
  add("div_", on_clone([](Tensor& r, T x, A) { div_(r, x[1]); }));
  add("clamp_", on_clone([](Tensor& r, T, A a) { clamp_(r, optional_number(a, "min"), optional_number(a, "max")); }));
  add("relu_", on_clone([](Tensor& r, T, A) { relu_(r); }));
  add("masked_fill_", on_clone([](Tensor& r, T x, A a) { masked_fill_(r, x[1], number(a.at("value"))); }));
  // optimizer steps: Adam or AdamW (fused: the op adam_step_) from zero state, one step per gradient x[1:]
  add("adam", [](T x, A a) -> Tensors {
    Tensor parameter = x[0].clone().requires_grad_();
    const double lr = number(a.at("lr")), beta1 = number(a.at("beta1")), beta2 = number(a.at("beta2")),
                 eps = number(a.at("eps")), weight_decay = number(a.at("weight_decay"));
    const bool amsgrad = a.at("amsgrad").get<bool>();
    std::unique_ptr<optim::Optimizer> optimizer;
    if (a.at("decoupled").get<bool>()) {
      optimizer = std::make_unique<optim::AdamW>(std::vector<Tensor>{parameter},
          optim::AdamWOptions{.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = weight_decay, .amsgrad = amsgrad});
    } else {
      optimizer = std::make_unique<optim::Adam>(std::vector<Tensor>{parameter},
          optim::AdamOptions{.lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps, .weight_decay = weight_decay, .amsgrad = amsgrad});
    }
    for (size_t step = 1; step < x.size(); ++step) {
      parameter.set_grad(x[step].clone());
      optimizer->step();
    }
    return {parameter.detach()};
  });
  // reductions and orderings
  add("prod", [](T x, A a) -> Tensors { return {prod(x[0], dims_of(a), keepdim_of(a))}; });
  add("min", &min_op);
  add("argmin", [](T x, A a) -> Tensors { return {argmin(x[0], dim_of(a), keepdim_of(a))}; });
  add("var", [](T x, A a) -> Tensors {
    return {var(x[0], dims_of(a), number_or(a, "correction", 1), keepdim_of(a))};
  });
  add("std", [](T x, A a) -> Tensors {
    return {nabla::std(x[0], dims_of(a), number_or(a, "correction", 1), keepdim_of(a))};
  });
  add("norm", [](T x, A a) -> Tensors { return {norm(x[0], number_or(a, "p", 2), dims_of(a), keepdim_of(a))}; });
  add("any", [](T x, A a) -> Tensors { return {any(x[0], dims_of(a), keepdim_of(a))}; });
  add("all", [](T x, A a) -> Tensors { return {all(x[0], dims_of(a), keepdim_of(a))}; });
  add("cumsum", [](T x, A a) -> Tensors { return {cumsum(x[0], dim_of(a))}; });
  add("topk", &topk_op);
  add("sort", [](T x, A a) -> Tensors {
    auto [values, indices] = sort(x[0], a.value("dim", int64_t{-1}), a.value("descending", false));
    return {values, indices};
  });
  add("argsort", [](T x, A a) -> Tensors {
    return {argsort(x[0], a.value("dim", int64_t{-1}), a.value("descending", false))};
  });
  add("bincount", [](T x, A a) -> Tensors {
    return {bincount(x[0], x.size() > 1 ? x[1] : Tensor(), a.value("minlength", int64_t{0}))};
  });
  // indexing and shape
  add("scatter", [](T x, A a) -> Tensors { return {scatter(x[0], dim_of(a), x[1], x[2])}; });
  add("masked_fill", [](T x, A a) -> Tensors { return {masked_fill(x[0], x[1], number(a.at("value")))}; });
  add("masked_select", [](T x, A) -> Tensors { return {masked_select(x[0], x[1])}; });
  add("nonzero", unary(&nonzero));
  add("diagonal", [](T x, A a) -> Tensors {
    return {diagonal(x[0], a.value("offset", int64_t{0}), a.value("dim1", int64_t{0}), a.value("dim2", int64_t{1}))};
  });
  add("pad", [](T x, A a) -> Tensors {
    return {F::pad(x[0], int_list(a, "pads"), pad_mode(a), number_or(a, "value", 0))};
  });
  add("repeat", [](T x, A a) -> Tensors { return {repeat(x[0], a.at("repeats").get<Shape>())}; });
  add("flip", [](T x, A a) -> Tensors { return {flip(x[0], int_list(a, "dims"))}; });
  add("roll", [](T x, A a) -> Tensors { return {roll(x[0], int_list(a, "shifts"), int_list(a, "dims"))}; });
  add("tril", [](T x, A a) -> Tensors { return {tril(x[0], a.value("diagonal", int64_t{0}))}; });
  add("triu", [](T x, A a) -> Tensors { return {triu(x[0], a.value("diagonal", int64_t{0}))}; });
  add("one_hot", [](T x, A a) -> Tensors { return {one_hot(x[0], a.value("num_classes", int64_t{-1}))}; });
  add("einsum", [](T x, A a) -> Tensors { return {einsum(a.at("equation").get<std::string>(), x)}; });
  add("outer", binary("outer", &outer));
  add("bmm", binary("bmm", &bmm));
  add("cdist", [](T x, A a) -> Tensors { return {cdist(x[0], x[1], number_or(a, "p", 2))}; });
  add("unfold", [](T x, A a) -> Tensors { return {F::unfold(x[0], unfold_options(a))}; });
  add("fold", [](T x, A a) -> Tensors { return {F::fold(x[0], size2(a.at("output_size")), unfold_options(a))}; });
  // random: only calls with a deterministic result
  add("bernoulli", [](T x, A) -> Tensors { return {bernoulli(x[0])}; });
  add("multinomial", [](T x, A a) -> Tensors {
    return {multinomial(x[0], a.at("samples").get<int64_t>(), a.value("replacement", false))};
  });
  add("dropout", [](T x, A a) -> Tensors { return {F::dropout(x[0], number_or(a, "p", 0.5), a.value("training", true))}; });
  // convolution, pooling, resampling
  add("linear", [](T x, A) -> Tensors { return {F::linear(x[0], x[1], x.size() > 2 ? x[2] : Tensor())}; });
  add("conv2d", &conv2d_op);
  add("conv1d", &conv1d_op);
  add("conv_transpose2d", &conv_transpose2d_op);
  add("max_pool2d", [](T x, A a) -> Tensors { return {F::max_pool2d(x[0], pool_options(a))}; });
  add("max_pool2d_with_indices", [](T x, A a) -> Tensors {
    auto [values, indices] = F::max_pool2d_with_indices(x[0], pool_options(a));
    return {values, indices};
  });
  add("avg_pool2d", [](T x, A a) -> Tensors { return {F::avg_pool2d(x[0], pool_options(a))}; });
  add("adaptive_avg_pool2d", [](T x, A a) -> Tensors { return {F::adaptive_avg_pool2d(x[0], size2(a.at("output_size")))}; });
  add("adaptive_max_pool2d", [](T x, A a) -> Tensors { return {F::adaptive_max_pool2d(x[0], size2(a.at("output_size")))}; });
  add("interpolate", &interpolate_op);
  add("embedding", [](T x, A a) -> Tensors { return {F::embedding(x[0], x[1], optional_int(a, "padding_idx"))}; });
  // normalization and attention
  add("layer_norm", [](T x, A a) -> Tensors {
    Named t = named(x, a);
    return {F::layer_norm(t["x"], a.at("normalized_shape").get<Shape>(), t["weight"], t["bias"], number_or(a, "eps", 1e-5))};
  });
  add("batch_norm", &batch_norm_op);
  add("group_norm", [](T x, A a) -> Tensors {
    Named t = named(x, a);
    return {F::group_norm(t["x"], a.at("groups").get<int64_t>(), t["weight"], t["bias"], number_or(a, "eps", 1e-5))};
  });
  add("scaled_dot_product_attention", &attention_op);
  // losses
  add("functional_cross_entropy", &cross_entropy_options_op);
  add("nll_loss", [](T x, A a) -> Tensors {
    Named t = named(x, a);
    return {F::nll_loss(t["input"], t["target"], t["weight"], a.value("ignore_index", int64_t{-100}), reduction_of(a))};
  });
  add("mse_loss", [](T x, A a) -> Tensors { return {F::mse_loss(x[0], x[1], reduction_of(a))}; });
  add("l1_loss", [](T x, A a) -> Tensors { return {F::l1_loss(x[0], x[1], reduction_of(a))}; });
  add("smooth_l1_loss", [](T x, A a) -> Tensors {
    return {F::smooth_l1_loss(x[0], x[1], reduction_of(a), number_or(a, "beta", 1.0))};
  });
  add("huber_loss", [](T x, A a) -> Tensors {
    return {F::huber_loss(x[0], x[1], reduction_of(a), number_or(a, "delta", 1.0))};
  });
  add("binary_cross_entropy", [](T x, A a) -> Tensors {
    Named t = named(x, a);
    return {F::binary_cross_entropy(t["input"], t["target"], t["weight"], reduction_of(a))};
  });
  add("binary_cross_entropy_with_logits", [](T x, A a) -> Tensors {
    Named t = named(x, a);
    return {F::binary_cross_entropy_with_logits(t["input"], t["target"], t["weight"], t["pos_weight"], reduction_of(a))};
  });
  add("kl_div", [](T x, A a) -> Tensors {
    return {F::kl_div(x[0], x[1], reduction_of(a), a.value("log_target", false))};
  });
  // linear algebra, in the canonical sign convention of full_op_set.py
  add("qr", [](T x, A) -> Tensors {
    auto [q, r] = linalg::qr(x[0]);
    return canonical_qr(q, r);
  });
  add("svd", [](T x, A) -> Tensors { return canonical_svd(linalg::svd(x[0])); });
  add("eigh", [](T x, A) -> Tensors { return canonical_eigh(linalg::eigh(x[0])); });
  add("solve", [](T x, A) -> Tensors { return {linalg::solve(x[0], x[1])}; });
  add("cholesky", [](T x, A) -> Tensors { return {linalg::cholesky(x[0])}; });
  // layers built on the ops (nabla::nn), against their PyTorch forms
  add("multihead_attention", &multihead_attention_op);
  add("transformer_block", &transformer_block_op);
  // recurrent layers
  add("lstm", [](T x, A a) { return recurrent_op(nn::RecurrentKind::lstm, x, a); });
  add("gru", [](T x, A a) { return recurrent_op(nn::RecurrentKind::gru, x, a); });
  add("rnn", [](T x, A a) { return recurrent_op(nn::RecurrentKind::rnn, x, a); });
}

const std::map<std::string, OpFunction>& op_table() {
  using T = const Tensors&;
  using A = const json&;
  static std::map<std::string, OpFunction> table = {
      {"neg", unary(&neg)},
      {"exp", unary(&exp)},
      {"log", unary(&log)},
      {"sqrt", unary(&sqrt)},
      {"tanh", unary(&tanh)},
      {"sigmoid", unary(&sigmoid)},
      {"relu", unary(&relu)},
      {"add", binary("add", &add)},
      {"sub", binary("sub", &sub)},
      {"mul", binary("mul", &mul)},
      {"div", binary("div", &div)},
      {"pow", binary("pow", static_cast<Tensor (*)(const Tensor&, const Tensor&)>(&pow))},
      {"maximum", binary("maximum", &maximum)},
      {"eq", binary("eq", &eq)},
      {"ne", binary("ne", &ne)},
      {"lt", binary("lt", &lt)},
      {"le", binary("le", &le)},
      {"gt", binary("gt", &gt)},
      {"ge", binary("ge", &ge)},
      {"where", [](T x, A) -> Tensors { return {where(x[0], x[1], x[2])}; }},
      {"add_", inplace(true)},
      {"mul_", inplace(false)},
      {"clone", [](T x, A) -> Tensors { return {x[0].clone()}; }},
      {"cast", [](T x, A args) -> Tensors { return {x[0].to(dtype_named(args.at("dtype")))}; }},
      {"view", [](T x, A args) -> Tensors { return {x[0].view(args.at("shape").get<Shape>())}; }},
      {"permute", [](T x, A args) -> Tensors { return {x[0].permute(args.at("dims").get<Shape>())}; }},
      {"slice", [](T x, A args) -> Tensors {
         return {x[0].slice(dim_of(args), args.at("start"), args.at("end"), args.at("step"))};
       }},
      {"expand", [](T x, A args) -> Tensors { return {x[0].expand(args.at("shape").get<Shape>())}; }},
      {"cat", [](T x, A args) -> Tensors { return {cat(x, dim_of(args))}; }},
      {"index_add", index_accumulate(&index_add)},
      {"scatter_add", index_accumulate(&scatter_add)},
      {"sum", [](T x, A args) -> Tensors { return {sum(x[0], dims_of(args), keepdim_of(args))}; }},
      {"mean", [](T x, A args) -> Tensors { return {mean(x[0], dims_of(args), keepdim_of(args))}; }},
      {"max", &max_op},
      {"argmax", [](T x, A args) -> Tensors { return {argmax(x[0], dim_of(args), keepdim_of(args))}; }},
      {"logsumexp", [](T x, A args) -> Tensors { return {logsumexp(x[0], dims_of(args), keepdim_of(args))}; }},
      {"softmax", [](T x, A args) -> Tensors { return {softmax(x[0], dim_of(args))}; }},
      {"log_softmax", [](T x, A args) -> Tensors { return {log_softmax(x[0], dim_of(args))}; }},
      {"matmul", [](T x, A) -> Tensors { return {matmul(x[0], x[1])}; }},
      {"index_select", [](T x, A args) -> Tensors { return {index_select(x[0], dim_of(args), x[1])}; }},
      {"gather", [](T x, A args) -> Tensors { return {gather(x[0], dim_of(args), x[1])}; }},
      {"cross_entropy", [](T x, A args) -> Tensors {
         return {cross_entropy(x[0], x[1], reduction_named(args.at("reduction")), args.value("ignore_index", -100))};
       }},
  };
  static const bool extended = (add_full_op_set(table), true);
  (void)extended;
  return table;
}

// ---------------------------------------------------------------- comparing

struct Tolerance {
  double atol, rtol;
};

// nan matches nan and an infinity matches itself: PyTorch's special values are part of the contract.
bool close(double actual, double expected, Tolerance tolerance, bool exact) {
  if (std::isnan(expected)) return std::isnan(actual);
  if (exact || std::isinf(expected)) return actual == expected;
  return std::fabs(actual - expected) <= tolerance.atol + tolerance.rtol * std::fabs(expected);
}

// One failure per tensor, listing the first few elements that differ.
void expect_matches(const std::string& what, const Tensor& actual, const Tensor& expected, Tolerance tolerance) {
  ASSERT_TRUE(actual.defined()) << what << ": nabla returned an undefined tensor";
  EXPECT_EQ(dtype_name(actual.dtype()), dtype_name(expected.dtype())) << what << ": dtype differs from PyTorch's";
  ASSERT_EQ(shape_string(actual.shape()), shape_string(expected.shape())) << what << ": shape differs from PyTorch's";
  std::vector<double> got = actual.to_vector(), want = expected.to_vector();
  bool exact = !is_floating(expected.dtype());
  std::string report;
  int mismatches = 0;
  double worst = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (close(got[i], want[i], tolerance, exact)) continue;
    worst = std::max(worst, std::fabs(got[i] - want[i]));
    if (++mismatches <= 5) report += fmt::format("\n  [{}] nabla {:.17g}, PyTorch {:.17g}", i, got[i], want[i]);
  }
  EXPECT_EQ(mismatches, 0) << what << ": " << mismatches << " of " << want.size()
                           << fmt::format(" elements differ (largest difference {:.3g}; atol {:g}, rtol {:g}):",
                                          worst, tolerance.atol, tolerance.rtol)
                           << report;
}

// ---------------------------------------------------------------- what a case ran

// The ops a case dispatched itself (depth 0: not ops that some kernel called) while its function and its
// gradient ran — not the harness's loading, casting and comparing — and whether nabla refused the call
// (an "error" case, or a documented deviation), in which case it ran nothing to prove.
struct CaseRun {
  std::set<ops::OpId> dispatched;
  bool refused = false;
};

CaseRun& current_run() {
  static CaseRun run;
  return run;
}

// Runs `body` as part of the case: the ops it dispatches count toward the case's claim.
template <class Body>
auto as_case(Body&& body) {
  ops::ObserveDispatch observe([](const ops::Dispatched& call) {
    if (call.depth == 0) current_run().dispatched.insert(call.op);
  });
  return body();
}

// ---------------------------------------------------------------- running one case

// The upstream gradient of an output: cos(2.39996…·k + 0.5) at flat index k, rounded to the output's dtype
// (make_fixtures.upstream_like computes the same with the C library's cos).
Tensor upstream_like(const Tensor& output) {
  constexpr double step = 2.399963229728653;
  std::vector<double> values(output.numel());
  for (size_t k = 0; k < values.size(); ++k) values[k] = std::cos(step * static_cast<double>(k) + 0.5);
  return from_vector(values, output.shape(), {.dtype = DType::f64}).to(output.dtype());
}

Tensors load_inputs(const json& spec, size_t position) {
  Tensors inputs;
  for (size_t i = 0; i < spec.at("inputs").get<size_t>(); ++i) {
    Tensor input = fixture(tensor_name(position, "i", i)).clone();  // a fresh leaf: the fixtures stay untouched
    if (flag(spec, "requires_grad", i)) input.requires_grad_();
    inputs.push_back(input);
  }
  return inputs;
}

void check_gradients(const json& spec, size_t position, const Tensors& inputs, const Tensors& outputs,
                     Tolerance tolerance) {
  Tensors differentiable, upstreams, wanted;
  std::vector<std::string> grad_names;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (!flag(spec, "upstreams", i)) continue;
    differentiable.push_back(outputs[i]);
    upstreams.push_back(upstream_like(outputs[i]));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!flag(spec, "grads", i)) continue;
    wanted.push_back(inputs[i]);
    grad_names.push_back(tensor_name(position, "g", i));
  }
  if (differentiable.empty() || wanted.empty()) return;
  Tensors grads = as_case([&] { return autograd::grad(differentiable, wanted, upstreams, {}, false, /*allow_unused=*/true); });
  ASSERT_EQ(grads.size(), wanted.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor& expected = fixture(grad_names[i]);
    // An unused input has no gradient in nabla where PyTorch's fixture holds zeros.
    Tensor actual = grads[i].defined() ? grads[i] : zeros_like(expected);
    expect_matches("gradient of input " + grad_names[i], actual, expected, tolerance);
  }
}

// What the op sees: the inputs listed in "transposed_inputs" as strided views (last two dims swapped).
Tensors seen_by_op(const json& spec, const Tensors& inputs) {
  Tensors seen = inputs;
  for (const json& index : spec.value("transposed_inputs", json::array())) {
    Tensor& input = seen.at(index.get<size_t>());
    input = input.mT();
  }
  return seen;
}

// PyTorch refused this call: nabla must throw its one-line nabla::Error, not return or throw another type.
void expect_error(const json& spec, const OpFunction& function, const Tensors& inputs) {
  const std::string pytorch = spec.at("error");
  try {
    Tensors outputs = function(seen_by_op(spec, inputs), spec.at("args"));
    std::vector<std::string> results;
    for (const Tensor& output : outputs) results.push_back(output.describe() + " " + output.to_string());
    ADD_FAILURE() << "PyTorch raises \"" << pytorch << "\" but nabla returned " << fmt::format("{}", fmt::join(results, ", "));
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    // A stub's "not implemented yet" is not a refusal of this call.
    EXPECT_EQ(message.find("not implemented yet"), std::string::npos) << "PyTorch raises \"" << pytorch
                                                                      << "\"; nabla: " << message;
  } catch (const std::exception& error) {
    ADD_FAILURE() << "PyTorch raises \"" << pytorch << "\"; nabla threw a non-nabla::Error: " << error.what();
  }
}

// ---------------------------------------------------------------- random ops: properties, not values

bool within_five_sigma(double count, double trials, double p) {
  return std::fabs(count - trials * p) <= 5 * std::sqrt(trials * p * (1 - p));
}

void check_bernoulli(const Tensor& probabilities, const Tensor& sample, const json& args) {
  EXPECT_EQ(dtype_name(sample.dtype()), dtype_name(probabilities.dtype())) << "bernoulli keeps the input's dtype";
  ASSERT_EQ(shape_string(sample.shape()), shape_string(probabilities.shape()));
  std::vector<double> p = probabilities.to_vector(), s = sample.to_vector();
  double ones = 0, trials = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    ASSERT_TRUE(s[i] == 0 || s[i] == 1) << "sample " << i << " is " << s[i];
    if (p[i] == 0) {
      ASSERT_EQ(s[i], 0) << "p = 0 drew 1 at " << i;
    }
    if (p[i] == 1) {
      ASSERT_EQ(s[i], 1) << "p = 1 drew 0 at " << i;
    }
    if (p[i] > 0 && p[i] < 1) {
      ones += s[i];
      trials += 1;
    }
  }
  EXPECT_TRUE(within_five_sigma(ones, trials, number(args.at("p")))) << ones << " ones in " << trials << " draws";
}

void check_multinomial(const Tensor& weights, const Tensor& sample, const json& args) {
  const int64_t samples = args.at("samples"), rows = weights.size(0), categories = weights.size(1);
  EXPECT_EQ(dtype_name(sample.dtype()), "int64");
  ASSERT_EQ(shape_string(sample.shape()), shape_string(Shape{rows, samples}));
  std::vector<double> w = weights.to_vector(), s = sample.to_vector();
  for (int64_t row = 0; row < rows; ++row) {
    std::set<int64_t> seen;
    for (int64_t j = 0; j < samples; ++j) {
      const auto k = static_cast<int64_t>(s[row * samples + j]);
      ASSERT_TRUE(k >= 0 && k < categories) << "row " << row << " drew category " << k;
      EXPECT_NE(w[row * categories + k], 0) << "row " << row << " drew category " << k << " of weight 0";
      EXPECT_TRUE(seen.insert(k).second || args.at("replacement").get<bool>())
          << "row " << row << " drew category " << k << " twice without replacement";
    }
  }
}

// y is x / (1 - p) or 0; zeros at frequency p; the gradient of sum(y · upstream) is upstream · y / x.
void check_dropout(Tensor x, const json& spec, size_t position) {
  Tensor leaf = fixture(tensor_name(position, "i", 0)).clone().requires_grad_();
  Tensors seen = seen_by_op(spec, {leaf});
  const double p = number(spec.at("args").at("p"));
  Tensor y = as_case([&] { return functional::dropout(seen[0], p, /*training=*/true); });
  ASSERT_EQ(shape_string(y.shape()), shape_string(seen[0].shape()));
  EXPECT_EQ(dtype_name(y.dtype()), dtype_name(x.dtype()));
  std::vector<double> in = seen[0].to_vector(), out = y.to_vector();
  const bool single = y.dtype() == DType::f32;
  double zeros = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (out[i] == 0) {
      zeros += 1;
      continue;
    }
    const double kept = in[i] / (1 - p);
    ASSERT_NEAR(out[i], kept, (single ? 1e-6 : 1e-14) * std::fabs(kept)) << "element " << i;
  }
  EXPECT_TRUE(within_five_sigma(zeros, static_cast<double>(in.size()), p)) << zeros << " zeros of " << in.size();
  Tensor upstream = upstream_like(y);
  Tensors grads = as_case([&] { return autograd::grad({y}, {leaf}, {upstream}); });
  ASSERT_EQ(grads.size(), 1u);
  // The leaf's gradient, seen as the op saw the leaf (transposed where the case says so).
  std::vector<double> grad = seen_by_op(spec, {grads[0]})[0].to_vector(), up = upstream.to_vector();
  for (size_t i = 0; i < in.size(); ++i) {
    const double expected = out[i] == 0 ? 0 : up[i] / (1 - p);
    ASSERT_NEAR(grad[i], expected, (single ? 1e-6 : 1e-14) * (1 + std::fabs(expected))) << "gradient element " << i;
  }
}

void run_property_case(const json& spec, size_t position, const OpFunction& function) {
  const std::string check = spec.at("check");
  Tensors inputs = load_inputs(spec, position);
  Tensors seen = seen_by_op(spec, inputs);
  if (check == "dropout") return check_dropout(seen[0], spec, position);
  Tensors outputs = as_case([&] { return function(seen, spec.at("args")); });
  ASSERT_EQ(outputs.size(), 1u);
  if (check == "bernoulli") return check_bernoulli(seen[0], outputs[0], spec.at("args"));
  if (check == "multinomial") return check_multinomial(seen[0], outputs[0], spec.at("args"));
  FAIL() << "unknown property check " << check;
}

void run_case(const json& spec, size_t position) {
  const std::string op = spec.at("op");
  auto function = op_table().find(op);
  ASSERT_NE(function, op_table().end()) << "no C++ function for op " << op;
  Tensors inputs = load_inputs(spec, position);
  if (spec.contains("error")) {
    current_run().refused = true;
    return expect_error(spec, function->second, inputs);
  }
  if (spec.contains("check")) return run_property_case(spec, position, function->second);
  Tolerance tolerance{spec.at("tolerance").at(0), spec.at("tolerance").at(1)};
  Tensors outputs;
  if (spec.contains("deviation")) {
    // A documented deviation: nabla may refuse with its one-line error; if it answers, it must match PyTorch.
    try {
      outputs = as_case([&] { return function->second(seen_by_op(spec, inputs), spec.at("args")); });
    } catch (const Error& error) {
      current_run().refused = true;
      EXPECT_EQ(std::string(error.what()).find('\n'), std::string::npos) << "not one line: " << error.what();
      return;
    }
  } else {
    outputs = as_case([&] { return function->second(seen_by_op(spec, inputs), spec.at("args")); });
  }
  ASSERT_EQ(outputs.size(), spec.at("outputs").get<size_t>()) << "number of outputs";
  for (size_t i = 0; i < outputs.size(); ++i) {
    expect_matches("output " + tensor_name(position, "o", i), outputs[i], fixture(tensor_name(position, "o", i)),
                   tolerance);
  }
  check_gradients(spec, position, inputs, outputs, tolerance);
}

class Golden : public ::testing::TestWithParam<std::string> {};

// Fast CPU kernels where they apply (the default), then the reference kernels alone: both against PyTorch.
void run_golden(const std::string& name) {
  auto [spec, position] = case_spec(name);
  SCOPED_TRACE(fmt::format("case {}: op {}, args {}{}", name, spec.at("op").get<std::string>(),
                           spec.at("args").dump(), spec.contains("note") ? " — " + spec.at("note").get<std::string>() : ""));
  current_run() = {};
  try {
    run_case(spec, position);
  } catch (const std::exception& error) {
    FAIL() << "threw: " << error.what();
  }
  // The case's claim, proven: each op it covers ran (on whichever kernel this pass selects).
  if (current_run().refused || ::testing::Test::HasFatalFailure()) return;
  std::vector<std::string> ran;
  for (ops::OpId op : current_run().dispatched) ran.push_back(ops::op_name(op));
  for (const std::string& covered : covered_ops(spec)) {
    const auto op = op_named(covered);
    EXPECT_TRUE(op && current_run().dispatched.count(*op))
        << name << " claims to cover " << covered << ", but running it (and its gradient) never dispatched it; it ran: "
        << fmt::format("{}", fmt::join(ran, ", "));
  }
}

TEST_P(Golden, Matches) { run_golden(GetParam()); }

TEST_P(Golden, MatchesWithReferenceKernels) {
  cpu::ReferenceOnlyGuard reference_only;
  run_golden(GetParam());
}

INSTANTIATE_TEST_SUITE_P(PyTorch, Golden, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Golden);  // FixturesLoad reports a missing cases.json

// ---------------------------------------------------------------- the files and the coverage

TEST(GoldenFiles, FixturesLoad) {
  ASSERT_EQ(case_file().error, "") << "run tests/golden/make_fixtures.py to make the fixtures";
  ASSERT_FALSE(case_file().cases.empty());
  ASSERT_NO_THROW(fixtures());
  const json& cases = case_file().cases;
  for (size_t position = 0; position < cases.size(); ++position) {
    const json& spec = cases[position];
    for (size_t i = 0; i < spec.at("inputs").get<size_t>(); ++i) {
      EXPECT_EQ(fixtures().count(tensor_name(position, "i", i)), 1u) << spec.at("name") << " input " << i;
      if (flag(spec, "grads", i)) {
        EXPECT_EQ(fixtures().count(tensor_name(position, "g", i)), 1u) << spec.at("name") << " grad " << i;
      }
    }
    for (size_t i = 0; i < spec.at("outputs").get<size_t>(); ++i) {
      EXPECT_EQ(fixtures().count(tensor_name(position, "o", i)), 1u) << spec.at("name") << " output " << i;
    }
  }
}

TEST(GoldenFiles, EveryCaseNamesAKnownOp) {
  std::set<std::string> op_names;
  for (int i = 0; i < ops::op_count; ++i) op_names.insert(ops::op_name(static_cast<ops::OpId>(i)));
  for (const json& spec : case_file().cases) {
    EXPECT_EQ(op_table().count(spec.at("op")), 1u) << spec.at("name") << ": no C++ function for " << spec.at("op");
    if (!spec.contains("covers")) {
      EXPECT_EQ(op_names.count(spec.at("op")), 1u) << spec.at("name") << ": a composite must list the ops it covers";
    }
    for (const std::string& covered : covered_ops(spec)) {
      EXPECT_EQ(op_names.count(covered), 1u) << spec.at("name") << " covers " << covered << ", not in ops.def";
    }
  }
}

// Ops checked against PyTorch elsewhere, each with where and why; nothing else may go without a golden case.
const std::map<std::string, std::string>& ops_without_golden_case() {
  // Empty today: every op has one (adam_step_ through optim::Adam/AdamW against torch.optim).
  static const std::map<std::string, std::string> ops = {};
  return ops;
}

TEST(GoldenFiles, EveryOpHasACase) {
  std::set<std::string> covered;
  for (const json& spec : case_file().cases) {
    for (const std::string& name : covered_ops(spec)) covered.insert(name);
  }
  for (int i = 0; i < ops::op_count; ++i) {
    const char* name = ops::op_name(static_cast<ops::OpId>(i));
    if (ops_without_golden_case().count(name)) {
      EXPECT_EQ(covered.count(name), 0u) << "op " << name << " has a golden case now: drop it from ops_without_golden_case";
      continue;
    }
    EXPECT_EQ(covered.count(name), 1u) << "op " << name << " has no golden case: add one to make_fixtures.py";
  }
  for (const auto& [name, reason] : ops_without_golden_case()) {
    EXPECT_TRUE(op_named(name).has_value()) << name << " is listed without a golden case but is not in ops.def";
  }
}

}  // namespace
}  // namespace nabla::golden
