// The model registry: every model builds from its entry and maps one sample of the input it declares to one
// score per class; names are unique; recipes are complete; unknown names and options are errors that list
// what is known. Written over registry().entries(), so a new model is tested without touching this file.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "nabla/autograd.h"
#include "nabla/factory.h"
#include "nabla/models/registry.h"
#include "nabla/ops.h"
#include "tests/common/expect_error.h"

namespace nabla::models {
namespace {

using testing::expect_error;

TEST(Registry, HoldsTheZoo) {
  const std::vector<std::string> names = registry().names();
  EXPECT_NE(std::find(names.begin(), names.end(), "mlp"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "lenet"), names.end());
}

TEST(Registry, NamesAreUnique) {
  const std::vector<std::string> names = registry().names();
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  ModelEntry entry = registry().entries().front();
  expect_error([&] { Registry({entry, entry}); }, {"model '" + entry.name + "' is registered twice"});
}

// A language model (data set "text") classifies each position's next token: token ids [B, T] in, logits
// [B, T, V] out, V being `classes` (the vocabulary); a segmentation model scores each pixel.
TEST(Registry, EveryModelMapsItsDeclaredInputToOneScorePerClass) {
  autograd::NoGradGuard no_grad;
  for (const ModelEntry& entry : registry().entries()) {
    SCOPED_TRACE(entry.name);
    // A batch of two with 10 classes, one sample with 3: three images per model, as the ImageNet-sized
    // models cost seconds per image at one thread.
    for (auto [classes, batch] : {std::pair<int64_t, int64_t>{10, 2}, {3, 1}}) {
      nn::ModulePtr model = registry().make(entry.name, {.classes = classes});
      EXPECT_GT(model->parameter_count(), 0);
      // A language model (data set "text") maps token ids [B, T] to next-token logits [B, T, classes].
      if (entry.input.dataset == "text") {
        const Tensor ids = randint(0, classes, entry.batch_shape(batch), DType::i64);
        EXPECT_EQ((*model)(ids).shape(), (Shape{batch, entry.input.shape[0], classes}));
        continue;
      }
      // A segmentation model (data set "segmentation") scores every pixel: [B, classes, H, W].
      if (entry.input.dataset == "segmentation") {
        EXPECT_EQ((*model)(randn(entry.batch_shape(batch))).shape(),
                  (Shape{batch, classes, entry.input.shape[1], entry.input.shape[2]}));
        continue;
      }
      EXPECT_EQ((*model)(randn(entry.batch_shape(batch))).shape(), (Shape{batch, classes}));
    }
  }
}

TEST(Registry, EveryEntryIsComplete) {
  const std::set<std::string> optimizers{"sgd", "adam", "adamw", "rmsprop", "adagrad"};
  const std::set<std::string> schedulers{"none", "step", "cosine", "onecycle"};
  for (const ModelEntry& entry : registry().entries()) {
    SCOPED_TRACE(entry.name);
    EXPECT_FALSE(entry.description.empty());
    EXPECT_EQ(entry.description.find('\n'), std::string::npos);
    EXPECT_FALSE(entry.input.dataset.empty());
    EXPECT_FALSE(entry.input.shape.empty());
    for (int64_t size : entry.input.shape) EXPECT_GT(size, 0);
    EXPECT_TRUE(optimizers.count(entry.recipe.optimizer));
    EXPECT_TRUE(schedulers.count(entry.recipe.scheduler));
    EXPECT_GT(entry.recipe.lr, 0);
    EXPECT_GE(entry.recipe.weight_decay, 0);
    EXPECT_GE(entry.recipe.momentum, 0);
    EXPECT_GT(entry.recipe.epochs, 0);
    EXPECT_GT(entry.recipe.batch_size, 0);
    // What `nabla train` would refuse on its command line, a recipe must not hold either.
    EXPECT_TRUE(!entry.recipe.nesterov || (entry.recipe.optimizer == "sgd" && entry.recipe.momentum > 0));
    EXPECT_GE(entry.recipe.warmup_epochs, 0);
    EXPECT_LE(entry.recipe.warmup_epochs, entry.recipe.epochs);
    EXPECT_TRUE(entry.recipe.warmup_epochs == 0 || entry.recipe.scheduler != "onecycle");
    EXPECT_GE(entry.recipe.label_smoothing, 0);
    EXPECT_LE(entry.recipe.label_smoothing, 1);
    const Augmentation& augmentation = entry.recipe.augmentation;
    EXPECT_GE(augmentation.random_crop_padding, 0);
    for (double probability : {augmentation.horizontal_flip, augmentation.random_erasing}) {
      EXPECT_GE(probability, 0);
      EXPECT_LE(probability, 1);
    }
  }
}

TEST(Registry, UnknownModelListsTheKnownOnes) {
  std::vector<std::string> expected{"unknown model 'resnet9000'"};
  for (const std::string& name : registry().names()) expected.push_back(name);
  expect_error([] { registry().at("resnet9000"); }, expected);
  expect_error([] { registry().make("resnet9000"); }, expected);
  EXPECT_EQ(registry().find("resnet9000"), nullptr);
}

TEST(Registry, OptionsOverrideTheFamilyDefaults) {
  // mlp with one hidden layer of 32: 784·32 + 32 weights and biases, then 32·10 + 10.
  nn::ModulePtr narrow = registry().make("mlp", {.overrides = {{"hidden", {32}}}});
  EXPECT_EQ(narrow->parameter_count(), 784 * 32 + 32 + 32 * 10 + 10);
  expect_error([] { registry().make("mlp", {.overrides = {{"depth", 3}}}); }, {"model 'mlp'", "unknown option 'depth'", "hidden"});
  expect_error([] { registry().check_options("mlp", {.overrides = {{"depth", 3}}}); }, {"model 'mlp'", "unknown option 'depth'", "hidden"});
  EXPECT_NO_THROW(registry().check_options("mlp", {.overrides = {{"hidden", {32}}}}));
  expect_error([] { registry().make("mlp", {.overrides = {{"hidden", "wide"}}}); }, {"mlp", "hidden", "\"wide\""});
  expect_error([] { registry().make("lenet", {.overrides = {{"hidden", {32}}}}); }, {"model 'lenet'", "takes none"});
  expect_error([] { registry().make("lenet", {.classes = 0}); }, {"model 'lenet'", "classes"});
}

}  // namespace
}  // namespace nabla::models
