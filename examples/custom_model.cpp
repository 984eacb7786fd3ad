// A program of your own on nabla: define a model as a Module, train it with the Trainer on synthetic data,
// save it, load it into a fresh model, and check that both predict the same. Built by CI with the rest.
#include <cstdio>
#include <filesystem>

#include "nabla/data/loader.h"
#include "nabla/data/synthetic.h"
#include "nabla/nabla.h"
#include "nabla/nn/linear.h"
#include "nabla/train/trainer.h"

using namespace nabla;

// Two hidden layers with a skip connection: forward is ordinary C++.
class SpiralNet : public nn::Module {
 public:
  SpiralNet() : Module("SpiralNet") {
    input = register_module("input", std::make_shared<nn::Linear>(2, 64));
    hidden = register_module("hidden", std::make_shared<nn::Linear>(64, 64));
    output = register_module("output", std::make_shared<nn::Linear>(64, 2));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = tanh((*input)(x));
    h = h + tanh((*hidden)(h));  // residual
    return (*output)(h);
  }
  std::shared_ptr<nn::Linear> input, hidden, output;
};

int main() {
  try {
    manual_seed(0);
    Generator generator(0);
    data::Labeled spirals = data::two_spirals(300, 0.02, generator);
    auto dataset = std::make_shared<data::TensorDataset>(spirals.inputs, spirals.targets);
    data::DataLoader loader(dataset, {.batch_size = 60, .shuffle = true, .seed = 1});

    auto model = std::make_shared<SpiralNet>();
    auto optimizer = std::make_shared<optim::Adam>(model->parameters(), optim::AdamOptions{.lr = 0.01});
    auto loss = [](const Tensor& logits, const Tensor& target) { return cross_entropy(logits, target); };
    train::Trainer trainer(model, optimizer, loss, {.epochs = 60, .progress = false});
    trainer.fit(loader);
    train::Evaluation result = trainer.evaluate(loader);
    std::printf("training accuracy %.1f%%\n", 100 * result.accuracy);

    std::string path = (std::filesystem::temp_directory_path() / "spiral_net.safetensors").string();
    save_safetensors(path, model->state_dict());
    auto restored = std::make_shared<SpiralNet>();
    restored->load_state_dict(load_safetensors(path));
    std::filesystem::remove(path);
    autograd::NoGradGuard no_grad;
    bool same = (*model)(spirals.inputs).to_vector() == (*restored)(spirals.inputs).to_vector();
    std::printf("restored model predicts the same: %s\n", same ? "yes" : "no");
    return result.accuracy > 0.9 && same ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
}
