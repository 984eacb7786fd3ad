// Q15: backpropagation by hand on a 2-2-1 network, checked against autograd and finite differences.
//   x [N, 2] → z = x W1ᵀ + b1 [N, 2] → h = σ(z) → y = h W2ᵀ + b2 [N, 1] → L = mean((y − t)²)
// The hand version is plain C++ loops over doubles, one line per chain-rule step.
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

struct Network {
  std::vector<double> W1, b1, W2, b2;  // [2, 2] row-major (out, in), [2], [1, 2], [1]
};

struct Example {
  std::vector<double> x, t;  // [N, 2], [N]
  int64_t size() const { return static_cast<int64_t>(t.size()); }
};

struct HandPass {
  std::vector<double> z, h, y;  // [N, 2], [N, 2], [N]
  double loss = 0;
  Network gradient;             // dL/d each parameter
};

double sigmoid_of(double v) { return 1 / (1 + std::exp(-v)); }

HandPass by_hand(const Network& net, const Example& data) {
  const int64_t count = data.size();
  const auto mean_factor = 1.0 / static_cast<double>(count);
  HandPass pass;
  pass.z.resize(2 * count), pass.h.resize(2 * count), pass.y.resize(count);
  for (int64_t sample = 0; sample < count; ++sample) {
    const double* x = &data.x[2 * sample];
    for (int unit = 0; unit < 2; ++unit) {
      pass.z[2 * sample + unit] = net.W1[2 * unit] * x[0] + net.W1[2 * unit + 1] * x[1] + net.b1[unit];
      pass.h[2 * sample + unit] = sigmoid_of(pass.z[2 * sample + unit]);
    }
    pass.y[sample] = net.W2[0] * pass.h[2 * sample] + net.W2[1] * pass.h[2 * sample + 1] + net.b2[0];
    const double error = pass.y[sample] - data.t[sample];
    pass.loss += error * error * mean_factor;
  }
  Network& gradient = pass.gradient;
  gradient = {{0, 0, 0, 0}, {0, 0}, {0, 0}, {0}};
  for (int64_t sample = 0; sample < count; ++sample) {
    const double* x = &data.x[2 * sample];
    const double dy = 2 * (pass.y[sample] - data.t[sample]) * mean_factor;  // the square's 2, the mean's 1/N
    gradient.b2[0] += dy;
    for (int unit = 0; unit < 2; ++unit) {
      const double h = pass.h[2 * sample + unit];
      gradient.W2[unit] += dy * h;                        // y = Σ W2ᵤ hᵤ + b2
      const double dz = dy * net.W2[unit] * h * (1 - h);  // dL/dh = dy·W2ᵤ, and σ'(z) = σ(z)(1 − σ(z))
      gradient.b1[unit] += dz;                            // z = W1 x + b1
      gradient.W1[2 * unit] += dz * x[0];
      gradient.W1[2 * unit + 1] += dz * x[1];
    }
  }
  return pass;
}

Tensor f64(const std::vector<double>& values, const Shape& shape, bool requires_grad = false) {
  return from_vector(values, shape, {.dtype = DType::f64, .requires_grad = requires_grad});
}

Tensor forward(const std::vector<Tensor>& p, const Tensor& x) {  // p = W1, b1, W2, b2
  return matmul(sigmoid(matmul(x, p[0].t()) + p[1]), p[2].t()) + p[3];
}

Tensor mse(const Tensor& y, const Tensor& t) { return mean(pow(y - t, 2)); }

// Autograd's gradients of the same loss, and the largest difference from the hand ones.
double largest_difference(const Network& net, const Example& data, const Network& hand, double* autograd_loss) {
  std::vector<Tensor> p = {f64(net.W1, {2, 2}, true), f64(net.b1, {2}, true), f64(net.W2, {1, 2}, true),
                           f64(net.b2, {1}, true)};
  Tensor loss = mse(forward(p, f64(data.x, {data.size(), 2})), f64(data.t, {data.size(), 1}));
  loss.backward();
  *autograd_loss = loss.item();
  const std::vector<const std::vector<double>*> by_hand = {&hand.W1, &hand.b1, &hand.W2, &hand.b2};
  double largest = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    std::vector<double> automatic = p[i].grad().to_vector();
    for (size_t k = 0; k < automatic.size(); ++k) largest = std::max(largest, std::abs(automatic[k] - (*by_hand[i])[k]));
  }
  return largest;
}

std::string numbers(const std::vector<double>& values) {
  std::vector<std::string> texts;
  for (double value : values) texts.push_back(fmt::format("{:.6f}", value));
  return fmt::format("{}", fmt::join(texts, ", "));
}

void run(Context& ctx) {
  const double gradient_error = ctx.parameter("gradient_error", 0.0);  // added to the hand dL/dW1[0,0]
  const double step = ctx.parameter("finite_difference_step", 1e-6);
  Generator& generator = ctx.generator();

  // 1. The worked example: one input, numbers small enough to follow on paper.
  const Network net{{0.15, -0.20, 0.25, 0.30}, {0.10, -0.10}, {0.40, -0.50}, {0.20}};
  const Example one{{1.0, 0.5}, {1.0}};
  HandPass pass = by_hand(net, one);
  pass.gradient.W1[0] += gradient_error;
  ctx.table("Forward pass by hand (x = [1, 0.5], target t = 1)", {"quantity", "formula", "value"},
            {{"z", "W1 x + b1", numbers(pass.z)},
             {"h", "σ(z)", numbers(pass.h)},
             {"y", "W2 h + b2", numbers(pass.y)},
             {"L", "(y − t)²", fmt::format("{:.6f}", pass.loss)}});
  ctx.table("Backward pass by hand (chain rule, output to input)", {"gradient", "formula", "value"},
            {{"dL/dy", "2 (y − t)", fmt::format("{:.6f}", 2 * (pass.y[0] - 1.0))},
             {"dL/dW2", "dL/dy · h", numbers(pass.gradient.W2)},
             {"dL/db2", "dL/dy", numbers(pass.gradient.b2)},
             {"dL/dz", "dL/dy · W2 ⊙ h(1 − h)", numbers(pass.gradient.b1)},
             {"dL/dW1", "dL/dz · xᵀ", numbers(pass.gradient.W1)},
             {"dL/db1", "dL/dz", numbers(pass.gradient.b1)}});
  double autograd_loss = 0;
  double worked_difference = largest_difference(net, one, pass.gradient, &autograd_loss);

  // 2. The same on a random batch and random weights.
  const int64_t batch = ctx.quick() ? 16 : 256;
  auto draw = [&](int64_t count) { return randn({count}, {.dtype = DType::f64}, &generator).to_vector(); };
  const Network random_net{draw(4), draw(2), draw(2), draw(1)};
  const Example random_batch{draw(2 * batch), draw(batch)};
  HandPass random_pass = by_hand(random_net, random_batch);
  random_pass.gradient.W1[0] += gradient_error;
  double random_autograd_loss = 0;
  double random_difference = largest_difference(random_net, random_batch, random_pass.gradient, &random_autograd_loss);
  ctx.note(fmt::format("worked example: loss by hand {:.12f}, by nabla {:.12f}; random batch of {}: {:.12f} vs {:.12f}",
                       pass.loss, autograd_loss, batch, random_pass.loss, random_autograd_loss));
  ctx.figure("largest |hand − autograd| gradient difference", std::max(worked_difference, random_difference));

  const double tolerance = 1e-12;
  ctx.claim(
      {"the hand forward pass equals nabla's", "손으로 계산한 순전파가 nabla의 결과와 같다"},
      std::abs(pass.loss - autograd_loss) < tolerance && std::abs(random_pass.loss - random_autograd_loss) < tolerance,
      format_text({"loss differences {:.3g} (worked) and {:.3g} (random batch), tolerance {:g}",
                   "손실 차이 {:.3g} (풀이 예제), {:.3g} (무작위 배치), 허용 오차 {:g}"},
                  std::abs(pass.loss - autograd_loss), std::abs(random_pass.loss - random_autograd_loss), tolerance));
  ctx.claim(
      {"hand gradients equal autograd", "손으로 구한 기울기가 autograd와 같다"},
      worked_difference < tolerance && random_difference < tolerance,
      format_text({"largest |hand − autograd| over all 9 parameters: {:.3g} (worked), {:.3g} (random batch of {}); "
                   "tolerance {:g}",
                   "매개변수 9개 전체에서 |손 계산 − autograd|의 최댓값: {:.3g} (풀이 예제), {:.3g} (크기 {}의 무작위 "
                   "배치); 허용 오차 {:g}"},
                  worked_difference, random_difference, batch, tolerance));

  // 3. Finite differences: every op the network uses, alone, and the whole loss.
  const GradcheckOptions options{.eps = step, .seed = ctx.seed()};
  auto input = [&](const Shape& shape) { return randn(shape, {.dtype = DType::f64, .requires_grad = true}, &generator); };
  struct Check {
    std::string op;
    GradcheckFunction function;
    std::vector<Tensor> inputs;
  };
  const int64_t n = 5;
  std::vector<Check> checks = {
      {"matmul", [](const auto& v) { return matmul(v[0], v[1]); }, {input({n, 2}), input({2, 2})}},
      {"transpose", [](const auto& v) { return v[0].t(); }, {input({2, 2})}},
      {"add (broadcast)", [](const auto& v) { return v[0] + v[1]; }, {input({n, 2}), input({2})}},
      {"sigmoid", [](const auto& v) { return sigmoid(v[0]); }, {input({n, 2})}},
      {"sub", [](const auto& v) { return v[0] - v[1]; }, {input({n, 1}), input({n, 1})}},
      {"pow 2", [](const auto& v) { return pow(v[0], 2); }, {input({n, 1})}},
      {"mean", [](const auto& v) { return mean(v[0]); }, {input({n, 1})}},
      {"whole network loss",
       [&](const auto& v) { return mse(forward({v[0], v[1], v[2], v[3]}, v[4]), v[5]); },
       {input({2, 2}), input({2}), input({1, 2}), input({1}), input({n, 2}), input({n, 1})}},
  };
  std::vector<std::vector<std::string>> rows;
  int clean = 0;
  for (const Check& check : checks) {
    int64_t elements = 0;
    for (const Tensor& tensor : check.inputs) elements += tensor.numel();
    GradcheckResult result = gradcheck(check.function, check.inputs, options);
    // Every op here is smooth: a skipped element (a "kink") means the difference quotient itself is off.
    bool passed = result.ok && result.skipped == 0 && result.checked == elements;
    clean += passed;
    rows.push_back({check.op, std::to_string(result.checked), std::to_string(result.skipped),
                    fmt::format("{:.2e}", result.max_error), passed ? "ok" : "FAIL " + result.message});
  }
  ctx.table(fmt::format("Central differences (step {:g}) against autograd", step),
            {"op", "elements checked", "skipped", "largest error", "verdict"}, rows);
  ctx.claim(
      {"every op passes a finite-difference check", "모든 연산이 유한 차분 검사를 통과한다"},
      clean == static_cast<int>(checks.size()),
      format_text(
          {"{} of {} checks (7 ops alone and the whole loss) compared every element within gradcheck's "
           "tolerance, step {:g}",
           "검사 {1}개 중 {0}개 (연산 7개 각각과 손실 전체)가 모든 원소에서 gradcheck의 허용 오차 이내, 간격 {2:g}"},
          clean, checks.size(), step));
}

const bool registered = register_experiment({
    .id = "Q15",
    .title = "Backpropagation, with a hand calculation",
    .question = {"How does backpropagation compute gradients? Work one example by hand.",
                 "역전파는 기울기를 어떻게 계산하나요? 예제 하나를 손으로 풀어 보세요."},
    .answer = {"Backpropagation is the chain rule applied from the loss backwards: each operation multiplies the "
               "gradient arriving at its output by its local derivative to get the gradient at its inputs, so one "
               "backward pass costs about as much as the forward pass, whatever the number of parameters. In the "
               "2-2-1 network below, dL/dy = 2(y − t) flows into W2 as dL/dy·h and into the hidden layer as dL/dy·W2, "
               "where the sigmoid multiplies it by h(1 − h). Autograd does exactly this bookkeeping; a finite-difference "
               "check of every op is how one knows each local derivative is right.",
               "역전파는 손실에서부터 거꾸로 연쇄 법칙을 적용하는 것입니다. 각 연산은 출력 쪽에서 들어온 기울기에 자신의 "
               "국소 도함수를 곱해 입력 쪽 기울기를 만들기 때문에, 파라미터가 몇 개든 역방향 한 번의 비용은 순방향 한 번과 "
               "비슷합니다. 아래 2-2-1 네트워크에서 dL/dy = 2(y − t)는 W2로는 dL/dy·h로, 은닉층으로는 dL/dy·W2로 "
               "흘러가고, 은닉층의 시그모이드가 여기에 h(1 − h)를 곱합니다. 자동 미분은 바로 이 계산을 대신 해 주며, "
               "각 국소 도함수가 맞는지는 모든 연산을 유한 차분으로 검사해서 확인합니다."},
    .topic = "A",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
