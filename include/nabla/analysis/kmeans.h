#pragma once
// k-means clustering: k-means++ seeding (Arthur & Vassilvitskii 2007) drawn from a nabla Generator, then
// Lloyd iterations (assign each point to its nearest centre, move each centre to its points' mean).
// The same data and generator seed give the same clustering. Computed in float64.
#include <cstdint>
#include <vector>

#include "nabla/random.h"
#include "nabla/tensor.h"

namespace nabla::analysis {

struct KMeansOptions {
  int64_t clusters = 8;
  int64_t max_iterations = 100;  // Lloyd steps after the seeding
  // Stops once an iteration lowers the inertia by at most tolerance·inertia (or changes no assignment).
  double tolerance = 1e-9;
};

class KMeans {
 public:
  explicit KMeans(KMeansOptions options = {});

  KMeans& fit(const Tensor& data, Generator& generator);  // data [N, D], float32 or float64, N ≥ clusters
  Tensor predict(const Tensor& data) const;               // int64 [M]: the nearest centre of each row

  const Tensor& centers() const;  // [clusters, D] float64
  const Tensor& labels() const;   // int64 [N]: the centre of each point of the fitted data
  double inertia() const;         // Σ over points of the squared distance to their centre
  // The inertia after the seeding and after each Lloyd step: never increases.
  const std::vector<double>& inertia_history() const { return inertia_history_; }
  int64_t iterations() const { return static_cast<int64_t>(inertia_history_.size()) - 1; }  // Lloyd steps run

 private:
  void check_fitted(const char* caller) const;
  KMeansOptions options_;
  Tensor centers_, labels_;
  std::vector<double> inertia_history_;
};

}  // namespace nabla::analysis
