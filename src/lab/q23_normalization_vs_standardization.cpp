// Q23: normalization (min-max scaling) vs standardization (z-score) of Fashion-MNIST pixels.
//   X [N, 784] raw pixel values 0…255 (float64), one column per pixel (feature), statistics over the N images:
//   min-max:  (X − min_j) / (max_j − min_j)       per column j → [0, 1]
//   z-score:  (X − mean_j) / std_j                 per column j → mean 0, variance 1 (population variance)
// A column that never changes (max = min) maps to 0 in both. The library's per-image versions
// (data::min_max_scale, data::standardize: one image's 784 pixels at a time) are measured beside them.
// Then: the training statistics applied to test images, and what one outlier image does to each scaling.
#include <algorithm>
#include <cmath>

#include "nabla/data/dataset.h"
#include "nabla/data/loader.h"
#include "nabla/lab/lab.h"
#include "nabla/nabla.h"

namespace nabla::lab {
namespace {

const TensorOptions f64{.dtype = DType::f64};

// Per-column statistics of the training matrix, and the two scalings they define.
struct Scaler {
  Tensor low, range, center, spread;  // [1, 784]; range and spread are 1 where the column is constant
  int64_t constant_columns = 0;

  explicit Scaler(const Tensor& x) {
    low = min(x, 0).first.unsqueeze(0);
    Tensor high = max(x, 0).first.unsqueeze(0);
    Tensor constant = eq(high, low);
    constant_columns = static_cast<int64_t>(sum(constant.to(f64.dtype)).item());
    range = where(constant, ones({}, f64), high - low);
    center = mean(x, {0}, true);
    Tensor deviation = std(x, {0}, 0, true);
    spread = where(constant, ones({}, f64), deviation);
  }
  Tensor min_max(const Tensor& x) const { return (x - low) / range; }
  Tensor z_score(const Tensor& x) const { return (x - center) / spread; }
};

struct Summary {
  double low = 0, high = 0;                 // over every value
  double worst_mean = 0, mean_of_means = 0;  // max |column mean|, mean of the column means
  double mean_variance = 0, worst_variance_error = 0;  // mean column variance, max |column variance − 1|
};

// `columns` selects the columns that vary (constant ones are 0 after either scaling and say nothing).
Summary summarize(const Tensor& x, const Tensor& columns) {
  Tensor selected = index_select(x, 1, columns);
  Tensor means = mean(selected, {0});
  Tensor variances = var(selected, {0}, 0);
  return {min(selected).item(),
          max(selected).item(),
          max(abs(means)).item(),
          mean(means).item(),
          mean(variances).item(),
          max(abs(variances - 1.0)).item()};
}

std::vector<std::string> summary_row(const std::string& name, const Summary& summary) {
  return {name,
          fmt::format("{:.4g}", summary.low),
          fmt::format("{:.4g}", summary.high),
          fmt::format("{:.4g}", summary.mean_of_means),
          fmt::format("{:.2e}", summary.worst_mean),
          fmt::format("{:.4g}", summary.mean_variance),
          fmt::format("{:.2e}", summary.worst_variance_error)};
}

// `count` random images of `dataset` as [count, 784] float64 raw pixel values 0…255.
Tensor pixels(const data::TensorDataset& dataset, int64_t count, Generator& generator) {
  Tensor chosen = randperm(dataset.size(), {.dtype = DType::i64}, &generator).narrow(0, 0, count);
  return index_select(dataset.inputs(), 0, chosen).flatten(1).to(DType::f64);
}

void run(Context& ctx) {
  const auto train_examples = static_cast<int64_t>(ctx.parameter("train_examples", ctx.quick() ? 5000 : 60000));
  const auto test_examples = static_cast<int64_t>(ctx.parameter("test_examples", ctx.quick() ? 2000 : 10000));
  const double outlier_factor = ctx.parameter("outlier_factor", 10);
  NABLA_KNOB_CHECK(train_examples >= 10 && train_examples <= 60000 && test_examples >= 10 && test_examples <= 10000 &&
                  outlier_factor > 1,
              "lab Q23: train_examples in [10, 60 000], test_examples in [10, 10 000], outlier_factor > 1");
  auto all_train = data::fashion_mnist(data::Split::train);
  auto all_test = data::fashion_mnist(data::Split::test);
  Tensor train = pixels(*all_train, train_examples, ctx.generator());
  Tensor test = pixels(*all_test, test_examples, ctx.generator());

  const Scaler scaler(train);
  // The indices of the columns that vary over these images.
  const Tensor varying = nonzero(gt(max(train, 0).first - min(train, 0).first, zeros({}, f64))).select(1, 0);
  const Tensor min_max = scaler.min_max(train), z_score = scaler.z_score(train);
  // The library's per-image scalings, on the same images as a [N, 1, 28, 28] batch in [0, 1].
  const std::vector<uint64_t> keys(static_cast<size_t>(train_examples), 0);
  Tensor images = (train / 255.0).to(DType::f32).reshape({train_examples, 1, 28, 28});
  Tensor image_min_max = data::min_max_scale()->apply(images, keys).reshape({train_examples, 784}).to(DType::f64);
  Tensor image_z_score = data::standardize()->apply(images, keys).reshape({train_examples, 784}).to(DType::f64);

  const Summary raw = summarize(train, varying), scaled = summarize(min_max, varying),
                standardized = summarize(z_score, varying);
  // Per image: the statistics of each row, so transpose (rows become columns).
  Tensor all_pixels = arange(train_examples, {.dtype = DType::i64});
  const Summary per_image_scaled = summarize(image_min_max.t(), all_pixels);
  const Summary per_image_standardized = summarize(image_z_score.t(), all_pixels);
  ctx.note(fmt::format("{} training images, {} pixels of which {} vary ({} are constant over these images: both scalings "
                       "map them to 0)", train_examples, train.size(1), varying.size(0), scaler.constant_columns));
  ctx.table("Training pixels after each scaling (statistics per feature = per pixel over the images; per image = over "
            "an image's 784 pixels)",
            {"scaling", "min", "max", "mean of means", "max |mean|", "mean variance", "max |variance − 1|"},
            {summary_row("raw 0…255", raw), summary_row("min-max per pixel", scaled),
             summary_row("z-score per pixel", standardized), summary_row("min-max per image (data::min_max_scale)", per_image_scaled),
             summary_row("z-score per image (data::standardize)", per_image_standardized)});

  // Both are affine per column: the z-score is the min-max value re-centred and re-scaled, so the shape of
  // every feature's distribution is the same under either; only its location and unit differ.
  Tensor min_max_center = mean(min_max, {0}, true), min_max_spread = std(min_max, {0}, 0, true);
  Tensor rebuilt = index_select((min_max - min_max_center) / min_max_spread, 1, varying);
  const double affine_error = max(abs(rebuilt - index_select(z_score, 1, varying))).item();
  const int64_t middle = 14 * 28 + 14;
  ctx.histogram("middle_pixel.png", "The middle pixel over the training images: same shape, other axis", "scaled value",
                {{"min-max", min_max.select(1, middle).to_vector(), {}}, {"z-score", z_score.select(1, middle).to_vector(), {}}}, 50);

  // Test images scaled with the training statistics: nothing guarantees [0, 1] or mean 0 there.
  const Tensor test_min_max = scaler.min_max(test);
  const double outside = mean(logical_or(lt(test_min_max, zeros({}, f64)), gt(test_min_max, ones({}, f64))).to(f64.dtype)).item();
  const Summary test_scaled = summarize(test_min_max, varying), test_standardized = summarize(scaler.z_score(test), varying);

  // One outlier image (every pixel outlier_factor × 255) added to the training set: min-max divides by the
  // new range, z-score by a standard deviation one value barely moves.
  Tensor with_outlier = cat({train, full({1, train.size(1)}, 255.0 * outlier_factor, f64)}, 0);
  const Scaler outlier_scaler(with_outlier);
  const auto spread_of_others = [&](const Tensor& scaled_values) {
    return mean(std(index_select(scaled_values.narrow(0, 0, train_examples), 1, varying), {0}, 0)).item();
  };
  const double min_max_shrink = spread_of_others(min_max) / spread_of_others(outlier_scaler.min_max(with_outlier));
  const double z_score_shrink = spread_of_others(z_score) / spread_of_others(outlier_scaler.z_score(with_outlier));
  ctx.table("Test images with the training statistics; one outlier image in the training set",
            {"measure", "min-max", "z-score"},
            {{"test: min … max", fmt::format("{:.3g} … {:.3g}", test_scaled.low, test_scaled.high),
              fmt::format("{:.3g} … {:.3g}", test_standardized.low, test_standardized.high)},
             {"test: max |column mean|", fmt::format("{:.3g}", test_scaled.worst_mean),
              fmt::format("{:.3g}", test_standardized.worst_mean)},
             {fmt::format("one {:g}× outlier: the other images' spread shrinks by", outlier_factor),
              fmt::format("{:.2f}×", min_max_shrink), fmt::format("{:.2f}×", z_score_shrink)}});

  ctx.note(fmt::format("per-pixel z-scores explode on pixels that are almost always 0 (a border pixel's std is tiny): up to "
                       "{:.0f} on training and {:.0f} on test images; image pipelines therefore often use one mean and std "
                       "for all pixels (data::normalize) or per image (data::standardize)",
                       standardized.high, test_standardized.high));
  ctx.figure("z-score: largest |value|", std::max(-standardized.low, standardized.high));
  ctx.figure("min-max: mean pixel", scaled.mean_of_means);
  ctx.figure("test values outside [0, 1] after min-max", outside);
  ctx.figure("spread shrink from one outlier, min-max", min_max_shrink);
  ctx.figure("spread shrink from one outlier, z-score", z_score_shrink);

  // Every column's own min and max, not only the overall ones: the largest column min and the smallest column max.
  Tensor varying_min_max = index_select(min_max, 1, varying);
  const double largest_column_min = max(min(varying_min_max, 0).first).item();
  const double smallest_column_max = min(max(varying_min_max, 0).first).item();
  ctx.claim({"min-max maps every varying pixel onto exactly [0, 1]",
             "최소-최대 정규화는 값이 변하는 모든 픽셀을 정확히 [0, 1]로 옮긴다"},
            scaled.low == 0 && scaled.high == 1 && largest_column_min == 0 && smallest_column_max == 1,
            format_text({"largest column min {:g}, smallest column max {:g}; overall {:g} … {:g}",
                         "열 최솟값 중 최대 {:g}, 열 최댓값 중 최소 {:g}; 전체 {:g} … {:g}"},
                        largest_column_min, smallest_column_max, scaled.low, scaled.high));
  ctx.claim(
      {"min-max neither centres nor fixes the variance: mean pixel > 0, mean variance < 1/4 (the bound on [0, 1])",
       "최소-최대 정규화는 중심을 맞추지도 분산을 고정하지도 않는다: 픽셀 평균 > 0, 평균 분산 < 1/4 ([0, 1]에서의 "
       "상한)"},
      scaled.mean_of_means > 0 && scaled.mean_variance < 0.25,
      format_text(
          {"mean of column means {:.3f}, mean column variance {:.4f}", "열 평균의 평균 {:.3f}, 열 분산의 평균 {:.4f}"},
          scaled.mean_of_means, scaled.mean_variance));
  ctx.claim({"z-score gives every varying pixel mean 0 and variance 1 (to 1e-9)",
             "z-점수는 값이 변하는 모든 픽셀을 평균 0, 분산 1로 만든다 (1e-9까지)"},
            standardized.worst_mean < 1e-9 && standardized.worst_variance_error < 1e-9,
            format_text(
                {"max |mean| {:.1e}, max |variance − 1| {:.1e}", "|평균|의 최댓값 {:.1e}, |분산 − 1|의 최댓값 {:.1e}"},
                standardized.worst_mean, standardized.worst_variance_error));
  ctx.claim({"z-scores are not bounded to a range: they reach beyond ±3",
             "z-점수는 범위가 정해져 있지 않다: ±3 너머까지 간다"},
            std::max(-standardized.low, standardized.high) > 3,
            format_text({"z-scores span {:.2f} … {:.2f}", "z-점수의 범위 {:.2f} … {:.2f}"}, standardized.low,
                        standardized.high));
  ctx.claim({"the two differ by an affine map per pixel: re-standardizing the min-max values gives the z-scores",
             "둘은 픽셀마다 아핀 변환만큼 다르다: 최소-최대 값을 다시 표준화하면 z-점수가 된다"},
            affine_error < 1e-9, format_text({"max difference {:.1e}", "최대 차이 {:.1e}"}, affine_error));
  ctx.claim(
      {"per image (the data transforms) the same holds row-wise: [0, 1] per image; mean 0, variance 1 per image",
       "이미지별로 (데이터 변환) 행 단위로도 같다: 이미지마다 [0, 1]; 이미지마다 평균 0, 분산 1"},
      per_image_scaled.low == 0 && per_image_scaled.high == 1 && per_image_standardized.worst_mean < 1e-5 &&
          per_image_standardized.worst_variance_error < 1e-4,
      format_text(
          {"per image: min-max {:g} … {:g}; z-score max |mean| {:.1e}, max |variance − 1| {:.1e} (float32)",
           "이미지별: 최소-최대 {:g} … {:g}; z-점수 |평균|의 최댓값 {:.1e}, |분산 − 1|의 최댓값 {:.1e} (float32)"},
          per_image_scaled.low, per_image_scaled.high, per_image_standardized.worst_mean,
          per_image_standardized.worst_variance_error));
  ctx.claim({"test images scaled with training statistics leave [0, 1] and are not exactly centred",
             "학습 데이터의 통계로 변환한 테스트 이미지는 [0, 1]을 벗어나고 중심도 정확히 맞지 않는다"},
            outside > 0 && test_standardized.worst_mean > standardized.worst_mean,
            format_text({"{:.4f} % of test values outside [0, 1]; test max |column mean| {:.3f} after z-scoring",
                         "테스트 값의 {:.4f} %가 [0, 1] 밖; z-점수화 후 테스트의 |열 평균| 최댓값 {:.3f}"},
                        100 * outside, test_standardized.worst_mean));
  ctx.claim({"one outlier image squeezes the other images under min-max far more than under z-score",
             "이상치 이미지 하나가 다른 이미지들을 z-점수보다 최소-최대 정규화에서 훨씬 더 압축한다"},
            min_max_shrink > 2 * z_score_shrink,
            format_text({"spread shrinks {:.2f}× (min-max) vs {:.2f}× (z-score)",
                         "퍼짐이 {:.2f}배 줄어듦 (최소-최대) 대 {:.2f}배 (z-점수)"},
                        min_max_shrink, z_score_shrink));
}

const bool registered = register_experiment({
    .id = "Q23",
    .title = "Normalization vs standardization",
    .question = {"What is the difference between normalization and standardization?",
                 "정규화(normalization)와 표준화(standardization)의 차이는 무엇인가요?"},
    .answer = {"Both rescale each feature with statistics of the training data. Normalization (min-max scaling) maps it onto "
               "[0, 1] with (x − min)/(max − min): the range is fixed, but the mean and variance are whatever they come out "
               "as. Standardization (z-score) uses (x − mean)/std: mean 0 and variance 1, but no fixed range. Both are "
               "affine per feature, so they keep the shape of the distribution; what differs is location and unit. "
               "Min-max depends on two extreme values, so a single outlier squeezes everything else into a sliver, while "
               "the z-score is far less sensitive; and on new data neither guarantee holds exactly, so fit the statistics "
               "on the training set only and reuse them. \"Normalization\" is also used loosely for any such scaling "
               "(and for batch/layer norm), so ask which one is meant.",
               "둘 다 학습 데이터의 통계로 각 특성의 스케일을 바꿉니다. 정규화(min-max 스케일링)는 (x − min)/(max − min)으로 "
               "값을 [0, 1]에 맞추기 때문에 범위는 고정되지만 평균과 분산은 데이터에 따라 달라집니다. 표준화(z-점수)는 "
               "(x − 평균)/표준편차로 평균 0, 분산 1을 만들지만 범위는 고정되지 않습니다. 둘 다 특성별 아핀 변환이라 분포의 "
               "모양은 그대로이고 위치와 단위만 다릅니다. min-max는 극단값 두 개에 좌우되므로 이상치 하나만 있어도 나머지 "
               "값이 좁은 구간으로 몰리지만, z-점수는 훨씬 덜 민감합니다. 새 데이터에서는 어느 쪽도 성질이 정확히 유지되지 "
               "않으니 통계는 학습 세트에서만 구해서 그대로 재사용해야 합니다. 참고로 '정규화'는 이런 스케일링 전반이나 "
               "배치/레이어 정규화를 가리키기도 하니 어떤 의미인지 확인하는 것이 좋습니다."},
    .topic = "D",
    .run = run,
});

}  // namespace
}  // namespace nabla::lab
