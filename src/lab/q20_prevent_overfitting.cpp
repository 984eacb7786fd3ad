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

  ctx.claim("without a remedy the network overfits: train accuracy ≥ 90 % and a train − test gap ≥ 10 points",
            baseline.train_accuracy >= 0.90 && baseline.gap() >= 0.10,
            fmt::format("{:.1f} % train vs {:.1f} % test", 100 * baseline.train_accuracy, 100 * baseline.test_accuracy));
  for (Remedy remedy : {Remedy::dropout, Remedy::weight_decay, Remedy::augmentation, Remedy::early_stopping}) {
    const AblationRow& row = ablation_row(rows, remedy);
    ctx.claim(fmt::format("{} narrows the train − test gap", remedy_name(remedy)), row.gap() < baseline.gap(),
              fmt::format("{:.1f} points vs {:.1f} without a remedy", 100 * row.gap(), 100 * baseline.gap()));
  }
  // Batch norm speeds up fitting the training set; on its own it is no cure for memorising it.
  const AblationRow& normalized = ablation_row(rows, Remedy::batch_norm);
  ctx.claim("batch norm alone does not narrow the gap: it fits the training images faster",
            normalized.gap() >= baseline.gap() && normalized.best_epoch() <= baseline.best_epoch(),
            fmt::format("gap {:.1f} vs {:.1f} points; best validation epoch {} vs {}", 100 * normalized.gap(),
                        100 * baseline.gap(), normalized.best_epoch(), baseline.best_epoch()));
  ctx.claim("early stopping stops before the last epoch", static_cast<int64_t>(stopped.history.size()) < settings.epochs,
            fmt::format("{} of {} epochs", stopped.history.size(), settings.epochs));
  if (ctx.full()) {
    ctx.claim("in the full run at least 3 remedies raise test accuracy over the baseline", better.size() >= 3,
              fmt::format("{} do: {}", better.size(), joined(better)));
  }
}

const bool registered = register_experiment({
    .id = "Q20",
    .title = "Every way to prevent overfitting",
    .question = {"What are all the ways you know to prevent overfitting?",
                 "과적합을 막는 방법에는 어떤 것들이 있는지 아는 대로 말해 보세요."},
    .answer = {"Overfitting shrinks when the model sees more (varied) data or has less freedom to memorise it. More data "
               "comes for real or from augmentation (shifts, flips, crops, noise that keep the label). Less freedom comes "
               "from a smaller model, weight decay or an L1/L2 penalty, dropout, and early stopping on a validation set. "
               "Batch normalization is often listed too, but it is mainly an optimisation aid: its regularising effect "
               "(noise from batch statistics) is small, and here it narrows the gap less than the others. Measured one "
               "at a time on 1 000 images, the remedies do not all help equally; which ones win depends on the data and "
               "the model, so compare them on a held-out set rather than trusting a list.",
               "과적합은 모델이 더 많은(다양한) 데이터를 보거나, 데이터를 외울 자유가 줄어들면 줄어듭니다. 데이터는 실제로 "
               "더 모으거나 라벨이 바뀌지 않는 변형(이동, 뒤집기, 자르기, 노이즈)으로 늘릴 수 있습니다. 자유를 줄이는 방법으로는 "
               "더 작은 모델, 가중치 감쇠나 L1/L2 페널티, 드롭아웃, 검증 세트를 보는 조기 종료가 있습니다. 배치 정규화도 흔히 "
               "꼽히지만 주로 최적화를 돕는 기법이고, 배치 통계에서 오는 노이즈로 인한 규제 효과는 작습니다. 1 000장에서 하나씩 "
               "따로 재 보면 효과가 제각각이고 어느 것이 나은지는 데이터와 모델에 따라 다르므로, 목록을 믿기보다 검증 세트에서 "
               "직접 비교해야 합니다."},
    .topic = "C D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
