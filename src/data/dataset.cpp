#include "nabla/data/dataset.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "nabla/data/idx.h"
#include "nabla/factory.h"
#include "nabla/ops.h"

namespace nabla::data {
namespace {

Tensor index_tensor(const std::vector<int64_t>& indices) {
  Tensor result = empty({static_cast<int64_t>(indices.size())}, {.dtype = DType::i64});
  std::copy(indices.begin(), indices.end(), result.data<int64_t>());
  return result;
}

std::vector<int64_t> shuffled(int64_t count, uint64_t seed) {
  Generator generator(seed);
  std::vector<double> order = randperm(count, {}, &generator).to_vector();
  return {order.begin(), order.end()};
}

// The images of a u8 data set as float32 in [0, 1], gathered and converted in one pass: the same values
// as index_select, .to(f32) and / 255 (each quotient is rounded once to float), without two intermediate
// batches. Runs on the loader's thread, which shares the cores with the training step.
Tensor gather_scaled(const Tensor& images, const std::vector<int64_t>& indices) {
  Shape shape = images.shape();
  shape[0] = static_cast<int64_t>(indices.size());
  Tensor result = empty(shape);
  const int64_t sample = images.numel() / std::max<int64_t>(images.size(0), 1);
  const auto* source = static_cast<const uint8_t*>(images.raw_data());
  float* out = result.data<float>();
  for (size_t i = 0; i < indices.size(); ++i) {
    const uint8_t* pixels = source + indices[i] * sample;
    float* row = out + static_cast<int64_t>(i) * sample;
#pragma omp simd
    for (int64_t k = 0; k < sample; ++k) row[k] = static_cast<float>(pixels[k]) / 255.0f;
  }
  return result;
}

}  // namespace

std::vector<int64_t> Dataset::labels() const {
  throw Error("dataset: this data set has no class labels (needed by stratified splits and balanced samplers)");
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets, std::vector<std::string> class_names)
    : inputs_(std::move(inputs)), targets_(std::move(targets)), class_names_(std::move(class_names)) {
  NABLA_CHECK(inputs_.dim() >= 1 && targets_.dim() >= 1 && inputs_.size(0) == targets_.size(0),
              "TensorDataset: inputs {} and targets {} must have the same first dim", inputs_.describe(),
              targets_.describe());
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  for (int64_t index : indices) {
    NABLA_CHECK(index >= 0 && index < size(), "dataset: index {} is out of range for {} examples", index, size());
  }
  Tensor positions = index_tensor(indices);
  Tensor targets = index_select(targets_, 0, positions);
  if (inputs_.dtype() == DType::u8 && inputs_.is_contiguous()) return {gather_scaled(inputs_, indices), targets};
  Tensor inputs = index_select(inputs_, 0, positions);
  if (inputs.dtype() == DType::u8) inputs = inputs.to(DType::f32) / 255.0;
  return {inputs, targets};
}

std::vector<int64_t> TensorDataset::labels() const {
  NABLA_CHECK(targets_.dim() == 1 && is_integral(targets_.dtype()), "dataset: targets {} are not class labels",
              targets_.describe());
  std::vector<double> values = targets_.to_vector();
  return {values.begin(), values.end()};
}

Subset::Subset(DatasetPtr base, std::vector<int64_t> indices) : base_(std::move(base)), indices_(std::move(indices)) {
  for (int64_t index : indices_) {
    NABLA_CHECK(index >= 0 && index < base_->size(), "Subset: index {} is out of range for {} examples", index,
                base_->size());
  }
}

Batch Subset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped;
  mapped.reserve(indices.size());
  for (int64_t index : indices) {
    NABLA_CHECK(index >= 0 && index < size(), "Subset: index {} is out of range for {} examples", index, size());
    mapped.push_back(indices_[static_cast<size_t>(index)]);
  }
  return base_->get_batch(mapped);
}

std::vector<int64_t> Subset::labels() const {
  std::vector<int64_t> all = base_->labels(), result;
  for (int64_t index : indices_) result.push_back(all[static_cast<size_t>(index)]);
  return result;
}

// ---- Fashion-MNIST
const std::vector<std::string> fashion_mnist_classes = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string fashion_mnist_directory(const std::string& directory) {
  if (!directory.empty()) return directory;
  if (const char* environment = std::getenv("NABLA_DATA"); environment && *environment) return environment;
  return "/usr/share/datasets/fashion-mnist";
}

std::shared_ptr<TensorDataset> fashion_mnist(Split split, const std::string& directory) {
  std::string root = fashion_mnist_directory(directory);
  std::string prefix = split == Split::train ? "train" : "t10k";
  auto find = [&](const std::string& stem) {
    for (const std::string& name : {stem + ".gz", stem}) {
      std::filesystem::path path = std::filesystem::path(root) / name;
      if (std::filesystem::exists(path)) return path.string();
    }
    throw Error(fmt::format("fashion_mnist: {}(.gz) not found in {}; install the Debian package dataset-fashion-mnist "
                            "(scripts/install-deps.sh does) or pass --data DIR / set NABLA_DATA",
                            stem, root));
  };
  std::string images_path = find(prefix + "-images-idx3-ubyte"), labels_path = find(prefix + "-labels-idx1-ubyte");
  Tensor images = read_idx(images_path), labels = read_idx(labels_path);
  NABLA_CHECK(images.dim() == 3 && images.size(1) == 28 && images.size(2) == 28,
              "fashion_mnist: {} holds {} images; expected [N, 28, 28]", images_path, shape_string(images.shape()));
  NABLA_CHECK(labels.dim() == 1 && labels.size(0) == images.size(0),
              "fashion_mnist: {} holds {} labels but {} holds {} images", labels_path, shape_string(labels.shape()),
              images_path, images.size(0));
  Tensor targets = labels.to(DType::i64);
  std::vector<double> values = targets.to_vector();
  for (size_t i = 0; i < values.size(); ++i) {
    NABLA_CHECK(values[i] < 10, "fashion_mnist: {} has label {} at position {}; classes are 0 to 9", labels_path,
                values[i], i);
  }
  return std::make_shared<TensorDataset>(images.unsqueeze(1), targets, fashion_mnist_classes);
}

// ---- splits
std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> random_split(DatasetPtr dataset, double first_fraction,
                                                                         uint64_t seed) {
  NABLA_CHECK(first_fraction > 0 && first_fraction < 1, "random_split: fraction must be in (0, 1), got {}", first_fraction);
  std::vector<int64_t> order = shuffled(dataset->size(), seed);
  auto cut = static_cast<std::ptrdiff_t>(static_cast<double>(order.size()) * first_fraction + 0.5);
  return {std::make_shared<Subset>(dataset, std::vector<int64_t>(order.begin(), order.begin() + cut)),
          std::make_shared<Subset>(dataset, std::vector<int64_t>(order.begin() + cut, order.end()))};
}

namespace {

// Each class's examples in the seeded shuffled order, so taking a prefix of each class is a random draw.
std::map<int64_t, std::vector<int64_t>> shuffled_by_class(const Dataset& dataset, uint64_t seed) {
  std::vector<int64_t> labels = dataset.labels();
  std::map<int64_t, std::vector<int64_t>> by_class;
  for (int64_t index : shuffled(dataset.size(), seed)) by_class[labels[static_cast<size_t>(index)]].push_back(index);
  return by_class;
}

// The first `cuts[label]` examples of each class go to the first part, the rest to the second; both sorted.
std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> split_classes(
    const DatasetPtr& dataset, const std::map<int64_t, std::vector<int64_t>>& by_class,
    const std::map<int64_t, size_t>& cuts) {
  std::vector<int64_t> first, second;
  for (const auto& [label, members] : by_class) {
    auto cut = static_cast<std::ptrdiff_t>(cuts.at(label));
    first.insert(first.end(), members.begin(), members.begin() + cut);
    second.insert(second.end(), members.begin() + cut, members.end());
  }
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  return {std::make_shared<Subset>(dataset, first), std::make_shared<Subset>(dataset, second)};
}

}  // namespace

std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> stratified_split(DatasetPtr dataset, double first_fraction,
                                                                             uint64_t seed) {
  NABLA_CHECK(first_fraction > 0 && first_fraction < 1, "stratified_split: fraction must be in (0, 1), got {}",
              first_fraction);
  auto by_class = shuffled_by_class(*dataset, seed);
  std::map<int64_t, size_t> cuts;
  for (const auto& [label, members] : by_class) {
    cuts[label] = static_cast<size_t>(static_cast<double>(members.size()) * first_fraction + 0.5);
  }
  return split_classes(dataset, by_class, cuts);
}

std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>> stratified_split_by_count(DatasetPtr dataset,
                                                                                      int64_t first_count, uint64_t seed) {
  const int64_t size = dataset->size();
  NABLA_CHECK(first_count > 0 && first_count < size,
              "stratified_split_by_count: the first part must hold 1 to {} of the {} examples, got {}", size - 1, size,
              first_count);
  auto by_class = shuffled_by_class(*dataset, seed);
  // Largest remainders: each class gets the floor of its exact share, and the examples still missing go
  // to the classes whose shares lost most to the floor (ties to the smaller label), so the count is exact.
  std::map<int64_t, size_t> cuts;
  std::vector<std::pair<int64_t, int64_t>> remainders;  // (share's remainder × size, label)
  int64_t assigned = 0;
  for (const auto& [label, members] : by_class) {
    const int64_t scaled = first_count * static_cast<int64_t>(members.size());
    cuts[label] = static_cast<size_t>(scaled / size);
    assigned += scaled / size;
    remainders.emplace_back(scaled % size, label);
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; assigned < first_count; ++i, ++assigned) ++cuts[remainders[i].second];
  return split_classes(dataset, by_class, cuts);
}

std::vector<std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>>> k_fold(DatasetPtr dataset, int64_t k,
                                                                                uint64_t seed) {
  NABLA_CHECK(k >= 2 && k <= dataset->size(), "k_fold: k must be between 2 and the data set size ({}), got {}",
              dataset->size(), k);
  std::vector<int64_t> order = shuffled(dataset->size(), seed);
  std::vector<std::pair<std::shared_ptr<Subset>, std::shared_ptr<Subset>>> folds;
  const auto n = static_cast<int64_t>(order.size());
  for (int64_t fold = 0; fold < k; ++fold) {
    int64_t begin = fold * n / k, end = (fold + 1) * n / k;
    std::vector<int64_t> train, validation;
    for (int64_t i = 0; i < n; ++i) (i >= begin && i < end ? validation : train).push_back(order[static_cast<size_t>(i)]);
    folds.emplace_back(std::make_shared<Subset>(dataset, train), std::make_shared<Subset>(dataset, validation));
  }
  return folds;
}

}  // namespace nabla::data
