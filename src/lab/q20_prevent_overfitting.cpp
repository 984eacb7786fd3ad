// Q20: every way to prevent overfitting, measured one at a time. The ablation (overfitting_ablation.h) trains
// the same over-sized MLP on a small Fashion-MNIST subset with no remedy, then with each remedy alone:
// dropout, weight decay, batch norm, data augmentation (shifts and flips), early stopping.
#include <algorithm>

#include "nabla/lab/lab.h"
#include "overfitting_ablation.h"

namespace nabla::lab {
namespace {

void run(Context& ctx) {
  const AblationSettings settings = ablation_settings(ctx);
  const std::vector<AblationRow> rows = run_overfitting_ablation(settings, all_remedies());
  report_ablation(ctx, settings, rows, "validation_accuracy.png");

  const AblationRow& baseline = ablation_row(rows, Remedy::none);
  std::vector<std::string> better, narrower;
  const AblationRow* best = &baseline;
  for (const AblationRow& row : rows) {
    if (row.remedy == Remedy::none) continue;
    if (row.test_accuracy > baseline.test_accuracy) better.push_back(remedy_name(row.remedy));
    if (row.gap() < baseline.gap()) narrower.push_back(remedy_name(row.remedy));
    if (row.test_accuracy > best->test_accuracy) best = &row;
  }
  const auto joined = [](const std::vector<std::string>& names) { return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")); };
  ctx.note(fmt::format("remedies above the baseline's test accuracy: {}; remedies with a narrower train − test gap: {}",
                       joined(better), joined(narrower)));
  const AblationRow& stopped = ablation_row(rows, Remedy::early_stopping);
  ctx.note(fmt::format("early stopping ended after {} of {} epochs and kept epoch {}'s weights", stopped.history.size(),
                       settings.epochs, stopped.best_epoch()));
  ctx.figure("baseline train − test gap", baseline.gap());
  ctx.figure("baseline test accuracy", baseline.test_accuracy);
  ctx.figure("best remedy's test accuracy", best->test_accuracy);
  ctx.figure("remedies that beat the baseline", static_cast<double>(better.size()));

  ctx.claim({"without a remedy the network overfits: train accuracy ≥ 90 % and a train − test gap ≥ 10 points",
             "대책이 없으면 네트워크가 과적합된다: 학습 정확도 90 % 이상, 학습과 테스트 정확도의 차이 10 %p 이상"},
            baseline.train_accuracy >= 0.90 && baseline.gap() >= 0.10,
            format_text({"{:.1f} % train vs {:.1f} % test", "학습 {:.1f} %, 테스트 {:.1f} %"},
                        100 * baseline.train_accuracy, 100 * baseline.test_accuracy));
  for (Remedy remedy : {Remedy::dropout, Remedy::weight_decay, Remedy::augmentation, Remedy::early_stopping}) {
    const AblationRow& row = ablation_row(rows, remedy);
    ctx.claim(format_text({"{} narrows the train − test gap", "{} 적용 시 학습과 테스트 정확도의 차이가 줄어든다"},
                          remedy_label(remedy)),
              row.gap() < baseline.gap(),
              format_text({"{:.1f} points vs {:.1f} without a remedy", "차이 {:.1f} %p, 대책이 없을 때 {:.1f} %p"},
                          100 * row.gap(), 100 * baseline.gap()));
  }
  // Batch norm speeds up fitting the training set; on its own it is no cure for memorising it.
  const AblationRow& normalized = ablation_row(rows, Remedy::batch_norm);
  bool widest = true, first_best = normalized.best_epoch() <= baseline.best_epoch();
  for (const AblationRow& row : rows) {
    if (row.remedy == Remedy::none || row.remedy == Remedy::batch_norm) continue;
    widest = widest && normalized.gap() >= row.gap();
    first_best = first_best && normalized.best_epoch() <= row.best_epoch();
  }
  ctx.claim({"batch norm alone hardly narrows the gap (the widest of the remedies, ≥ 90 % of the baseline's) and fits "
             "fastest (the earliest best validation epoch)",
             "배치 정규화만으로는 차이가 거의 줄지 않고 (대책 중 가장 넓고 기준의 90 % 이상) 가장 빨리 맞춘다 (최고 "
             "검증 에포크가 가장 이르다)"},
            widest && normalized.gap() >= 0.9 * baseline.gap() && first_best,
            format_text({"gap {:.1f} vs {:.1f} points without a remedy; best validation epoch {} vs {}",
                         "차이 {:.1f} %p, 대책이 없을 때 {:.1f} %p; 최고 검증 에포크 {} 대 {}"},
                        100 * normalized.gap(), 100 * baseline.gap(), normalized.best_epoch(), baseline.best_epoch()));
  ctx.claim({"early stopping stops before the last epoch", "조기 종료는 마지막 에포크 전에 멈춘다"},
            static_cast<int64_t>(stopped.history.size()) < settings.epochs,
            format_text({"{} of {} epochs", "{1} 에포크 중 {0} 에포크"}, stopped.history.size(), settings.epochs));
  if (ctx.full()) {
    // 10 000 test images: one standard error of an accuracy near 80 % is about 0.4 points.
    std::vector<Text> clearly_better;
    for (const AblationRow& row : rows) {
      if (row.test_accuracy >= baseline.test_accuracy + 0.005) clearly_better.push_back(remedy_label(row.remedy));
    }
    ctx.claim({"in the full run at least 2 remedies raise test accuracy by ≥ 0.5 points",
               "전체 실행에서 대책 2개 이상이 테스트 정확도를 0.5 %p 이상 올린다"},
              clearly_better.size() >= 2,
              format_text({"{} do: {}", "{}개: {}"}, clearly_better.size(),
                          clearly_better.empty() ? Text{"none", "없음"} : join_texts(clearly_better, ", ")));
  }
}

const bool registered = register_experiment({
    .id = "Q20",
    .title = "Every way to prevent overfitting",
    .question = {"What are all the ways you know to prevent overfitting?",
                 "과적합을 막는 방법에는 어떤 것들이 있는지 아는 대로 말해 보세요."},
    .answer = {"Overfitting shrinks when the model sees more (varied) data or has less freedom to memorise it. More data "
               "comes for real or from augmentation (shifts, flips, crops, noise that keep the label); less freedom comes "
               "from a smaller model, weight decay or an L1/L2 penalty, dropout, and early stopping on a validation set. "
               "Batch normalization is often listed too, but it is mainly an optimisation aid: here it fits the training "
               "images fastest and leaves the gap about as wide as no remedy at all. Measured one at a time, the other "
               "remedies all narrow the train–test gap, yet test accuracy moves by only about a point, and augmentation "
               "needs many more epochs before it pays off: a narrower gap is not automatically better generalisation, so "
               "compare remedies (and their strengths) on a held-out set rather than trusting a list.",
               "과적합은 모델이 더 많은(다양한) 데이터를 보거나, 데이터를 외울 자유가 줄어들면 줄어듭니다. 데이터는 실제로 "
               "더 모으거나 라벨이 바뀌지 않는 변형(이동, 뒤집기, 자르기, 노이즈)으로 늘리고, 자유는 더 작은 모델, 가중치 "
               "감쇠나 L1/L2 페널티, 드롭아웃, 검증 세트를 보는 조기 종료로 줄입니다. 배치 정규화도 흔히 꼽히지만 주로 "
               "최적화를 돕는 기법이라, 여기서는 학습 데이터를 가장 빨리 맞추고 격차는 아무것도 안 했을 때만큼 벌어집니다. "
               "하나씩 따로 재 보면 나머지 방법은 모두 학습–테스트 격차를 줄이지만 테스트 정확도는 1%p 안팎으로만 움직이고, "
               "데이터 증강은 효과를 보려면 훨씬 많은 에폭이 필요합니다. 격차가 줄었다고 일반화가 자동으로 좋아지는 것은 "
               "아니므로, 목록을 믿기보다 검증 세트에서 방법과 강도를 직접 비교해야 합니다."},
    .topic = "C D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
