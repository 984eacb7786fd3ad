// Data: IDX files (valid, corrupt, truncated, missing), Fashion-MNIST, splits, samplers, transforms and the
// loader's determinism with and without prefetching.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "nabla/data/dataset.h"
#include "nabla/data/idx.h"
#include "nabla/data/loader.h"
#include "nabla/nabla.h"

namespace nabla::data {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("nabla_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes, bool gzip = false) {
  if (gzip) {
    gzFile file = gzopen(path.c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
    return;
  }
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<unsigned char> idx_bytes(std::vector<uint32_t> shape, int payload_delta = 0) {
  std::vector<unsigned char> bytes{0, 0, 0x08, static_cast<unsigned char>(shape.size())};
  uint32_t count = 1;
  for (uint32_t size : shape) {
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<unsigned char>(size >> shift));
    count *= size;
  }
  for (int64_t i = 0; i < static_cast<int64_t>(count) + payload_delta; ++i) bytes.push_back(static_cast<unsigned char>(i % 251));
  return bytes;
}

template <typename Action>
void expect_error(Action&& action, std::initializer_list<std::string> fragments) {
  try {
    action();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& error) {
    for (const std::string& fragment : fragments) {
      EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
    }
  }
}

TEST(Idx, ReadsRawAndGzip) {
  for (bool gzip : {false, true}) {
    std::string path = temp_path(gzip ? "ok.gz" : "ok");
    write_bytes(path, idx_bytes({2, 3, 4}), gzip);
    Tensor t = read_idx(path);
    EXPECT_EQ(t.shape(), (Shape{2, 3, 4}));
    EXPECT_EQ(t.dtype(), DType::u8);
    EXPECT_EQ(t.to_vector()[23], 23);
    std::filesystem::remove(path);
  }
}

TEST(Idx, CorruptFilesAreNamed) {
  std::string path = temp_path("bad");
  expect_error([&] { read_idx(path); }, {path, "does not exist"});
  write_bytes(path, {1, 2});
  expect_error([&] { read_idx(path); }, {path, "shorter"});
  write_bytes(path, {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 7});
  expect_error([&] { read_idx(path); }, {path, "not an IDX"});
  write_bytes(path, {0, 0, 0x0D, 0x01, 0, 0, 0, 1, 7});
  expect_error([&] { read_idx(path); }, {path, "0x0d"});
  write_bytes(path, idx_bytes({10, 28}, -5));
  expect_error([&] { read_idx(path); }, {path, "truncated", "[10, 28]"});
  write_bytes(path, idx_bytes({3}, 2));
  expect_error([&] { read_idx(path); }, {path, "after"});
  write_bytes(path, {0, 0, 0x08, 0x02, 0, 0, 0, 1});
  expect_error([&] { read_idx(path); }, {path, "header"});
  std::filesystem::remove(path);
}

// A gzip file whose data inflates to the right size but whose checksum fails must not be read as good data.
TEST(Idx, GzipChecksumErrorsAreCorruption) {
  std::string path = temp_path("crc.gz");
  write_bytes(path, idx_bytes({4, 5}), true);
  std::vector<char> bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 8u);
  bytes[bytes.size() - 8] ^= 0x5a;  // the trailer's CRC-32 (then the length, 4 bytes each)
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  expect_error([&] { read_idx(path); }, {path, "corrupt"});
  std::filesystem::remove(path);
}

TEST(FashionMnist, LoadsTheDebianPackage) {
  std::string directory = fashion_mnist_directory();
  if (!std::filesystem::exists(directory)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto test = fashion_mnist(Split::test);
  EXPECT_EQ(test->size(), 10000);
  Batch batch = test->get_batch({0, 1, 2});
  EXPECT_EQ(batch.inputs.shape(), (Shape{3, 1, 28, 28}));
  EXPECT_EQ(batch.inputs.dtype(), DType::f32);
  EXPECT_EQ(batch.targets.to_vector(), (std::vector<double>{9, 2, 1}));  // the test set's first labels
  double maximum = max(batch.inputs).item();
  EXPECT_LE(maximum, 1.0);
  EXPECT_GT(maximum, 0.5);
  std::map<int64_t, int64_t> counts;
  for (int64_t label : test->labels()) ++counts[label];
  EXPECT_EQ(counts.size(), 10u);
  for (auto& [label, count] : counts) EXPECT_EQ(count, 1000);
}

// u8 images are gathered and scaled in one pass; the values must be those of the op-by-op conversion.
TEST(TensorDataset, BytesBecomeTheSameFloatsAsIndexSelectThenDivide) {
  std::vector<double> bytes;
  for (int64_t i = 0; i < 5 * 2 * 3 * 26; ++i) bytes.push_back(static_cast<double>(i % 256));
  Tensor images = from_vector(bytes, {5, 2, 3, 26}, {.dtype = DType::u8});
  TensorDataset data(images, from_vector({0, 1, 2, 3, 4}, {5}, {.dtype = DType::i64}));
  const std::vector<int64_t> picked{4, 0, 4, 2};
  Batch batch = data.get_batch(picked);
  Tensor expected = index_select(images, 0, from_vector({4, 0, 4, 2}, {4}, {.dtype = DType::i64})).to(DType::f32) / 255.0;
  EXPECT_EQ(batch.inputs.shape(), expected.shape());
  EXPECT_EQ(batch.inputs.dtype(), DType::f32);
  EXPECT_EQ(batch.inputs.to_vector(), expected.to_vector());
  EXPECT_EQ(batch.targets.to_vector(), (std::vector<double>{4, 0, 4, 2}));
}

TEST(FashionMnist, MissingDirectoryIsExplained) {
  expect_error([] { fashion_mnist(Split::train, "/nonexistent/dir"); }, {"/nonexistent/dir", "dataset-fashion-mnist"});
}

std::shared_ptr<TensorDataset> toy(int64_t count, int64_t classes) {
  std::vector<double> inputs, targets;
  for (int64_t i = 0; i < count; ++i) {
    inputs.push_back(static_cast<double>(i));
    targets.push_back(static_cast<double>(i % classes));
  }
  return std::make_shared<TensorDataset>(from_vector(inputs, {count, 1}), from_vector(targets, {count}, {.dtype = DType::i64}));
}

TEST(Splits, PartitionTheDataSet) {
  auto data = toy(100, 4);
  auto [train, validation] = random_split(data, 0.8, 1);
  EXPECT_EQ(train->size(), 80);
  EXPECT_EQ(validation->size(), 20);
  std::set<int64_t> all(train->indices().begin(), train->indices().end());
  all.insert(validation->indices().begin(), validation->indices().end());
  EXPECT_EQ(all.size(), 100u);
  auto [first, second] = stratified_split(data, 0.5, 2);
  std::map<int64_t, int64_t> counts;
  for (int64_t label : first->labels()) ++counts[label];
  for (auto& [label, count] : counts) EXPECT_EQ(count, 13) << "class " << label;  // 25 per class, half rounded
  auto folds = k_fold(data, 5, 3);
  ASSERT_EQ(folds.size(), 5u);
  std::set<int64_t> validated;
  for (auto& [fold_train, fold_validation] : folds) {
    EXPECT_EQ(fold_train->size() + fold_validation->size(), 100);
    validated.insert(fold_validation->indices().begin(), fold_validation->indices().end());
  }
  EXPECT_EQ(validated.size(), 100u);
}

// An imbalanced set (classes of 50, 30 and 20 examples) so that the shares need rounding.
std::shared_ptr<TensorDataset> imbalanced() {
  std::vector<double> inputs, targets;
  for (int64_t i = 0; i < 100; ++i) {
    inputs.push_back(static_cast<double>(i));
    targets.push_back(i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : 2);
  }
  return std::make_shared<TensorDataset>(from_vector(inputs, {100, 1}), from_vector(targets, {100}, {.dtype = DType::i64}));
}

std::map<int64_t, int64_t> class_counts(const Dataset& dataset) {
  std::map<int64_t, int64_t> counts;
  for (int64_t label : dataset.labels()) ++counts[label];
  return counts;
}

TEST(Splits, StratifiedByCountKeepsClassSharesAndTheExactCount) {
  auto data = imbalanced();
  const std::map<int64_t, int64_t> all = class_counts(*data);
  for (int64_t count : {1, 7, 10, 33, 50, 99}) {
    auto [first, second] = stratified_split_by_count(data, count, 4);
    ASSERT_EQ(first->size(), count);
    ASSERT_EQ(second->size(), data->size() - count);
    // Each class gets its exact share rounded down or up: never off by a whole example or more.
    const std::map<int64_t, int64_t> counts = class_counts(*first);
    int64_t total = 0;
    for (auto& [label, size] : all) {
      const double share = static_cast<double>(count * size) / static_cast<double>(data->size());
      const int64_t got = counts.count(label) ? counts.at(label) : 0;
      EXPECT_LT(std::abs(static_cast<double>(got) - share), 1.0) << "count " << count << ", class " << label;
      total += got;
    }
    EXPECT_EQ(total, count);
    // Disjoint, and together the whole set.
    std::set<int64_t> seen(first->indices().begin(), first->indices().end());
    for (int64_t index : second->indices()) EXPECT_TRUE(seen.insert(index).second) << "index " << index << " in both";
    EXPECT_EQ(static_cast<int64_t>(seen.size()), data->size());
  }
}

TEST(Splits, StratifiedByCountDependsOnlyOnTheSeed) {
  auto data = imbalanced();
  auto [first, second] = stratified_split_by_count(data, 20, 11);
  auto [again, again_rest] = stratified_split_by_count(data, 20, 11);
  EXPECT_EQ(first->indices(), again->indices());
  EXPECT_EQ(second->indices(), again_rest->indices());
  auto [other, other_rest] = stratified_split_by_count(data, 20, 12);
  EXPECT_NE(first->indices(), other->indices());
  EXPECT_EQ(class_counts(*first), class_counts(*other));  // a different draw, the same class counts
}

TEST(Splits, StratifiedByCountRefusesCountsThatLeaveAPartEmpty) {
  auto data = imbalanced();
  expect_error([&] { stratified_split_by_count(data, 0, 1); }, {"stratified_split_by_count", "1 to 99", "got 0"});
  expect_error([&] { stratified_split_by_count(data, 100, 1); }, {"stratified_split_by_count", "got 100"});
}

TEST(Samplers, WeightedOversamplesAndUndersamplingBalances) {
  std::vector<int64_t> labels(100, 0);
  for (int i = 0; i < 10; ++i) labels[static_cast<size_t>(i)] = 1;  // 90:10
  auto weighted = WeightedSampler::balancing(labels);
  std::vector<int64_t> order = weighted->order(100, 5, 0);
  int64_t rare = 0;
  for (int64_t index : order) rare += labels[static_cast<size_t>(index)];
  EXPECT_GT(rare, 30);  // about half of 100 draws
  EXPECT_LT(rare, 70);
  BalancedUndersampler balanced(labels);
  std::vector<int64_t> kept = balanced.order(100, 5, 0);
  EXPECT_EQ(kept.size(), 20u);
  int64_t ones = 0;
  for (int64_t index : kept) ones += labels[static_cast<size_t>(index)];
  EXPECT_EQ(ones, 10);
}

TEST(Loader, SameBatchesWithAndWithoutPrefetch) {
  auto data = toy(103, 3);
  auto transform = compose({gaussian_noise(0.1)});
  std::vector<std::vector<double>> seen[2];
  for (int prefetch : {0, 3}) {
    DataLoader loader(data, {.batch_size = 10, .shuffle = true, .seed = 9, .prefetch = prefetch, .transform = transform});
    EXPECT_EQ(loader.batches_per_epoch(), 11);
    auto epoch = loader.epoch(2);
    while (auto batch = epoch->next()) seen[prefetch ? 1 : 0].push_back(batch->inputs.to_vector());
  }
  EXPECT_EQ(seen[0], seen[1]);
  ASSERT_EQ(seen[0].size(), 11u);
  EXPECT_EQ(seen[0].back().size(), 3u);
}

TEST(Loader, EpochsDifferAndResumingMidEpochMatches) {
  auto data = toy(50, 2);
  DataLoader loader(data, {.batch_size = 8, .shuffle = true, .drop_last = true, .seed = 4});
  EXPECT_EQ(loader.batches_per_epoch(), 6);
  auto first = loader.epoch(0), second = loader.epoch(1);
  EXPECT_NE(first->next()->targets.to_vector(), second->next()->targets.to_vector());
  auto full = loader.epoch(3);
  full->next();
  full->next();
  auto resumed = loader.epoch(3, 2);
  EXPECT_EQ(full->next()->inputs.to_vector(), resumed->next()->inputs.to_vector());
}

TEST(Loader, RangeForVisitsEveryBatchOfAnEpoch) {
  auto data = toy(50, 2);
  DataLoader loader(data, {.batch_size = 8, .shuffle = true, .seed = 4, .prefetch = 1});
  // An epoch, by number: the same batches as next() gives.
  std::vector<std::vector<double>> by_range, by_next;
  for (Batch& batch : loader.batches(3)) by_range.push_back(batch.targets.to_vector());
  auto epoch = loader.epoch(3);
  while (auto batch = epoch->next()) by_next.push_back(batch->targets.to_vector());
  EXPECT_EQ(by_range, by_next);
  ASSERT_EQ(by_range.size(), 7u);  // 6 full batches and one of 2
  // The loader itself: each loop is the next epoch (0, then 1), as LibTorch's `for (auto& batch : *loader)`.
  std::vector<std::vector<double>> first_loop, second_loop;
  for (Batch& batch : loader) first_loop.push_back(batch.targets.to_vector());
  for (const Batch& batch : loader) second_loop.push_back(batch.targets.to_vector());
  std::vector<std::vector<double>> epoch_zero, epoch_one;
  for (Batch& batch : loader.batches(0)) epoch_zero.push_back(batch.targets.to_vector());
  for (Batch& batch : loader.batches(1)) epoch_one.push_back(batch.targets.to_vector());
  EXPECT_EQ(first_loop, epoch_zero);
  EXPECT_EQ(second_loop, epoch_one);
  EXPECT_NE(first_loop, second_loop);
}

TEST(Loader, SamplerAndTransformAreOptions) {
  auto data = toy(12, 2);
  // A sampler that visits the examples backwards, and a transform that negates each batch.
  class Backwards : public Sampler {
   public:
    std::vector<int64_t> order(int64_t size, uint64_t, int64_t) const override {
      std::vector<int64_t> order(static_cast<size_t>(size));
      for (int64_t i = 0; i < size; ++i) order[static_cast<size_t>(i)] = size - 1 - i;
      return order;
    }
  };
  class Negate : public Transform {
   public:
    Tensor apply(const Tensor& batch, const std::vector<uint64_t>&) const override { return -batch; }
  };
  DataLoader plain(data, {.batch_size = 12, .shuffle = false});
  DataLoader loader(data, {.batch_size = 12, .sampler = std::make_shared<Backwards>(),
                           .transform = std::make_shared<Negate>()});
  std::vector<double> forward = plain.epoch(0)->next()->inputs.flatten(1).select(1, 0).to_vector();
  std::vector<double> changed = loader.epoch(0)->next()->inputs.flatten(1).select(1, 0).to_vector();
  ASSERT_EQ(forward.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_DOUBLE_EQ(changed[i], -forward[11 - i]) << "example " << i;
}

TEST(Loader, ErrorsInTheWorkerReachTheCaller) {
  class Broken : public Dataset {
   public:
    int64_t size() const override { return 10; }
    Batch get_batch(const std::vector<int64_t>&) const override { throw Error("broken: cannot read example"); }
  };
  DataLoader loader(std::make_shared<Broken>(), {.batch_size = 4, .prefetch = 2});
  auto epoch = loader.epoch(0);
  EXPECT_THROW(epoch->next(), Error);
  EXPECT_THROW(DataLoader(std::make_shared<Broken>(), {.batch_size = 0}), Error);
}

TEST(Transforms, KeyedAndShapePreserving) {
  Tensor images = rand({4, 1, 8, 8});
  std::vector<uint64_t> keys{1, 2, 3, 4};
  for (const TransformPtr& t : {random_crop(8, 2), random_horizontal_flip(1.0), random_erasing(1.0), gaussian_noise(0.5),
                                normalize({0.5}, {0.25}), standardize(), min_max_scale()}) {
    Tensor a = t->apply(images, keys), b = t->apply(images, keys);
    EXPECT_EQ(a.shape(), images.shape());
    EXPECT_EQ(a.to_vector(), b.to_vector());  // same keys, same result
  }
  Tensor flipped = random_horizontal_flip(1.0)->apply(images, keys);
  EXPECT_EQ(flipped.select(3, 0).to_vector(), images.select(3, 7).to_vector());
  Tensor erased = random_erasing(1.0, {0.1, 0.1})->apply(ones({1, 1, 10, 10}), {7});
  double zeroed = 100 - sum(erased).item();
  EXPECT_GT(zeroed, 3);
  EXPECT_LT(zeroed, 20);
}

}  // namespace
}  // namespace nabla::data
