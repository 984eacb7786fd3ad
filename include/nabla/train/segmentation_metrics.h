#pragma once
// Segmentation metrics from a confusion matrix whose examples are pixels (ConfusionMatrix::add takes scores
// [N, C, H, W] and class indices [N, H, W] as well as [N, C] and [N]).
#include "nabla/train/metrics.h"

namespace nabla::train {

// Intersection over union of class c, TP / (TP + FP + FN): 0 when c neither occurs nor is predicted.
double intersection_over_union(const ConfusionMatrix& matrix, int64_t c);
// Mean IoU over the classes that occur or are predicted (a class absent from both has no IoU to average).
double mean_intersection_over_union(const ConfusionMatrix& matrix);

}  // namespace nabla::train
