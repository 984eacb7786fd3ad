// Q22: L1 vs L2 regularization on one model, softmax regression on Fashion-MNIST pixels:
//   x [B, 1, 28, 28] → flatten [B, 784] → Linear 10 (weight W [10, 784], bias b [10]) → cross-entropy
// Minibatch SGD from the same initial weights, four ways (the penalty is on W only, never on b):
//   none:          loss = CE
//   L2:            loss = CE + λ₂/2 · Σ W²                       (gradient λ₂·W: shrinks big weights most)
//   L1 (gradient): loss = CE + λ₁ · Σ |W|                        (subgradient λ₁·sign W: jitters around 0)
//   L1 (proximal): SGD step on CE, then W ← sign W · max(|W| − lr·λ₁, 0)   (soft thresholding: exact zeros)
#include <algorithm>
#include <cmath>

#include "nabla/autograd.h"
#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"
#include "nabla/nn/linear.h"
#include "nabla/optim/optimizer.h"

namespace nabla::lab {
namespace {

enum class Penalty { none, l2, l1_gradient, l1_proximal };

std::string penalty_name(Penalty penalty) {
  switch (penalty) {
    case Penalty::none: return "none";
    case Penalty::l2: return "L2";
    case Penalty::l1_gradient: return "L1 (subgradient)";
    case Penalty::l1_proximal: return "L1 (proximal)";
  }
  throw Error("penalty_name: unknown penalty");
}

struct Settings {
  int64_t train_examples = 0, epochs = 0;
  double lr = 0, l1 = 0, l2 = 0, threshold = 0;
  uint64_t seed = 0;
};

struct Fitted {
  Penalty penalty = Penalty::none;
  Tensor weight;  // [10, 784], detached
  double test_accuracy = 0;
  double exact_zeros = 0, below_threshold = 0;  // fractions of the 7 840 weights
  double l1_norm = 0, l2_norm = 0;
};

double accuracy(nn::Linear& model, const data::Dataset& dataset) {
  autograd::NoGradGuard no_grad;
  std::vector<int64_t> all(static_cast<size_t>(dataset.size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  data::Batch batch = dataset.get_batch(all);
  return mean(eq(argmax(model(batch.inputs.flatten(1)), 1), batch.targets).to(DType::f64)).item();
}

Fitted fit(Penalty penalty, const Settings& settings, const data::DatasetPtr& train_set, const data::Dataset& test_set) {
  manual_seed(settings.seed);  // the same initial weights for every penalty
  nn::Linear model(28 * 28, 10);
  optim::SGD optimizer(model.parameters(), {.lr = settings.lr});
  data::DataLoader loader(train_set, {.batch_size = 100, .shuffle = true, .seed = settings.seed});
  for (int64_t epoch = 0; epoch < settings.epochs; ++epoch) {
    auto batches = loader.epoch(epoch);
    while (std::optional<data::Batch> batch = batches->next()) {
      Tensor loss = cross_entropy(model(batch->inputs.flatten(1)), batch->targets);
      if (penalty == Penalty::l2) loss = loss + settings.l2 / 2 * sum(model.weight * model.weight);
      if (penalty == Penalty::l1_gradient) loss = loss + settings.l1 * sum(abs(model.weight));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      if (penalty == Penalty::l1_proximal) {
        // The proximal step of lr·λ₁·|w|: shrink every weight toward 0 by lr·λ₁, and stop at 0.
        autograd::NoGradGuard no_grad;
        copy_(model.weight, sign(model.weight) * relu(abs(model.weight) - settings.lr * settings.l1));
      }
    }
  }
  Fitted fitted{penalty, model.weight.detach().clone()};
  fitted.test_accuracy = accuracy(model, test_set);
  Tensor magnitude = abs(fitted.weight).to(DType::f64);
  fitted.exact_zeros = mean(eq(magnitude, zeros({}, {.dtype = DType::f64})).to(DType::f64)).item();
  fitted.below_threshold = mean(lt(magnitude, full({}, settings.threshold, {.dtype = DType::f64})).to(DType::f64)).item();
  fitted.l1_norm = sum(magnitude).item();
  fitted.l2_norm = std::sqrt(sum(magnitude * magnitude).item());
  return fitted;
}

void run(Context& ctx) {
  Settings settings;
  settings.train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 5000 : 60000));
  settings.epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 6 : 20));
  settings.lr = ctx.parameter("lr", 0.1);
  settings.l1 = ctx.parameter("l1", 3e-3);
  settings.l2 = ctx.parameter("l2", 2e-2);
  settings.threshold = ctx.parameter("threshold", 1e-3);
  settings.seed = ctx.seed();
  NABLA_KNOB_CHECK(settings.train_examples >= 100 && settings.train_examples <= 60000 && settings.epochs >= 1 &&
                  settings.lr > 0 && settings.l1 >= 0 && settings.l2 >= 0 && settings.threshold > 0,
              "lab Q22: train_examples in [100, 60 000], epochs and lr positive, l1 and l2 ≥ 0, threshold > 0");

  auto all_train = data::fashion_mnist(data::Split::train);
  auto test_set = data::fashion_mnist(data::Split::test);
  Tensor order = randperm(all_train->size(), {.dtype = DType::i64}, &ctx.generator());
  std::vector<int64_t> chosen(order.data<int64_t>(), order.data<int64_t>() + settings.train_examples);
  auto train_set = std::make_shared<data::Subset>(all_train, chosen);
  ctx.note(fmt::format("softmax regression (7 840 weights) on {} training images, {} epochs of SGD (lr {:g}, batches of "
                       "100); λ₁ = {:g}, λ₂ = {:g}; 'small' means |w| < {:g}; accuracy on the {} test images",
                       settings.train_examples, settings.epochs, settings.lr, settings.l1, settings.l2,
                       settings.threshold, test_set->size()));

  std::vector<Fitted> fits;
  for (Penalty penalty : {Penalty::none, Penalty::l2, Penalty::l1_gradient, Penalty::l1_proximal}) {
    fits.push_back(fit(penalty, settings, train_set, *test_set));
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<plot::Series> histograms;
  for (const Fitted& fitted : fits) {
    rows.push_back({penalty_name(fitted.penalty), fmt::format("{:.1f} %", 100 * fitted.exact_zeros),
                    fmt::format("{:.1f} %", 100 * fitted.below_threshold), fmt::format("{:.2f}", fitted.l1_norm),
                    fmt::format("{:.3f}", fitted.l2_norm), fmt::format("{:.2f} %", 100 * fitted.test_accuracy)});
    if (fitted.penalty != Penalty::l1_gradient) histograms.push_back({penalty_name(fitted.penalty), fitted.weight.to_vector(), {}});
  }
  ctx.table("Weights after training (W only, 7 840 values)",
            {"penalty", "exactly 0", fmt::format("|w| < {:g}", settings.threshold), "‖W‖₁", "‖W‖₂", "test accuracy"}, rows);
  ctx.histogram("weights.png", "Weight values", "weight value (first layer)", histograms, 60);
  // Each class's 784 weights as a 28×28 picture, 0 as mid-grey: top row L2, bottom row L1 (proximal).
  const Fitted& l2 = fits[1];
  const Fitted& l1_gradient = fits[2];
  const Fitted& l1 = fits[3];
  const Fitted& none = fits[0];
  Tensor pictures = cat({l2.weight / max(abs(l2.weight)).item(), l1.weight / max(abs(l1.weight)).item()}, 0);
  ctx.image_grid("weight_images.png", "Class weights as images: top L2, bottom L1 (grey = 0)",
                 (pictures.reshape({20, 28, 28}) + 1.0) / 2.0, 10);

  ctx.figure("exact zeros, L1 proximal", l1.exact_zeros);
  ctx.figure("exact zeros, L2", l2.exact_zeros);
  ctx.figure(fmt::format("|w| < {:g}, L1 subgradient", settings.threshold), l1_gradient.below_threshold);
  ctx.figure(fmt::format("|w| < {:g}, L2", settings.threshold), l2.below_threshold);
  ctx.figure("test accuracy, no penalty", none.test_accuracy);
  ctx.figure("test accuracy, L2", l2.test_accuracy);
  ctx.figure("test accuracy, L1 proximal", l1.test_accuracy);

  ctx.claim(
      {"the proximal L1 step makes many weights exactly 0 (≥ 20 %), L2 makes none",
       "근접(proximal) L1 스텝은 많은 가중치를 정확히 0으로 만들고 (20 % 이상), L2는 하나도 만들지 않는다"},
      l1.exact_zeros >= 0.2 && l2.exact_zeros == 0,
      format_text({"L1 proximal {:.1f} % exactly 0, L2 {:.2f} %", "정확히 0인 비율: L1 근접 {:.1f} %, L2 {:.2f} %"},
                  100 * l1.exact_zeros, 100 * l2.exact_zeros));
  ctx.claim(format_text({"weights below {:g}: L1 (subgradient) has ≥ 3× the share of L2",
                         "{:g} 미만인 가중치: L1 (서브그래디언트)의 비율이 L2의 3배 이상이다"},
                        settings.threshold),
            l1_gradient.below_threshold >= 3 * l2.below_threshold,
            format_text({"{:.1f} % vs {:.1f} %", "{:.1f} % 대 {:.1f} %"}, 100 * l1_gradient.below_threshold,
                        100 * l2.below_threshold));
  ctx.claim({"the subgradient L1 step leaves (almost) no exact zeros: sparsity needs the proximal step",
             "서브그래디언트 L1 스텝은 정확히 0인 가중치를 (거의) 남기지 않는다: 희소성에는 근접 스텝이 필요하다"},
            l1_gradient.exact_zeros < l1.exact_zeros / 10,
            format_text({"{:.2f} % exact zeros by subgradient vs {:.1f} % by the proximal step",
                         "정확히 0인 비율: 서브그래디언트 {:.2f} %, 근접 스텝 {:.1f} %"},
                        100 * l1_gradient.exact_zeros, 100 * l1.exact_zeros));
  ctx.claim({"each penalty shrinks its own norm: ‖W‖₂ under L2 and ‖W‖₁ under L1 are below the unpenalised ones",
             "각 페널티는 자기 노름을 줄인다: L2에서의 ‖W‖₂와 L1에서의 ‖W‖₁이 페널티가 없을 때보다 작다"},
            l2.l2_norm < none.l2_norm && l1.l1_norm < none.l1_norm,
            format_text({"‖W‖₂ {:.3f} (L2) vs {:.3f}; ‖W‖₁ {:.2f} (L1) vs {:.2f}",
                         "‖W‖₂ {:.3f} (L2) 대 {:.3f}; ‖W‖₁ {:.2f} (L1) 대 {:.2f}"},
                        l2.l2_norm, none.l2_norm, l1.l1_norm, none.l1_norm));
  // Both penalties are strong enough here to cost accuracy (a linear model hardly overfits thousands of images); the
  // comparison that matters is between them, at the sparsity L1 buys.
  ctx.claim(
      {"sparsity is cheap next to L2: L1 (proximal) test accuracy within 3 points of L2's",
       "희소성의 대가는 L2에 비해 작다: L1 (근접)의 테스트 정확도가 L2와 3 %p 이내다"},
      l1.test_accuracy >= l2.test_accuracy - 0.03,
      format_text({"{:.2f} % (L1, {:.0f} % of weights exactly 0) vs {:.2f} % (L2); {:.2f} % without a penalty",
                   "{:.2f} % (L1, 가중치의 {:.0f} %가 정확히 0) 대 {:.2f} % (L2); 페널티 없이 {:.2f} %"},
                  100 * l1.test_accuracy, 100 * l1.exact_zeros, 100 * l2.test_accuracy, 100 * none.test_accuracy));
}

const bool registered = register_experiment({
    .id = "Q22",
    .title = "L1 and L2 regularization",
    .question = {"What are L1 and L2 regularization, and how do they differ?",
                 "L1 정규화와 L2 정규화가 무엇이고, 어떻게 다른가요?"},
    .answer = {"Both add a penalty on the weights to the loss: L1 adds λ·Σ|w|, L2 adds λ/2·Σw² (for plain SGD the same as "
               "weight decay; for Adam it is not, which is why AdamW exists). L2's pull is proportional to the weight, so "
               "big weights shrink fast and small ones hardly at all: the weights become small and spread out but almost "
               "never exactly zero. L1 pulls every weight toward zero by the same amount, so weights whose data gradient "
               "is weaker than λ end at zero: L1 gives sparse models and acts as feature selection. The zeros are exact "
               "only with a proximal (soft-thresholding) step; plain subgradient descent leaves them jittering around "
               "zero. In Bayesian terms L2 is a Gaussian prior and L1 a Laplace prior on the weights.",
               "둘 다 손실에 가중치 페널티를 더합니다. L1은 λ·Σ|w|, L2는 λ/2·Σw²를 더하는데, 일반 SGD에서는 L2가 가중치 "
               "감쇠와 같지만 Adam에서는 달라서 AdamW가 따로 있습니다. L2는 가중치 크기에 비례해서 당기므로 큰 가중치는 "
               "빨리 줄고 작은 가중치는 거의 줄지 않아, 가중치가 작고 고르게 퍼지지만 정확히 0이 되는 경우는 거의 없습니다. "
               "L1은 모든 가중치를 같은 크기로 0 쪽으로 당기므로 데이터 쪽 기울기가 λ보다 약한 가중치는 0이 되어, 희소한 "
               "모델을 만들고 특징 선택 역할을 합니다. 다만 정확한 0은 근위(소프트 임계값) 스텝을 쓸 때만 나오고, 단순한 "
               "서브그래디언트 하강은 0 근처에서 흔들리기만 합니다. 베이지안 관점에서 L2는 가우시안 사전분포, L1은 라플라스 "
               "사전분포에 해당합니다."},
    .topic = "C",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
