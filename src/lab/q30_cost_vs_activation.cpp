// Q30: cost function vs activation function. Every loss and activation of the framework's catalogue is
// gradient-checked here in float64 (autograd against central differences, nabla/gradcheck.h); the
// activations and their autograd derivatives are drawn; and one pairing shows why the two are chosen
// together: after a sigmoid, cross-entropy's gradient is σ(z) − y while squared error's carries σ'(z).
#include <cmath>

#include "nabla/gradcheck.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

constexpr double kLeakySlope = 0.1;  // larger than the default 0.01 so that the plot shows the slope

struct Check {
  std::string kind, name;
  GradcheckFunction function;
  std::vector<Tensor> inputs;
};

struct Catalogue {
  std::vector<Check> losses, activations;
};

Catalogue catalogue(Generator& generator, int64_t rows) {
  const int64_t columns = 5;
  auto normal = [&](double scale) {
    return (randn({rows, columns}, {.dtype = DType::f64}, &generator) * scale).requires_grad_();
  };
  auto uniform = [&](double low, double high, bool requires_grad) {
    Tensor x = rand({rows, columns}, {.dtype = DType::f64}, &generator) * (high - low) + low;
    return requires_grad ? x.requires_grad_() : x;
  };
  const Tensor classes = randint(0, columns, {rows}, {.dtype = DType::i64}, &generator);
  using functional::CrossEntropyOptions;
  Catalogue result;
  result.losses = {
      {"loss", "MSE", [](const auto& v) { return functional::mse_loss(v[0], v[1]); }, {normal(1), normal(1)}},
      {"loss", "MAE (L1)", [](const auto& v) { return functional::l1_loss(v[0], v[1]); }, {normal(1), normal(1)}},
      // inputs of scale 2 put residuals on both sides of δ = 1 (quadratic and linear pieces)
      {"loss", "Huber (δ = 1)", [](const auto& v) { return functional::huber_loss(v[0], v[1]); }, {normal(2), normal(1)}},
      {"loss", "cross-entropy",
       [classes](const auto& v) { return functional::cross_entropy(v[0], classes, CrossEntropyOptions{}); },
       {normal(2)}},
      {"loss", "BCE (on probabilities)",
       [](const auto& v) { return functional::binary_cross_entropy(v[0], v[1]); },
       {uniform(0.05, 0.95, true), uniform(0, 1, false)}},
      {"loss", "BCE with logits",
       [](const auto& v) { return functional::binary_cross_entropy_with_logits(v[0], v[1]); },
       {normal(2), uniform(0, 1, false)}},
      {"loss", "NLL (on log-probabilities)",
       [classes](const auto& v) { return functional::nll_loss(log_softmax(v[0], 1), classes); }, {normal(2)}},
  };
  result.activations = {
      {"activation", "ReLU", [](const auto& v) { return relu(v[0]); }, {normal(1)}},
      {"activation", fmt::format("LeakyReLU ({:g})", kLeakySlope),
       [](const auto& v) { return leaky_relu(v[0], kLeakySlope); }, {normal(1)}},
      {"activation", "GELU", [](const auto& v) { return gelu(v[0]); }, {normal(2)}},
      {"activation", "GELU (tanh)", [](const auto& v) { return gelu(v[0], GeluApproximation::tanh); }, {normal(2)}},
      {"activation", "SiLU", [](const auto& v) { return silu(v[0]); }, {normal(2)}},
      {"activation", "tanh", [](const auto& v) { return tanh(v[0]); }, {normal(2)}},
      {"activation", "sigmoid", [](const auto& v) { return sigmoid(v[0]); }, {normal(2)}},
      {"activation", "softmax (over rows)", [](const auto& v) { return softmax(v[0], 1); }, {normal(2)}},
      {"activation", "log-softmax", [](const auto& v) { return log_softmax(v[0], 1); }, {normal(2)}},
  };
  return result;
}

// Runs every check, adds its table rows; returns how many passed.
int check_all(const std::vector<Check>& checks, const GradcheckOptions& options,
              std::vector<std::vector<std::string>>& rows, double& largest_error) {
  int passed = 0;
  for (const Check& check : checks) {
    int64_t elements = 0;
    for (const Tensor& input : check.inputs) elements += input.requires_grad() ? input.numel() : 0;
    const GradcheckResult result = gradcheck(check.function, check.inputs, options);
    // Random inputs miss the kinks (ReLU's 0, MAE's x = y) almost surely, so all elements must be compared.
    const bool ok = result.ok && result.checked == elements;
    passed += ok;
    largest_error = std::max(largest_error, result.max_error);
    rows.push_back({check.kind, check.name, std::to_string(result.checked), std::to_string(result.skipped),
                    fmt::format("{:.2e}", result.max_error), ok ? "ok" : "FAIL " + result.message});
  }
  return passed;
}

// Activations and their autograd derivatives on a grid of [−4, 4].
void draw_activations(Context& ctx) {
  const std::vector<std::pair<std::string, Tensor (*)(const Tensor&)>> functions = {
      {"ReLU", [](const Tensor& x) { return relu(x); }},
      {fmt::format("LeakyReLU ({:g})", kLeakySlope), [](const Tensor& x) { return leaky_relu(x, kLeakySlope); }},
      {"GELU", [](const Tensor& x) { return gelu(x); }},
      {"SiLU", [](const Tensor& x) { return silu(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
  };
  plot::Panel values{"Activation functions", "pre-activation z", "activation f(z)", {}, false};
  plot::Panel slopes{"Their derivatives, by autograd", "pre-activation z", "derivative f'(z)", {}, false};
  for (const auto& [name, function] : functions) {
    Tensor x = linspace(-4, 4, 81, {.dtype = DType::f64}).requires_grad_();
    const Tensor y = function(x);
    sum(y).backward();
    const std::vector<double> grid = x.detach().to_vector();
    values.series.push_back({name, grid, y.detach().to_vector()});
    slopes.series.push_back({name, grid, x.grad().to_vector()});
  }
  ctx.line_plot("activations.png", values);
  ctx.line_plot("derivatives.png", slopes);
}

// dL/dz for L = loss(σ(z), 1) on a grid of z, by autograd.
std::vector<double> gradient_through_sigmoid(const Tensor& z, bool cross_entropy) {
  Tensor input = z.detach().clone().requires_grad_();
  const Tensor probability = sigmoid(input), target = ones_like(z);
  const Tensor loss = cross_entropy ? functional::binary_cross_entropy(probability, target, {}, Reduction::sum)
                                    : functional::mse_loss(probability, target, Reduction::sum);
  loss.backward();
  return input.grad().to_vector();
}

void pairing(Context& ctx) {
  // The premise: a confident mistake, a logit far on the wrong side. The negative test moves it close to 0,
  // where σ' is not small and squared error's gradient no longer stalls.
  const double mistake = ctx.parameter("mistake_logit", -10);
  NABLA_KNOB_CHECK(mistake < 4, "lab Q30: mistake_logit must be below 4, the grid's other end");
  const Tensor z = linspace(mistake, 4, 57, {.dtype = DType::f64});
  const std::vector<double> with_cross_entropy = gradient_through_sigmoid(z, true);
  const std::vector<double> with_squared_error = gradient_through_sigmoid(z, false);
  const std::vector<double> grid = z.to_vector(), sigma = sigmoid(z).to_vector();
  double formula_error = 0;
  std::vector<double> cross_entropy_size, squared_error_size;
  for (size_t i = 0; i < grid.size(); ++i) {
    formula_error = std::max(formula_error, std::abs(with_cross_entropy[i] - (sigma[i] - 1)));
    cross_entropy_size.push_back(std::abs(with_cross_entropy[i]));
    squared_error_size.push_back(std::abs(with_squared_error[i]));
  }
  ctx.line_plot("loss_gradients.png", {"|dL/dz| for a sigmoid output σ(z) with target 1", "logit z", "|dL/dz|",
                                       {{"cross-entropy", grid, cross_entropy_size},
                                        {"squared error", grid, squared_error_size}},
                                       true});
  // The first grid point is the confidently wrong prediction.
  const double ratio = cross_entropy_size.front() / squared_error_size.front();
  ctx.figure(fmt::format("confidently wrong (z = {:g}): cross-entropy ÷ squared-error gradient", mistake), ratio, "×");
  ctx.claim({"after a sigmoid, cross-entropy's gradient is σ(z) − y",
             "시그모이드 뒤에서 교차 엔트로피의 기울기는 σ(z) − y다"},
            formula_error < 1e-12,
            format_text({"largest |dL/dz − (σ(z) − 1)| over {} logits in [{:g}, 4]: {:.3g}",
                         "[{1:g}, 4]의 로짓 {0}개에서 |dL/dz − (σ(z) − 1)|의 최댓값: {2:.3g}"},
                        grid.size(), mistake, formula_error));
  ctx.claim({"squared error after a sigmoid stalls on confident mistakes",
             "시그모이드 뒤의 제곱 오차는 확신에 찬 오답에서 학습이 멈춘다"},
            ratio > 1000,
            format_text({"at z = {:g} with target 1: |dL/dz| = {:.4g} with cross-entropy vs {:.4g} with squared error "
                         "(σ' = {:.3g} multiplies the latter)",
                         "z = {:g}, 목표 1에서: |dL/dz| = 교차 엔트로피 {:.4g} 대 제곱 오차 {:.4g} (뒤쪽에는 σ' = "
                         "{:.3g}가 곱해진다)"},
                        mistake, cross_entropy_size.front(), squared_error_size.front(),
                        sigma.front() * (1 - sigma.front())));
}

void run(Context& ctx) {
  const double step = ctx.parameter("finite_difference_step", 1e-6);
  const int64_t rows = ctx.quick() ? 4 : 64;
  const Catalogue checks = catalogue(ctx.generator(), rows);
  const GradcheckOptions options{.eps = step, .seed = ctx.seed()};
  std::vector<std::vector<std::string>> table;
  double loss_error = 0, activation_error = 0;
  const int losses_passed = check_all(checks.losses, options, table, loss_error);
  const int activations_passed = check_all(checks.activations, options, table, activation_error);
  ctx.table(fmt::format("Gradient check in float64: autograd vs central differences (step {:g}), inputs [{}, 5]", step, rows),
            {"kind", "function", "elements checked", "skipped (kinks)", "largest error", "verdict"}, table);
  ctx.figure("largest gradient-check error, losses", loss_error);
  ctx.figure("largest gradient-check error, activations", activation_error);
  ctx.claim({"every loss passes a float64 gradient check", "모든 손실 함수가 float64 기울기 검사를 통과한다"},
            losses_passed == static_cast<int>(checks.losses.size()),
            format_text({"{} of {} losses; largest |autograd − finite difference| {:.2e}",
                         "손실 함수 {1}개 중 {0}개; |autograd − 유한 차분|의 최댓값 {2:.2e}"},
                        losses_passed, checks.losses.size(), loss_error));
  ctx.claim({"every activation passes a float64 gradient check", "모든 활성화 함수가 float64 기울기 검사를 통과한다"},
            activations_passed == static_cast<int>(checks.activations.size()),
            format_text({"{} of {} activations; largest |autograd − finite difference| {:.2e}",
                         "활성화 함수 {1}개 중 {0}개; |autograd − 유한 차분|의 최댓값 {2:.2e}"},
                        activations_passed, checks.activations.size(), activation_error));
  draw_activations(ctx);
  pairing(ctx);
}

const bool registered = register_experiment({
    .id = "Q30",
    .title = "Cost function vs activation function",
    .question = {"What is the difference between a cost (loss) function and an activation function?",
                 "비용 함수(손실 함수)와 활성화 함수는 어떻게 다른가요?"},
    .answer = {"An activation function is part of the model: applied inside each layer (ReLU, GELU, tanh …) it makes the "
               "network non-linear, and at the output (sigmoid, softmax) it shapes predictions into the right range. A "
               "cost function is not part of the model: it turns predictions and targets into one number that training "
               "minimises (MSE, MAE, Huber for regression; cross-entropy, BCE, NLL for classification). Both must be "
               "differentiable (almost everywhere) because backpropagation passes through them. They are chosen as "
               "a pair: with a sigmoid or softmax output, cross-entropy's gradient is simply p − y, whereas squared "
               "error keeps the factor σ'(z) and all but stops learning from confidently wrong predictions.",
               "활성화 함수는 모델의 일부입니다. 각 층 안에서(ReLU, GELU, tanh 등) 네트워크를 비선형으로 만들고, 출력층에서는"
               "(시그모이드, 소프트맥스) 예측값을 알맞은 범위로 바꿉니다. 비용 함수는 모델의 일부가 아니라, 예측과 정답을 "
               "학습이 최소화할 숫자 하나로 바꾸는 함수입니다(회귀는 MSE, MAE, Huber, 분류는 크로스엔트로피, BCE, NLL). "
               "역전파가 둘 다 통과하므로 둘 다 (거의 모든 점에서) 미분 가능해야 합니다. 그리고 둘은 짝지어 고릅니다. "
               "시그모이드나 소프트맥스 출력에 크로스엔트로피를 쓰면 기울기가 그냥 p − y가 되지만, 제곱 오차를 쓰면 σ'(z)가 "
               "곱해져서 자신 있게 틀린 예측에서는 거의 학습이 되지 않습니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
