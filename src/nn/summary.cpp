// nn::summary. It counts FLOPs with analysis::FlopCounter (src/analysis/flops.cpp, which includes only ops):
// the one place nn reaches into analysis, so that summaries and every other FLOP count share one set of
// formulas.
#include "nabla/nn/summary.h"

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/text/numbers.h"

namespace nabla::nn {
namespace {

int64_t own_parameters(const Module& module) {
  int64_t count = 0;
  for (const Tensor& parameter : module.parameters(false)) count += parameter.numel();
  return count;
}

// A module running on the forward pass: FLOPs counted when it started, and those of its children so far.
struct Frame {
  int64_t flops_at_start = 0;
  int64_t children_flops = 0;
};

// Removes the summary's hooks however the forward pass ends.
struct HookRemover {
  std::vector<std::pair<Module*, size_t>> hooks;
  ~HookRemover() {
    for (auto& [module, handle] : hooks) module->remove_hook(handle);
  }
};

}  // namespace

ModelSummary summary(Module& model, const Shape& input_shape, DType dtype) {
  ModelSummary result;
  analysis::FlopCounter counter;
  std::vector<Frame> running;
  HookRemover remover;
  for (auto& [name, module] : model.named_modules()) {
    const bool leaf = module->named_children().empty();
    std::string path = name;
    remover.hooks.emplace_back(module.get(), module->register_forward_pre_hook([&running, &counter](Module&, const Values&) -> std::optional<Values> {
      running.push_back({counter.total(), 0});
      return std::nullopt;
    }));
    remover.hooks.emplace_back(module.get(), module->register_forward_hook(
        [&result, &counter, &running, path, leaf](Module& layer, const Values&, const Values& output) -> std::optional<Values> {
          const Frame frame = running.back();
          running.pop_back();
          const int64_t inclusive = counter.total() - frame.flops_at_start;
          const int64_t own = inclusive - frame.children_flops;
          if (!running.empty()) running.back().children_flops += inclusive;
          // A module of several outputs shows the first one's shape.
          const Shape shape = output.empty() ? Shape{} : output[0].shape();
          if (leaf || own > 0) result.layers.push_back({path, layer.describe(), shape, own_parameters(layer), own});
          return std::nullopt;
        }));
  }
  bool was_training = model.is_training();
  model.eval();
  {
    autograd::NoGradGuard no_grad;
    model(zeros(input_shape, {.dtype = dtype}));
  }
  model.train(was_training);
  result.ops = counter.by_op();
  result.flops = counter.total();
  result.parameters = model.parameter_count();
  result.trainable_parameters = model.parameter_count(true);
  return result;
}

std::string ModelSummary::to_string() const {
  size_t name_width = 5, description_width = 6;
  for (const LayerSummary& layer : layers) {
    name_width = std::max(name_width, layer.name.size());
    description_width = std::max(description_width, layer.description.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>18}  {:>12}  {:>15}\n", "layer", name_width, "module",
                                description_width, "output shape", "parameters", "FLOPs");
  for (const LayerSummary& layer : layers) {
    out += fmt::format("{:<{}}  {:<{}}  {:>18}  {:>12}  {:>15}\n", layer.name.empty() ? "(model)" : layer.name,
                       name_width, layer.description, description_width, shape_string(layer.output_shape),
                       text::with_commas(layer.parameters), text::with_commas(layer.flops));
  }
  size_t op_width = 2;
  for (const analysis::OpFlops& op : ops) op_width = std::max(op_width, op.op.size());
  out += fmt::format("\n{:<{}}  {:>6}  {:>15}  {:>6}\n", "op", op_width, "calls", "FLOPs", "share");
  for (const analysis::OpFlops& op : ops) {
    const double share = flops == 0 ? 0.0 : 100.0 * static_cast<double>(op.flops) / static_cast<double>(flops);
    out += fmt::format("{:<{}}  {:>6}  {:>15}  {:>5.1f}%\n", op.op, op_width, op.calls, text::with_commas(op.flops), share);
  }
  out += fmt::format("\ntotal: {} parameters ({} trainable), {} FLOPs per forward pass\n", text::with_commas(parameters),
                     text::with_commas(trainable_parameters), text::with_commas(flops));
  return out;
}

}  // namespace nabla::nn
