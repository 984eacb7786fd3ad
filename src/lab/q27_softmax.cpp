// Q27: the softmax function. Random logits [batch, classes] → softmax: positive, rows sum to one, order kept.
// Temperature T divides the logits: softmax(z / T). Entropy rises with T (towards ln C), the argmax never
// moves, and T → 0 approaches a one-hot. Two classes: softmax is the sigmoid of the logit difference.
#include <cmath>

#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

// Mean over rows of −Σ p log p, for probabilities [batch, classes] (0 log 0 counts as 0).
double mean_entropy(const Tensor& probabilities) {
  const Tensor safe = clamp(probabilities, 1e-300, std::nullopt);
  return mean(neg(sum(probabilities * log(safe), {1}))).item();
}

void run(Context& ctx) {
  const auto classes = static_cast<int64_t>(ctx.parameter("classes", 10));
  const int64_t batch = ctx.quick() ? 256 : 100000;
  NABLA_KNOB_CHECK(classes >= 2, "lab Q27: classes must be at least 2");
  Generator& generator = ctx.generator();

  // 1. Probabilities: positive, summing to one per row, the largest logit the most probable.
  const Tensor logits = randn({batch, classes}, {.dtype = DType::f64}, &generator) * 3.0;
  const Tensor probabilities = softmax(logits, 1);
  const double smallest = min(probabilities).item();
  const double sum_error = max(abs(sum(probabilities, {1}) - 1.0)).item();
  const int64_t argmax_moved = sum(ne(argmax(probabilities, 1), argmax(logits, 1))).item<int64_t>();
  ctx.note(fmt::format("{} rows of {} logits drawn from N(0, 3²), in float64", batch, classes));
  ctx.claim(
      {"softmax gives probabilities: positive and summing to one", "소프트맥스는 확률을 준다: 양수이고 합이 1이다"},
      smallest > 0 && sum_error < 1e-12,
      format_text({"smallest probability {:.3g} > 0; largest |Σ p − 1| over {} rows {:.3g}",
                   "가장 작은 확률 {:.3g} > 0; 행 {}개에서 |Σ p − 1|의 최댓값 {:.3g}"},
                  smallest, batch, sum_error));
  ctx.claim({"softmax keeps the order of the logits", "소프트맥스는 로짓의 순서를 유지한다"}, argmax_moved == 0,
            format_text({"rows whose most probable class is not the largest logit: {} of {}",
                         "확률이 가장 높은 클래스가 가장 큰 로짓이 아닌 행: {1}개 중 {0}개"},
                        argmax_moved, batch));

  // 2. Temperature.
  const std::vector<double> temperatures = {0.01, 0.05, 0.25, 0.5, 1, 2, 4, 10, 100};
  std::vector<double> entropies, top_probabilities;
  int64_t argmax_changes = 0;
  std::vector<std::vector<std::string>> rows;
  const Tensor reference_argmax = argmax(logits, 1);
  for (double temperature : temperatures) {
    const Tensor tempered = softmax(logits / temperature, 1);
    entropies.push_back(mean_entropy(tempered));
    argmax_changes += sum(ne(argmax(tempered, 1), reference_argmax)).item<int64_t>();
    top_probabilities.push_back(mean(std::get<0>(max(tempered, 1))).item());
    rows.push_back({fmt::format("{:g}", temperature), fmt::format("{:.4f}", entropies.back()),
                    fmt::format("{:.4f}", top_probabilities.back())});
  }
  const double uniform_entropy = std::log(static_cast<double>(classes));
  ctx.table(fmt::format("softmax(z / T) over {} rows: entropy (ln {} = {:.4f} is uniform) and the top probability",
                        batch, classes, uniform_entropy),
            {"T", "mean entropy (nats)", "mean largest p"}, rows);
  bool rising = true;
  for (size_t i = 1; i < entropies.size(); ++i) rising = rising && entropies[i] > entropies[i - 1];
  ctx.figure("entropy at T = 1", entropies[4], "nats");
  ctx.figure("entropy at T = 100 ÷ ln C", entropies.back() / uniform_entropy);
  ctx.claim({"entropy rises with temperature", "온도가 올라가면 엔트로피가 커진다"}, rising,
            format_text({"mean entropy from T = {:g} to {:g}: {:.4f} … {:.4f} nats, each larger than the last",
                         "T = {:g}부터 {:g}까지 평균 엔트로피: {:.4f} … {:.4f} nat, 매번 이전보다 크다"},
                        temperatures.front(), temperatures.back(), entropies.front(), entropies.back()));
  ctx.claim({"temperature never moves the argmax", "온도는 argmax를 바꾸지 않는다"}, argmax_changes == 0,
            format_text(
                {"argmax changes over {} temperatures × {} rows: {}", "온도 {}개 × 행 {}개에서 argmax가 바뀐 횟수: {}"},
                temperatures.size(), batch, argmax_changes));
  ctx.claim(
      {"high T tends to uniform, low T to one-hot", "T가 높으면 균등 분포에, 낮으면 원-핫에 가까워진다"},
      entropies.back() > 0.99 * uniform_entropy && top_probabilities.front() > 0.99,
      format_text({"entropy at T = {:g}: {:.4f} of ln C = {:.4f}; at T = {:g} the largest probability is {:.4f} on "
                   "average",
                   "T = {:g}에서 엔트로피: {:.4f} (ln C = {:.4f}); T = {:g}에서 가장 큰 확률의 평균 {:.4f}"},
                  temperatures.back(), entropies.back(), uniform_entropy, temperatures.front(),
                  top_probabilities.front()));

  // 3. Two classes: softmax([a, b])₀ = σ(a − b), so the sigmoid is softmax's two-class case.
  const Tensor pair = logits.slice(1, 0, 2);
  const double two_class_error =
      max(abs(softmax(pair, 1).select(1, 0) - sigmoid(pair.select(1, 0) - pair.select(1, 1)))).item();
  ctx.claim(
      {"two-class softmax is the sigmoid of the logit difference", "두 클래스 소프트맥스는 로짓 차이의 시그모이드다"},
      two_class_error < 1e-12,
      format_text({"largest |softmax([a, b])₀ − σ(a − b)| over {} pairs: {:.3g}",
                   "쌍 {}개에서 |softmax([a, b])₀ − σ(a − b)|의 최댓값: {:.3g}"},
                  batch, two_class_error));

  // The picture: one row's probabilities at several temperatures (the row scaled to N(0, 1) logits, so
  // that T = 1 is not already nearly one-hot).
  const std::vector<double> shown = {0.25, 0.5, 1, 2, 10};
  const Tensor first_row = logits.slice(0, 0, 1) / 3.0;
  plot::Panel panel{"softmax(z / T) of one row of logits z ~ N(0, 1)", "class index", "probability", {}, false};
  std::vector<double> class_index;
  for (int64_t c = 0; c < classes; ++c) class_index.push_back(static_cast<double>(c));
  for (double temperature : shown)
    panel.series.push_back({fmt::format("T = {:g}", temperature), class_index, softmax(first_row / temperature, 1).to_vector()});
  ctx.line_plot("temperatures.png", panel);
  std::vector<double> log_temperatures;
  for (double temperature : temperatures) log_temperatures.push_back(std::log10(temperature));
  plot::Panel entropy_panel{"Mean entropy of softmax(z / T)", "temperature T (log₁₀)", "entropy (nats)",
                            {{"entropy", log_temperatures, entropies},
                             {"ln C (uniform)", {log_temperatures.front(), log_temperatures.back()},
                              {uniform_entropy, uniform_entropy}}},
                            false};
  ctx.line_plot("entropy.png", entropy_panel);
}

const bool registered = register_experiment({
    .id = "Q27",
    .title = "The softmax function",
    .question = {"What is the softmax function, and what does its temperature do?",
                 "소프트맥스 함수가 무엇이고, 온도(temperature)는 어떤 역할을 하나요?"},
    .answer = {"Softmax turns a vector of real scores (logits) into a probability distribution: p_i = e^{z_i} / Σ_j e^{z_j}, "
               "so every p_i is positive, they sum to one, and a larger logit always gets a larger probability. It depends "
               "only on differences between logits, and with two classes it is exactly the sigmoid of the difference. "
               "Dividing the logits by a temperature T changes how peaked the distribution is without changing its order: "
               "T < 1 sharpens it towards a one-hot on the argmax, T > 1 flattens it towards uniform (entropy → ln C). "
               "That is why sampling temperature and knowledge distillation use it.",
               "소프트맥스는 실수 점수 벡터(로짓)를 확률 분포로 바꿉니다: p_i = e^{z_i} / Σ_j e^{z_j}. 그래서 모든 p_i가 "
               "양수이고 합이 1이며, 로짓이 클수록 확률도 큽니다. 로짓끼리의 차이에만 의존하고, 클래스가 두 개일 때는 정확히 "
               "차이에 대한 시그모이드와 같습니다. 로짓을 온도 T로 나누면 순서는 그대로 두고 분포의 뾰족함만 바뀝니다. "
               "T < 1이면 argmax 쪽 원-핫에 가까워지고, T > 1이면 균등 분포(엔트로피 → ln C)에 가까워집니다. 샘플링 온도나 "
               "지식 증류에서 이 성질을 씁니다."},
    .topic = "B",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
