// Q33: weight initialisation schemes. Two measurements:
// 1. The forward signal through a deep stack at initialisation, for four schemes (all zeros, uniform ±0.1,
//    Xavier, He) and two activations (tanh, ReLU); biases 0:
//      x [N, width] ~ N(0, 1) = h₀,  h_l = f(h_{l−1} W_lᵀ + b_l) [N, width],  l = 1…depth (50)
//    and the standard deviation of every h_l.
// 2. Symmetry: a Fashion-MNIST MLP x [B, 784] → Linear 64 → ReLU → Linear 64 → ReLU → Linear 10, trained
//    with SGD from all-zero weights, from one constant, and from He initialisation; afterwards, how far
//    apart the hidden units of each layer are (their incoming weight rows).
#include <cmath>

#include "epoch_training.h"
#include "nabla/autograd.h"
#include "nabla/data/dataset.h"
#include "nabla/lab/lab.h"
#include "nabla/models/zoo.h"
#include "nabla/nabla.h"
#include "nabla/nn/init.h"
#include "nabla/nn/linear.h"

namespace nabla::lab {
namespace {

enum class Scheme { zeros, uniform, xavier, he, constant };
const std::vector<Scheme> kStackSchemes = {Scheme::zeros, Scheme::uniform, Scheme::xavier, Scheme::he};

std::string scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::zeros: return "zeros";
    case Scheme::uniform: return "uniform ±0.1";
    case Scheme::xavier: return "Xavier";
    case Scheme::he: return "He";
    case Scheme::constant: return "constant";
  }
  return "?";
}

// Weights by the scheme, biases 0. Xavier is Glorot's uniform form (gain 1); He is Kaiming normal for ReLU
// (variance 2 / fan_in); uniform ±0.1 ignores the layer's size; `constant` gives every weight the same value.
void initialise(nn::Linear& layer, Scheme scheme, double constant, Generator& generator) {
  switch (scheme) {
    case Scheme::zeros: nn::init::zeros_(layer.weight); break;
    case Scheme::uniform: nn::init::uniform_(layer.weight, -0.1, 0.1, &generator); break;
    case Scheme::xavier: nn::init::xavier_uniform_(layer.weight, 1.0, &generator); break;
    case Scheme::he:
      nn::init::kaiming_normal_(layer.weight, 0, nn::init::FanMode::fan_in, nn::init::Nonlinearity::relu, &generator);
      break;
    case Scheme::constant: nn::init::constant_(layer.weight, constant); break;
  }
  nn::init::zeros_(layer.bias);
}

// Standard deviation of h_1 … h_depth (over the batch and the units) for one scheme and activation.
std::vector<double> activation_stds(Scheme scheme, bool relu_activation, int64_t depth, int64_t width, int64_t batch,
                                    Generator& generator) {
  autograd::NoGradGuard no_grad;
  Tensor h = randn({batch, width}, {}, &generator);
  std::vector<double> stds;
  for (int64_t l = 0; l < depth; ++l) {
    nn::Linear layer(width, width);
    initialise(layer, scheme, 0, generator);
    Tensor z = layer(h);
    h = relu_activation ? relu(z) : tanh(z);
    stds.push_back(nabla::std(h).item());
  }
  return stds;
}

struct Symmetry {
  std::string label;
  std::vector<double> spread;  // per hidden layer: max over units of max |W_unit − W_first unit| ÷ max |W|
  std::vector<double> largest_weight;  // per hidden layer: max |W|
  double train_accuracy = 0;
};

std::vector<std::shared_ptr<nn::Linear>> linear_layers(const nn::ModulePtr& model) {
  std::vector<std::shared_ptr<nn::Linear>> layers;
  for (auto& [name, module] : model->named_modules()) {
    if (auto linear = std::dynamic_pointer_cast<nn::Linear>(module)) layers.push_back(linear);
  }
  return layers;
}

Symmetry train_from(Scheme scheme, double constant, const data::DataLoader& loader, int64_t epochs, double lr,
                    Generator& generator) {
  nn::ModulePtr model = models::mlp({.hidden = {64, 64}});
  std::vector<std::shared_ptr<nn::Linear>> layers = linear_layers(model);
  for (auto& layer : layers) {
    autograd::NoGradGuard no_grad;
    initialise(*layer, scheme, constant, generator);
  }
  auto optimizer = std::make_shared<optim::SGD>(model->parameters(), optim::SGDOptions{.lr = lr});
  auto loss = [](const Tensor& output, const Tensor& target) { return cross_entropy(output, target); };
  for (int64_t epoch = 0; epoch < epochs; ++epoch) train_epoch(*model, *optimizer, loader, epoch, loss);

  Symmetry result{scheme == Scheme::constant ? fmt::format("constant {:g}", constant) : scheme_name(scheme), {}, {}, 0};
  for (size_t l = 0; l + 1 < layers.size(); ++l) {  // the hidden layers; the output layer's units are the classes
    autograd::NoGradGuard no_grad;
    const Tensor& weight = layers[l]->weight;  // [units, inputs]
    const double largest = max(abs(weight)).item();
    const double spread = max(abs(weight - weight.narrow(0, 0, 1))).item();
    result.largest_weight.push_back(largest);
    result.spread.push_back(largest > 0 ? spread / largest : spread);
  }
  result.train_accuracy = evaluate_classifier(model, optimizer, loader).accuracy;
  return result;
}

void run(Context& ctx) {
  const auto depth = static_cast<int64_t>(ctx.parameter("depth", 50));
  const auto width = static_cast<int64_t>(ctx.parameter("width", 256));
  const auto batch = static_cast<int64_t>(ctx.parameter("batch", ctx.quick() ? 256 : 2048));
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 1000 : 10000));
  const auto epochs = static_cast<int64_t>(ctx.parameter("epochs", ctx.quick() ? 5 : 20));
  const double constant = ctx.parameter("constant", 0.01);
  NABLA_KNOB_CHECK(depth >= 2 && width >= 2 && batch >= 2 && train_examples >= 100 && train_examples < 60000 && epochs >= 1,
              "lab Q33: depth, width, batch ≥ 2, train_examples in [100, 60 000), epochs ≥ 1");

  // ---- 1. the forward signal through the stack
  std::map<std::pair<Scheme, bool>, std::vector<double>> stds;
  for (bool relu_activation : {false, true}) {
    for (Scheme scheme : kStackSchemes) {
      stds[{scheme, relu_activation}] = activation_stds(scheme, relu_activation, depth, width, batch, ctx.generator());
    }
  }
  ctx.note(fmt::format("{} layers of width {}, biases 0, a batch of {} N(0, 1) inputs; std of each layer's output",
                       depth, width, batch));
  ctx.note(fmt::format("width·Var(W) per layer: uniform ±0.1 gives {}·0.01/3 = {:.3f}, Xavier (in = out) 1, He 2",
                       width, static_cast<double>(width) * 0.01 / 3));
  std::vector<std::vector<std::string>> rows;
  const std::vector<int64_t> shown = {1, 2, 5, 10, 20, depth / 2, depth};
  for (bool relu_activation : {false, true}) {
    for (Scheme scheme : kStackSchemes) {
      std::vector<std::string> row = {relu_activation ? "ReLU" : "tanh", scheme_name(scheme)};
      for (int64_t layer : shown) row.push_back(fmt::format("{:.3g}", stds[{scheme, relu_activation}][static_cast<size_t>(layer - 1)]));
      rows.push_back(row);
    }
  }
  std::vector<std::string> header = {"activation", "initialisation"};
  for (int64_t layer : shown) header.push_back(fmt::format("std h_{}", layer));
  ctx.table("Standard deviation of the activations by layer", header, rows);
  for (bool relu_activation : {false, true}) {
    const std::string activation = relu_activation ? "ReLU" : "tanh";
    plot::Panel panel{fmt::format("{}: std of each layer's output at initialisation (zeros: 0, not drawable on log axes)",
                                  activation),
                      "layer l", "std of the layer's output h_l (log scale)", {}, true};
    for (Scheme scheme : kStackSchemes) {
      if (scheme == Scheme::zeros) continue;
      plot::Series series{scheme_name(scheme), {}, {}};
      const std::vector<double>& values = stds[{scheme, relu_activation}];
      for (size_t l = 0; l < values.size(); ++l) {
        if (values[l] <= 0) continue;  // a log axis cannot show an exact 0
        series.x.push_back(static_cast<double>(l + 1));
        series.y.push_back(values[l]);
      }
      panel.series.push_back(series);
    }
    ctx.line_plot(relu_activation ? "activation_std_relu.png" : "activation_std_tanh.png", panel);
  }
  auto last = [&](Scheme scheme, bool relu_activation) { return stds[{scheme, relu_activation}].back(); };
  auto first = [&](Scheme scheme, bool relu_activation) { return stds[{scheme, relu_activation}].front(); };
  ctx.figure(fmt::format("ReLU + He: std at layer {}", depth), last(Scheme::he, true));
  ctx.figure(fmt::format("ReLU + Xavier: std at layer {}", depth), last(Scheme::xavier, true));
  ctx.figure(fmt::format("tanh + Xavier: std at layer {}", depth), last(Scheme::xavier, false));
  ctx.figure(fmt::format("tanh + uniform ±0.1: std at layer {}", depth), last(Scheme::uniform, false));

  // Each ReLU layer multiplies the variance by width·Var(W)/2 (half of a symmetric pre-activation survives), so
  // the std gains sqrt(width·Var(W)/2) a layer: predicted from the initialiser's variance alone, and compared
  // with the geometric mean of the measured layer-to-layer ratios (layers 2…depth, whose inputs are ReLU outputs).
  const double fan = static_cast<double>(width);
  const std::vector<std::pair<Scheme, double>> variances = {{Scheme::uniform, 0.01 / 3}, {Scheme::xavier, 1 / fan},
                                                            {Scheme::he, 2 / fan}};
  double worst_gain_error = 0;
  std::vector<std::string> gain_texts;
  for (auto [scheme, variance] : variances) {
    const std::vector<double>& values = stds[{scheme, true}];
    const double measured = std::pow(values.back() / values.front(), 1.0 / static_cast<double>(depth - 1));
    const double predicted = std::sqrt(fan * variance / 2);
    worst_gain_error = std::max(worst_gain_error, std::abs(measured / predicted - 1));
    gain_texts.push_back(fmt::format("{} {:.4f} (predicted {:.4f})", scheme_name(scheme), measured, predicted));
  }
  ctx.claim({"with ReLU each layer multiplies the std by √(fan_in·Var(W)/2), within 5 %",
             "ReLU에서는 층마다 표준편차가 √(fan_in·Var(W)/2)배가 된다 (오차 5 % 이내)"},
            worst_gain_error < 0.05,
            format_text({"geometric-mean gain per layer: {}", "층당 배율의 기하평균: {}"}, fmt::format("{}", fmt::join(gain_texts, ", "))));
  const double he_ratio = last(Scheme::he, true) / first(Scheme::he, true);
  ctx.claim(format_text({"ReLU + He keeps the signal: std at layer {} within 10× of layer 1",
                         "ReLU + He는 신호를 유지한다: {}층의 표준편차가 1층의 10배 범위 안에 있다"},
                        depth),
            he_ratio > 0.1 && he_ratio < 10,
            format_text({"{:.3g} at layer {} vs {:.3g} at layer 1 (ratio {:.3g})", "{:.3g} ({}층), 1층 {:.3g} (비율 {:.3g})"}, last(Scheme::he, true), depth,
                        first(Scheme::he, true), he_ratio));
  ctx.claim(format_text({"ReLU + Xavier loses the signal: its std at layer {} is < 10⁻³ × He's",
                         "ReLU + Xavier는 신호를 잃는다: {}층의 표준편차가 He의 10⁻³배보다 작다"},
                        depth),
            last(Scheme::xavier, true) < 1e-3 * last(Scheme::he, true),
            format_text({"{:.3g} vs {:.3g}: Xavier's variance 1/fan_in is halved by every ReLU",
                         "{:.3g} 대 {:.3g}: Xavier의 분산 1/fan_in이 ReLU를 지날 때마다 절반이 된다"},
                        last(Scheme::xavier, true), last(Scheme::he, true)));
  ctx.claim(format_text({"uniform ±0.1 vanishes with ReLU: std at layer {} < 10⁻³ × layer 1",
                         "ReLU에서 uniform ±0.1은 신호가 사라진다: {}층의 표준편차가 1층의 10⁻³배보다 작다"},
                        depth),
            last(Scheme::uniform, true) < 1e-3 * first(Scheme::uniform, true),
            format_text({"{:.3g} at layer {} vs {:.3g} at layer 1", "{:.3g} ({}층), 1층 {:.3g}"}, last(Scheme::uniform, true), depth,
                        first(Scheme::uniform, true)));
  ctx.claim(format_text({"with tanh, Xavier keeps ≥ 3× the std of uniform ±0.1 at layer {}",
                         "tanh에서 Xavier는 {}층에서 uniform ±0.1보다 표준편차를 3배 이상 유지한다"},
                        depth),
            last(Scheme::xavier, false) >= 3 * last(Scheme::uniform, false),
            format_text({"{:.3g} (Xavier) vs {:.3g} (uniform ±0.1)", "{:.3g} (Xavier) 대 {:.3g} (uniform ±0.1)"}, last(Scheme::xavier, false),
                        last(Scheme::uniform, false)));

  // ---- 2. symmetry
  data::DatasetPtr train_set = fashion_sample(data::Split::train, train_examples, ctx.seed());
  data::DataLoader loader(train_set, {.batch_size = 50, .shuffle = true, .seed = ctx.seed(), .prefetch = 0});
  const double lr = 0.1;
  std::vector<Symmetry> runs;
  for (Scheme scheme : {Scheme::zeros, Scheme::constant, Scheme::he}) {
    runs.push_back(train_from(scheme, constant, loader, epochs, lr, ctx.generator()));
  }
  ctx.note(fmt::format("symmetry: 784-64-64-10 ReLU MLP, SGD lr {:g}, batches of 50, {} epochs ({} steps) on {} "
                       "Fashion-MNIST training images",
                       lr, epochs, epochs * loader.batches_per_epoch(), train_set->size()));
  std::vector<std::vector<std::string>> symmetry_rows;
  for (const Symmetry& result : runs) {
    symmetry_rows.push_back({result.label, fmt::format("{:.3g}", result.largest_weight[0]), fmt::format("{:.3g}", result.spread[0]),
                             fmt::format("{:.3g}", result.largest_weight[1]), fmt::format("{:.3g}", result.spread[1]),
                             fmt::format("{:.1f} %", 100 * result.train_accuracy)});
  }
  ctx.table("After training: how different the hidden units are",
            {"initialisation", "max |W₁|", "unit spread, layer 1", "max |W₂|", "unit spread, layer 2", "train accuracy"},
            symmetry_rows);
  ctx.note("unit spread = max over units of max |w_unit − w_first unit| ÷ max |W|: 0 means every unit of the layer "
           "has the same incoming weights, so the layer computes one feature 64 times");
  const Symmetry &zero = runs[0], &same = runs[1], &random = runs[2];
  ctx.figure("zero init: hidden-unit spread after training", std::max(zero.spread[0], zero.spread[1]));
  ctx.figure("He init: hidden-unit spread after training", std::min(random.spread[0], random.spread[1]));
  ctx.claim({"zero init: after training, every hidden layer's weights are still exactly 0 (the gradient never reaches them)",
             "0 초기화: 학습 후에도 모든 은닉층 가중치가 정확히 0이다 (기울기가 전혀 닿지 않는다)"},
            zero.largest_weight[0] == 0 && zero.largest_weight[1] == 0,
            format_text({"max |W₁| = {:g}, max |W₂| = {:g} after {} steps", "{2}스텝 후 max |W₁| = {0:g}, max |W₂| = {1:g}"}, zero.largest_weight[0], zero.largest_weight[1],
                        epochs * loader.batches_per_epoch()));
  const double same_spread = std::max(same.spread[0], same.spread[1]);
  const double random_spread = std::min(random.spread[0], random.spread[1]);
  ctx.claim({"constant init: the hidden units learn but stay identical (spread < 10⁻⁶ × He's)",
             "상수 초기화: 은닉 유닛은 학습되지만 서로 똑같이 남는다 (차이가 He의 10⁻⁶배 미만)"},
            same.largest_weight[0] != constant && same_spread < 1e-6 * random_spread,
            format_text({"spread {:.3g} (layer 1 max |W| moved from {:g} to {:.4g}) vs He {:.3g}",
                         "차이 {:.3g} (1층 max |W|가 {:g}에서 {:.4g}로 움직임), He는 {:.3g}"}, same_spread, constant,
                        same.largest_weight[0], random_spread));
  ctx.claim({"the symmetric nets train worse than He's", "대칭인 네트워크는 He 초기화보다 학습이 덜 된다"},
            std::max(zero.train_accuracy, same.train_accuracy) < random.train_accuracy,
            format_text({"train accuracy: zeros {:.1f} %, constant {:.1f} %, He {:.1f} %",
                         "학습 정확도: 0 초기화 {:.1f} %, 상수 {:.1f} %, He {:.1f} %"}, 100 * zero.train_accuracy,
                        100 * same.train_accuracy, 100 * random.train_accuracy));
}

const bool registered = register_experiment({
    .id = "Q33",
    .title = "Weight initialization schemes",
    .question = {"What weight initialisation schemes do you know, and why does initialisation matter?",
                 "가중치 초기화 방법에는 어떤 것들이 있고, 초기화가 왜 중요한가요?"},
    .answer = {"Each layer multiplies the variance of its input by about fan_in · Var(W) times what the activation "
               "keeps, so through 50 layers any factor other than 1 compounds into a signal that vanishes or explodes. "
               "A fixed range such as uniform ±0.1 ignores the layer size, and its factor (0.85 at width 256) shrinks "
               "the signal to almost nothing. Xavier (Glorot) sets Var(W) = 2 / (fan_in + fan_out), made for tanh: the "
               "signal still drifts down slowly (tanh squashes) but stays far above the fixed range's. He sets 2 / fan_in to make up for ReLU zeroing half of its inputs, and only He keeps a deep ReLU "
               "stack's activations at their scale. All-zero (or any constant) weights are the one choice that never "
               "works: every unit of a layer computes the same thing and gets the same gradient, so the units stay "
               "identical forever, and with zeros the hidden weights do not even move. Biases may start at 0; weights "
               "must be random to break the symmetry.",
               "층을 하나 지날 때마다 출력 분산은 대략 fan_in · Var(W)에 활성화 함수가 남기는 비율을 곱한 만큼이 되기 때문에, "
               "50층을 거치면 이 배율이 1에서 조금만 벗어나도 신호가 사라지거나 폭발합니다. uniform ±0.1처럼 범위를 고정하면 "
               "층 크기를 무시하게 되고, 폭 256에서는 배율이 0.85라 신호가 거의 없어집니다. Xavier(Glorot)는 Var(W) = "
               "2 / (fan_in + fan_out)으로 tanh용인데, tanh가 값을 눌러서 신호가 천천히 줄긴 하지만 고정 범위보다 훨씬 크게 "
               "유지됩니다. He는 ReLU가 입력의 절반을 0으로 만드는 것을 보상하려고 2 / fan_in을 "
               "써서 깊은 ReLU 네트워크에서도 활성화 크기를 유지합니다. 가중치를 전부 0(또는 같은 상수)으로 두면 절대 안 됩니다. "
               "한 층의 모든 유닛이 같은 값을 계산하고 같은 기울기를 받아서 영원히 똑같이 남고, 0이면 은닉층 가중치는 아예 "
               "움직이지도 않습니다. 편향은 0으로 시작해도 되지만 가중치는 대칭을 깨기 위해 랜덤이어야 합니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
