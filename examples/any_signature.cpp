// A module whose forward takes two tensors, used as any other: put first in a Sequential (through
// AnyModule), hooked, and trained for a few steps; its data prepared with indexing and in-place updates.
// The program exits 0 only if the loss falls, every hook fired and the indexed writes landed. Built and
// run by ctest with the rest.
#include <cstdio>

#include "nabla/nabla.h"

using namespace nabla;
using indexing::Ellipsis, indexing::None, indexing::Slice;

// y = linear(x) · sigmoid(gate(context)): the context decides how much of each feature passes.
class GatedLinear : public nn::TypedModule<GatedLinear> {
 public:
  GatedLinear(int64_t in_features, int64_t out_features, int64_t context_features) : TypedModule("GatedLinear") {
    linear = register_module("linear", nn::make<nn::Linear>(in_features, out_features));
    gate = register_module("gate", nn::make<nn::Linear>(context_features, out_features));
  }
  Tensor forward(const Tensor& x, const Tensor& context) { return (*linear)(x) * sigmoid((*gate)(context)); }

  std::shared_ptr<nn::Linear> linear, gate;
};

int main() {
  try {
    manual_seed(0);
    Generator generator(0);
    // Targets: the sum of the features the context switches on (context > 0).
    Tensor x = randn({128, 4}, {}, &generator), context = randn({128, 4}, {}, &generator);
    // In place: standardise each feature of x; switch context feature 0 off for the first half of the batch.
    const void* storage = x.raw_data();
    x -= x.mean(0, true);
    x /= x.std(0, 1, true);
    context.index_put_({Slice(0, 64), 0}, -1.0);
    Tensor target = (x * (context > 0.0).to(DType::f32)).sum(1, true);
    // Indexing returns views of the same storage: the written column, and the batch with a new axis.
    Tensor switched_off = context.index({Slice(None, 64), 0});
    Tensor batch_first = x.index({None, Ellipsis});
    const bool indexing_works = x.raw_data() == storage && switched_off.max().item() == -1.0 &&
                                batch_first.shape() == Shape{1, 128, 4} && batch_first.storage() == x.storage();

    auto gated = std::make_shared<GatedLinear>(4, 16, 4);
    // The two-input module goes first; every later child takes the Tensor its predecessor returns.
    nn::Sequential model({gated, nn::make<nn::ReLU>(), nn::make<nn::Linear>(16, 1)});

    int forward_calls = 0, backward_calls = 0;
    gated->register_forward_hook([&](nn::Module&, const nn::Values& inputs, const nn::Values& output) {
      forward_calls += inputs.size() == 2 && output.size() == 1;
    });
    gated->register_full_backward_hook([&](nn::Module&, const nn::Values& grad_outputs) {
      backward_calls += grad_outputs[0].shape() == Shape{128, 16};
    });

    optim::Adam optimizer(model.parameters(), {.lr = 0.02});
    double first = 0, last = 0;
    const int steps = 40;
    for (int step = 0; step < steps; ++step) {
      optimizer.zero_grad();
      Tensor loss = functional::mse_loss(model(x, context), target);
      loss.backward();
      optimizer.step();
      if (step == 0) first = loss.item();
      last = loss.item();
    }
    std::printf("loss %.4f -> %.4f over %d steps; hooks fired %d forward, %d backward; indexing and in-place "
                "writes %s\n", first, last, steps, forward_calls, backward_calls, indexing_works ? "landed" : "FAILED");
    return last < 0.5 * first && forward_calls == steps && backward_calls == steps && indexing_works ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
