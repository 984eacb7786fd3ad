// PCA on data with known principal axes (against eigh of the sample covariance), and k-means on
// well-separated blobs.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/analysis/kmeans.h"
#include "nabla/analysis/pca.h"
#include "nabla/factory.h"
#include "nabla/linalg.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::analysis {
namespace {

constexpr TensorOptions f64{.dtype = DType::f64};

// 400 samples in 4-D with standard deviations 5, 2, 0.5, 0.1 along the columns of a random rotation,
// around a mean that is not zero.
Tensor elongated_cloud(Generator& generator) {
  Tensor rotation = linalg::qr(randn({4, 4}, f64, &generator)).first;
  Tensor scales = tensor({5.0, 2.0, 0.5, 0.1}, f64);
  return matmul(randn({400, 4}, f64, &generator) * scales, rotation.t()) + tensor({1.0, -3.0, 2.0, 0.5}, f64);
}

TEST(PCA, ComponentsAreTheCovarianceEigenvectors) {
  Generator generator(1);
  Tensor data = elongated_cloud(generator);
  PCA pca(2);
  pca.fit(data);
  Tensor centred = data - mean(data, {0});
  auto [values, vectors] = linalg::eigh(matmul(centred.t(), centred) / 399.0);  // ascending
  std::vector<double> variances = pca.explained_variance().to_vector();
  ASSERT_EQ(variances.size(), 2u);
  EXPECT_NEAR(variances[0], values.to_vector()[3], 1e-9 * variances[0]);
  EXPECT_NEAR(variances[1], values.to_vector()[2], 1e-9 * variances[0]);
  EXPECT_GT(variances[0], 15.0);  // about 25: the long axis was found
  for (int64_t i = 0; i < 2; ++i) {
    Tensor component = pca.components().select(0, i);
    Tensor eigenvector = vectors.select(1, 3 - i);
    EXPECT_NEAR(std::abs(sum(component * eigenvector).item()), 1.0, 1e-9);
    EXPECT_GT(max(component).item(), -min(component).item());  // the sign convention
  }
  std::vector<double> ratios = pca.explained_variance_ratio().to_vector();
  EXPECT_NEAR(ratios[0], variances[0] / sum(values).item(), 1e-12);
}

TEST(PCA, ReconstructionErrorIsTheDroppedVariance) {
  Generator generator(2);
  Tensor data = elongated_cloud(generator);
  PCA all;
  all.fit(data);
  std::vector<double> variances = all.explained_variance().to_vector();
  ASSERT_EQ(variances.size(), 4u);
  EXPECT_NEAR(sum(all.explained_variance_ratio()).item(), 1.0, 1e-12);
  EXPECT_LT(all.reconstruction_error(data), 1e-20);  // nothing dropped
  for (int64_t kept : {1, 2, 3}) {
    PCA pca(kept);
    pca.fit(data);
    double dropped = 0;
    for (int64_t i = kept; i < 4; ++i) dropped += variances[i];
    EXPECT_NEAR(pca.reconstruction_error(data), dropped * 399.0 / 400.0, 1e-9 * dropped) << kept << " kept";
    EXPECT_EQ(pca.transform(data).shape(), (Shape{400, kept}));
  }
}

TEST(PCA, TransformRoundTripKeepsTheDtype) {
  Generator generator(3);
  Tensor data = elongated_cloud(generator).to(DType::f32);
  PCA pca;
  pca.fit(data);
  Tensor scores = pca.transform(data);
  EXPECT_EQ(scores.dtype(), DType::f32);
  Tensor back = pca.inverse_transform(scores);
  EXPECT_LT(max(abs(back - data)).item(), 1e-4);
  EXPECT_GT(max(abs(scores - data)).item(), 1.0);  // the scores are not the data
}

TEST(PCA, BadInputIsNamed) {
  PCA pca(3);
  testing::expect_error([&] { pca.transform(zeros({2, 3})); }, {"PCA::transform", "fit() first"});
  testing::expect_error([&] { pca.fit(zeros({5})); }, {"PCA::fit", "[samples, features]", "float32[5]"});
  testing::expect_error([&] { pca.fit(zeros({5, 2})); }, {"PCA::fit", "3 components", "at most 2"});
  testing::expect_error([] { PCA(-1); }, {"PCA", "-1"});
  PCA fitted(1);
  fitted.fit(randn({6, 3}));
  testing::expect_error([&] { fitted.transform(zeros({2, 4})); }, {"PCA::transform", "4 columns, expected 3"});
  testing::expect_error([&] { fitted.inverse_transform(zeros({2, 2})); }, {"PCA::inverse_transform", "expected 1"});
}

// Three blobs of 40 points, σ = 0.5, around centres 10 apart.
Tensor blobs(const Tensor& centres, Generator& generator) {
  std::vector<Tensor> groups;
  for (int64_t i = 0; i < centres.size(0); ++i) groups.push_back(randn({40, 2}, f64, &generator) * 0.5 + centres.select(0, i));
  return cat(groups);
}

TEST(KMeans, RecoversTheCentresOfSeparatedBlobs) {
  Tensor centres = tensor({{0.0, 0.0}, {10.0, 0.0}, {0.0, 10.0}}, f64);
  Generator data_generator(4);
  Tensor data = blobs(centres, data_generator);
  KMeans kmeans({.clusters = 3});
  Generator generator(1);
  kmeans.fit(data, generator);
  // Each true centre has a found centre within 0.3 (the blob's mean is within ≈ 0.08 of it).
  Tensor found_for_each = kmeans.predict(centres);
  std::vector<double> labels = found_for_each.to_vector();
  EXPECT_NE(labels[0], labels[1]);
  EXPECT_NE(labels[0], labels[2]);
  EXPECT_NE(labels[1], labels[2]);
  Tensor nearest = index_select(kmeans.centers(), 0, found_for_each);
  EXPECT_LT(max(norm(nearest - centres, 2, {1})).item(), 0.3);
  // Every point of a blob carries its blob's label.
  std::vector<double> point_labels = kmeans.labels().to_vector();
  for (size_t i = 0; i < point_labels.size(); ++i) EXPECT_EQ(point_labels[i], labels[i / 40]) << "point " << i;
  EXPECT_NEAR(kmeans.inertia(), sum(pow(data - index_select(kmeans.centers(), 0, kmeans.labels()), 2.0)).item(), 1e-9);
}

TEST(KMeans, InertiaNeverIncreasesAndASeedRepeats) {
  Generator data_generator(5);
  Tensor data = rand({300, 3}, f64, &data_generator);  // no clusters: Lloyd needs many steps
  KMeans first({.clusters = 6, .max_iterations = 50, .tolerance = 0});
  Generator generator(9);
  first.fit(data, generator);
  const std::vector<double>& history = first.inertia_history();
  ASSERT_GE(history.size(), 4u);
  for (size_t i = 1; i < history.size(); ++i) EXPECT_LE(history[i], history[i - 1] * (1 + 1e-12)) << "step " << i;
  EXPECT_LT(history.back(), history.front());
  EXPECT_EQ(first.iterations(), static_cast<int64_t>(history.size()) - 1);

  KMeans second({.clusters = 6, .max_iterations = 50, .tolerance = 0});
  Generator same_seed(9);
  second.fit(data, same_seed);
  EXPECT_EQ(second.centers().to_vector(), first.centers().to_vector());
  EXPECT_EQ(second.inertia_history(), history);
}

TEST(KMeans, BadInputIsNamed) {
  Generator generator(0);
  KMeans kmeans({.clusters = 4});
  testing::expect_error([&] { kmeans.predict(zeros({2, 2})); }, {"KMeans::predict", "fit() first"});
  testing::expect_error([&] { kmeans.fit(zeros({3, 2}), generator); }, {"KMeans::fit", "4 clusters", "float32[3, 2]"});
  testing::expect_error([&] { kmeans.fit(zeros({8, 2}), generator); }, {"KMeans::fit", "fewer than 4 distinct"});
  testing::expect_error([&] { kmeans.fit(zeros({8}), generator); }, {"KMeans::fit", "[samples, features]"});
  testing::expect_error([] { KMeans({.clusters = 0}); }, {"KMeans", "clusters", "0"});
}

}  // namespace
}  // namespace nabla::analysis
