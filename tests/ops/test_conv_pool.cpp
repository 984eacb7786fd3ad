// Value and error tests for convolution (conv2d, conv1d, conv_transpose2d, unfold, fold), pooling and
// interpolate. Expected values come from hand computation or from PyTorch 2.x on the same inputs (the
// `wave` inputs, sin(a·i + b), are easy to rebuild in Python), and the fast oneDNN paths are checked to
// be selected where they should be.
#include <gtest/gtest.h>

#include "tests/common/expect_error.h"

#include <cmath>
#include <limits>
#include <string>

#include "backend/cpu/kernels.h"
#include "backend/cpu/onednn.h"
#include "nabla/nabla.h"
#include "nabla/nn/functional.h"
#include "ops/op.h"

using namespace nabla;
namespace F = nabla::functional;

namespace {

// sin(a·i + b) over the row-major positions i of `shape`: the same tensor as torch.sin(torch.arange(n)·a + b).
Tensor wave(const Shape& shape, double a = 0.37, double b = 0.1, DType dtype = DType::f64) {
  std::vector<double> values(static_cast<size_t>(numel(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = std::sin(a * static_cast<double>(i) + b);
  return from_vector(values, shape, {.dtype = dtype});
}

void expect_near_all(const Tensor& actual, const std::vector<double>& expected, double tolerance = 1e-7) {
  std::vector<double> values = actual.to_vector();
  ASSERT_EQ(values.size(), expected.size()) << actual.describe();
  for (size_t i = 0; i < values.size(); ++i) EXPECT_NEAR(values[i], expected[i], tolerance) << "element " << i;
}

void expect_close(const Tensor& a, const Tensor& b, double tolerance = 1e-9) {
  ASSERT_EQ(a.shape(), b.shape());
  expect_near_all(a, b.to_vector(), tolerance);
}

using ::nabla::testing::expect_error;

double dot(const Tensor& a, const Tensor& b) { return sum(a * b).item(); }

}  // namespace

// ---- conv2d

TEST(Conv2d, HandComputedWindowSums) {
  // x = 0..15 in a 4×4 plane, w = ones 2×2, bias 0.5: each output is its window's sum plus 0.5.
  Tensor x = arange(16, {.dtype = DType::f32}).reshape({1, 1, 4, 4});
  Tensor w = ones({1, 1, 2, 2});
  Tensor y = F::conv2d(x, w, full({1}, 0.5), {.stride = 2});
  EXPECT_EQ(y.shape(), (Shape{1, 1, 2, 2}));
  expect_near_all(y, {0 + 1 + 4 + 5 + 0.5, 2 + 3 + 6 + 7 + 0.5, 8 + 9 + 12 + 13 + 0.5, 10 + 11 + 14 + 15 + 0.5});
}

TEST(Conv2d, MatchesPyTorchWithGroupsStrideAndPadding) {
  Tensor x = wave({1, 4, 5, 5}), w = wave({4, 2, 3, 3}, 0.53, 0.2), b = wave({4}, 1.1, 0.3);
  Tensor y = F::conv2d(x, w, b, {.stride = 2, .padding = 1, .groups = 2});
  ASSERT_EQ(y.shape(), (Shape{1, 4, 3, 3}));
  const std::vector<double> expected{
      -1.92373443, -1.61904712, 1.00644796,  4.1301284,   2.05035153,  -1.68250502, -1.57274152, 0.442948,
      1.99070761,  3.17186157,  3.17837273,  0.541147584, -2.90335551, -1.19074286, 2.73975929,  3.0736021,
      1.24509171,  -0.564464011, -1.35540974, -2.53759833, -0.0978992659, 4.98141276, 5.17636251, 0.761344304,
      -2.09405937, -1.33819761, 1.20895883,  1.32006524,  2.76017302,  0.481979208, -4.65240883, -5.24609743,
      -0.880887946, 2.34014114, 1.8668327,   -0.805197438};
  expect_near_all(y, expected);
  // float32, through the fast path where it applies: the same values to float precision.
  Tensor y32 = F::conv2d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), {.stride = 2, .padding = 1, .groups = 2});
  EXPECT_EQ(y32.dtype(), DType::f32);
  expect_near_all(y32, expected, 1e-5);
}

TEST(Conv2d, MatchesPyTorchWithAsymmetricStridePaddingDilation) {
  Tensor x = wave({1, 2, 6, 7}), w = wave({3, 2, 2, 3}, 0.53, 0.2);
  Tensor y = F::conv2d(x, w, {}, {.stride = {2, 1}, .padding = {1, 2}, .dilation = {2, 1}});
  ASSERT_EQ(y.shape(), (Shape{1, 3, 3, 9}));
  std::vector<double> values = y.to_vector();
  EXPECT_NEAR(values[0], 0.270907499, 1e-8);
  EXPECT_NEAR(values[10], 2.95048014, 1e-8);
  EXPECT_NEAR(values[24], 1.96489493, 1e-8);
  EXPECT_NEAR(values[26], 0.729402237, 1e-8);
  EXPECT_NEAR(values[80], 0.52099426, 1e-8);
}

TEST(Conv2d, EqualsUnfoldThenMatmul) {
  // An independent route to the same numbers: im2col, then a GEMM with the flattened weight.
  Tensor x = wave({2, 3, 6, 5}), w = wave({4, 3, 2, 3}, 0.53, 0.2);
  Tensor y = F::conv2d(x, w, {}, {.stride = {1, 2}, .padding = 1, .dilation = {2, 1}});
  Tensor columns = F::unfold(x, {.kernel_size = {2, 3}, .dilation = {2, 1}, .padding = 1, .stride = {1, 2}});
  Tensor product = matmul(w.reshape({4, -1}), columns).reshape(y.shape());
  expect_close(y, product);
}

TEST(Conv2d, UnbatchedInputAndConv1d) {
  Tensor x = wave({3, 5, 5}), w = wave({2, 3, 3, 3}, 0.53, 0.2);
  Tensor batched = F::conv2d(x.unsqueeze(0), w);
  Tensor unbatched = F::conv2d(x, w);
  EXPECT_EQ(unbatched.shape(), (Shape{2, 3, 3}));
  expect_close(unbatched, batched.squeeze(0));
  Tensor y = F::conv1d(wave({1, 2, 7}), wave({3, 2, 3}, 0.53, 0.2), {}, {.stride = 2, .padding = 1});
  ASSERT_EQ(y.shape(), (Shape{1, 3, 4}));
  expect_near_all(y, {0.840739739, 1.1727362, 0.229599418, -1.00672571, -0.833884654, -1.25046769, -0.367898716,
                      0.916204632, 0.825799638, 1.3263548, 0.505655384, -0.824332202});
}

TEST(Conv2d, SecondOrderGradientThroughTheWeight) {
  // d/dw of ‖∂L/∂x‖² needs the weight gradient of conv_transpose2d inside a differentiated backward.
  Tensor x = wave({1, 2, 5, 5}).requires_grad_();
  Tensor w = wave({3, 2, 3, 3}, 0.53, 0.2).requires_grad_();
  Tensor y = F::conv2d(x, w, {}, {.padding = 1});
  Tensor dx = autograd::grad({sum(y * y)}, {x}, {}, {}, true)[0];
  Tensor dw = autograd::grad({sum(dx * dx)}, {w})[0];
  EXPECT_EQ(dw.shape(), w.shape());
  EXPECT_GT(sum(dw * dw).item(), 0.0);
}

// ---- conv_transpose2d

TEST(ConvTranspose2d, MatchesPyTorch) {
  Tensor x = wave({1, 2, 3, 3}), w = wave({2, 3, 3, 3}, 0.53, 0.2), b = wave({3}, 1.1, 0.3);
  Tensor y = F::conv_transpose2d(x, w, b, {.stride = 2, .padding = 1, .output_padding = 1});
  ASSERT_EQ(y.shape(), (Shape{1, 3, 6, 6}));
  std::vector<double> values = y.to_vector();
  EXPECT_NEAR(values[0], 0.595261413, 1e-8);
  EXPECT_NEAR(values[13], 2.89339306, 1e-8);
  EXPECT_NEAR(values[35], 0.206426662, 1e-8);
  EXPECT_NEAR(values[36], 0.899023435, 1e-8);
  EXPECT_NEAR(values[71], 0.896302401, 1e-8);
}

TEST(ConvTranspose2d, IsTheAdjointOfConv2d) {
  // <conv2d(x, w), z> = <x, conv_transpose2d(z, w)> for every x, z: groups, stride, dilation, padding.
  Tensor x = wave({2, 4, 7, 6}), w = wave({6, 2, 3, 2}, 0.53, 0.2);
  F::Conv2dOptions options{.stride = 2, .padding = {1, 0}, .dilation = {1, 2}, .groups = 2};
  Tensor y = F::conv2d(x, w, {}, options);
  Tensor z = wave(y.shape(), 0.71, 0.4);
  Tensor back = F::conv_transpose2d(z, w, {}, {.stride = 2, .padding = {1, 0}, .output_padding = {0, 1},
                                               .dilation = {1, 2}, .groups = 2});
  ASSERT_EQ(back.shape(), x.shape());
  EXPECT_NEAR(dot(y, z), dot(x, back), 1e-9);
}

// ---- unfold and fold

TEST(Unfold, HandComputedColumns) {
  // A 3×3 plane, 2×2 blocks: four columns, each a block read row by row.
  Tensor x = arange(9, {.dtype = DType::f32}).reshape({1, 1, 3, 3});
  Tensor columns = F::unfold(x, {.kernel_size = 2});
  EXPECT_EQ(columns.shape(), (Shape{1, 4, 4}));
  expect_near_all(columns, {0, 1, 3, 4, 1, 2, 4, 5, 3, 4, 6, 7, 4, 5, 7, 8});
}

TEST(Fold, SumsOverlapsAndIsTheAdjointOfUnfold) {
  Tensor ones_image = ones({1, 1, 3, 3});
  // Each pixel is covered by as many 2×2 blocks as fit around it: corners 1, edges 2, centre 4.
  Tensor counts = F::fold(F::unfold(ones_image, {.kernel_size = 2}), {3, 3}, {.kernel_size = 2});
  expect_near_all(counts, {1, 2, 1, 2, 4, 2, 1, 2, 1});
  Tensor x = wave({2, 3, 5, 4});
  F::UnfoldOptions options{.kernel_size = {3, 2}, .dilation = 1, .padding = 1, .stride = {2, 1}};
  Tensor columns = F::unfold(x, options);
  Tensor z = wave(columns.shape(), 0.71, 0.4);
  EXPECT_NEAR(dot(columns, z), dot(x, F::fold(z, {5, 4}, options)), 1e-9);
}

// ---- pooling

TEST(MaxPool2d, MatchesPyTorchWithCeilModeAndPadding) {
  Tensor x = wave({1, 1, 5, 6}, 1.3, 0.0);
  auto [values, indices] = F::max_pool2d_with_indices(x, {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  ASSERT_EQ(values.shape(), (Shape{1, 1, 3, 4}));
  EXPECT_EQ(indices.dtype(), DType::i64);
  expect_near_all(values, {0.998543345, 0.963558185, 0.986771964, 0.986771964, 0.998543345, 0.827327901,
                           0.986771964, 0.986771964, 0.883870424, 0.883870424, 0.827327901, 0.000888156806});
  EXPECT_EQ(indices.to_vector(), (std::vector<double>{6, 1, 11, 11, 6, 21, 11, 11, 25, 25, 21, 29}));
}

TEST(MaxPool2d, TiesGiveTheFirstIndexAndNaNWins) {
  auto [values, indices] = F::max_pool2d_with_indices(tensor({1, 3, 3, 2}).reshape({1, 1, 1, 4}), {.kernel_size = {1, 4}});
  EXPECT_EQ(values.item(), 3);
  EXPECT_EQ(indices.item(), 1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto [nan_values, nan_indices] =
      F::max_pool2d_with_indices(tensor({1, nan, 3, nan}).reshape({1, 1, 1, 4}), {.kernel_size = {1, 4}});
  EXPECT_TRUE(std::isnan(nan_values.item()));
  EXPECT_EQ(nan_indices.item(), 3);  // PyTorch keeps the last NaN of the window
  // The same through the fast kernel's interior path: a row of windows, float32 and contiguous.
  Tensor row = tensor({5, 5, 1, nan, nan, 2, -1, 7}).reshape({1, 1, 1, 8});
  auto [row_values, row_indices] = F::max_pool2d_with_indices(row, {.kernel_size = {1, 2}});
  // (5, 5): the first; (1, NaN): the NaN; (NaN, 2): the NaN stays; (-1, 7): 7 — as PyTorch.
  EXPECT_EQ(row_indices.to_vector(), (std::vector<double>{0, 3, 4, 7}));
  std::vector<double> got = row_values.to_vector();
  EXPECT_EQ(got[0], 5);
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_TRUE(std::isnan(got[2]));
  EXPECT_EQ(got[3], 7);
}

TEST(MaxPool2d, GradientGoesToTheMaximumAndAccumulatesOverlaps) {
  // Overlapping 2×2 windows with stride 1 on a plane whose maximum (9) is in the middle: all four
  // windows pick it, so it collects four gradients.
  Tensor x = tensor({{1, 2, 3}, {4, 9, 5}, {6, 7, 8}}).reshape({1, 1, 3, 3}).requires_grad_();
  sum(F::max_pool2d(x, {.kernel_size = 2, .stride = 1})).backward();
  expect_near_all(x.grad(), {0, 0, 0, 0, 4, 0, 0, 0, 0});
}

TEST(MaxPool2d, IntegerInputsAndUnbatched) {
  Tensor x = arange(16).reshape({1, 4, 4});
  Tensor y = F::max_pool2d(x, {.kernel_size = 2});
  EXPECT_EQ(y.dtype(), DType::i64);
  EXPECT_EQ(y.to_vector(), (std::vector<double>{5, 7, 13, 15}));
}

TEST(AvgPool2d, CountIncludePadAndCeilModeAsPyTorch) {
  Tensor x = wave({1, 1, 5, 6}, 1.3, 0.0);
  expect_near_all(F::avg_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true,
                                    .count_include_pad = false}),
                  {0.570299973, -0.0799030488, -0.118524235, 0.600945976, -0.151667521, -0.114289247, 0.175505204,
                   -0.0401198873, -0.184164648, 0.370875797, -0.32830023, -0.498803437});
  // Included padding counts only up to the padded border, not the extra ceil_mode window part.
  expect_near_all(F::avg_pool2d(x, {.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true}),
                  {0.253466655, -0.0532686992, -0.0790161566, 0.200315325, -0.101111681, -0.114289247, 0.175505204,
                   -0.0200599436, -0.0818509545, 0.247250532, -0.21886682, -0.166267812});
}

TEST(AdaptivePool2d, AverageAndMaxMatchPyTorch) {
  Tensor x = wave({1, 1, 5, 6}, 1.3, 0.0);
  expect_near_all(F::adaptive_avg_pool2d(x, {2, 4}), {0.243304922, -0.0939375641, -0.063117043, 0.259793829,
                                                       -0.259671492, 0.0633720448, 0.0936900997, -0.243451404});
  expect_near_all(F::adaptive_max_pool2d(x, {2, 4}), {0.998543345, 0.963558185, 0.928795234, 0.986771964,
                                                       0.883870424, 0.883870424, 0.928795234, 0.928795234});
  // Global average pooling (ResNet's head) is the mean over the plane.
  Tensor features = wave({2, 3, 4, 4});
  expect_close(F::adaptive_avg_pool2d(features, 1).reshape({2, 3}), mean(features, {2, 3}));
}

// ---- interpolate

TEST(Interpolate, NearestUsesTheScaleFactorLikePyTorch) {
  Tensor x = wave({1, 1, 3, 4}, 0.9, 0.4);
  Tensor y = F::interpolate(x, {.scale_factor = 1.7});
  ASSERT_EQ(y.shape(), (Shape{1, 1, 5, 6}));
  expect_near_all(y, {0.389418342, 0.389418342, 0.963558185, 0.963558185, 0.808496404, 0.808496404,
                      0.389418342, 0.389418342, 0.963558185, 0.963558185, 0.808496404, 0.808496404,
                      -0.756802495, -0.756802495, -0.982452613, -0.982452613, -0.464602179, -0.464602179,
                      -0.756802495, -0.756802495, -0.982452613, -0.982452613, -0.464602179, -0.464602179,
                      0.967919672, 0.967919672, 0.798487113, 0.798487113, 0.0247754255, 0.0247754255});
  // scale_factor 1.7 picks sources with 1/1.7; the same output size given as a size uses 5/8 instead.
  Tensor line = arange(5, {.dtype = DType::f32}).reshape({1, 1, 1, 5});
  EXPECT_EQ(F::interpolate(line, {.scale_factor = 1.7}).to_vector(), (std::vector<double>{0, 0, 1, 1, 2, 2, 3, 4}));
  EXPECT_EQ(F::interpolate(line, {.size = Size2{1, 8}}).to_vector(), (std::vector<double>{0, 0, 1, 1, 2, 3, 3, 4}));
}

TEST(Interpolate, BilinearMatchesPyTorch) {
  Tensor x = wave({1, 1, 3, 4}, 0.9, 0.4);
  expect_near_all(F::interpolate(x, {.size = Size2{4, 6}, .mode = UpsampleMode::bilinear}),
                  {0.389418342, 0.676488264, 0.937714555, 0.834340034, 0.425038533, 0.0415806624,
                   -0.326969681, -0.289834122, -0.208447171, -0.0314416028, 0.140716869, 0.268623949,
                   -0.110031683, -0.212315949, -0.309014443, -0.286671351, -0.157968278, -0.0348509783,
                   0.967919672, 0.883203392, 0.669535165, 0.153727373, -0.371455192, -0.76768581});
  expect_near_all(F::interpolate(x, {.scale_factor = 1.5, .mode = UpsampleMode::bilinear, .align_corners = true}),
                  {0.389418342, 0.733902248, 0.932545829, 0.83950876, 0.501730107, 0.0415806624,
                   -0.374728883, -0.350160961, -0.275073074, -0.0989452573, 0.0893624762, 0.283760168,
                   -0.181895106, -0.306041665, -0.371340092, -0.318942256, -0.175283916, 0.0140046772,
                   0.967919672, 0.866260136, 0.643744775, 0.179517763, -0.292209069, -0.76768581});
  expect_near_all(F::interpolate(x, {.scale_factor = 0.6, .mode = UpsampleMode::bilinear}), {0.109859126, 0.384130209});
}

TEST(Interpolate, ThreeDimensionalNearest) {
  Tensor x = arange(4, {.dtype = DType::f32}).reshape({1, 1, 4});
  Tensor y = F::interpolate(x, {.scale_factor = 2.0});
  EXPECT_EQ(y.shape(), (Shape{1, 1, 8}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{0, 0, 1, 1, 2, 2, 3, 3}));
}

// ---- errors: one line, naming the op and the shapes

TEST(ConvPoolErrors, ConvolutionShapes) {
  expect_error([] { F::conv2d(zeros({2, 1, 28, 28}), zeros({6, 3, 5, 5})); },
               {"conv2d", "float32[2, 1, 28, 28]", "float32[6, 3, 5, 5]", "channels"});
  expect_error([] { F::conv2d(zeros({2, 4, 8, 8}), zeros({6, 2, 3, 3}), {}, {.groups = 4}); },
               {"conv2d", "groups=4", "float32[6, 2, 3, 3]"});
  expect_error([] { F::conv2d(zeros({2, 4, 8, 8}), zeros({6, 1, 3, 3}), {}, {.groups = 3}); },
               {"conv2d", "float32[2, 4, 8, 8]", "groups=3"});
  expect_error([] { F::conv2d(zeros({2, 1, 4, 4}), zeros({6, 1, 5, 5})); },
               {"conv2d", "larger than the padded input", "float32[2, 1, 4, 4]", "float32[6, 1, 5, 5]"});
  expect_error([] { F::conv2d(zeros({2, 1}), zeros({6, 1, 5, 5})); }, {"conv2d", "float32[2, 1]", "4-D"});
  expect_error([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({6, 1, 3})); }, {"conv2d", "weight", "float32[6, 1, 3]"});
  expect_error([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({2, 1, 3, 3}), zeros({3})); },
               {"conv2d", "bias", "float32[3]"});
  expect_error([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({2, 1, 3, 3}, {.dtype = DType::f64})); },
               {"conv2d", "float64[2, 1, 3, 3]", "dtype"});
  expect_error([] { F::conv2d(zeros({1, 1, 5, 5}), zeros({2, 1, 3, 3}), {}, {.stride = 0}); }, {"conv2d", "stride"});
  expect_error([] { F::conv_transpose2d(zeros({2, 1, 4, 4}), zeros({1, 1, 3, 3}), {}, {.stride = 2, .output_padding = 2}); },
               {"conv_transpose2d", "output_padding", "float32[2, 1, 4, 4]"});
  expect_error([] { F::conv_transpose2d(zeros({2, 3, 4, 4}), zeros({2, 1, 3, 3})); },
               {"conv_transpose2d", "float32[2, 3, 4, 4]", "float32[2, 1, 3, 3]"});
  expect_error([] { F::conv1d(zeros({1, 2, 3, 4}), zeros({1, 2, 3})); }, {"conv1d", "float32[1, 2, 3, 4]"});
  expect_error([] { F::unfold(zeros({1, 1, 2, 2}), {.kernel_size = 3}); }, {"unfold", "2x2", "no sliding blocks"});
  expect_error([] { F::unfold(zeros({2, 2}), {.kernel_size = 1}); }, {"unfold", "float32[2, 2]"});
  expect_error([] { F::fold(zeros({1, 4, 5}), {3, 3}, {.kernel_size = 2}); }, {"fold", "float32[1, 4, 5]", "= 4"});
  expect_error([] { F::fold(zeros({1, 5, 4}), {3, 3}, {.kernel_size = 2}); }, {"fold", "float32[1, 5, 4]", "divide"});
}

TEST(ConvPoolErrors, PoolingAndInterpolation) {
  expect_error([] { F::max_pool2d(zeros({1, 1, 5, 5}), {.kernel_size = 3, .padding = 2}); },
               {"max_pool2d", "padding", "half", "float32[1, 1, 5, 5]"});
  expect_error([] { F::max_pool2d(zeros({1, 1, 5, 5}), {.kernel_size = 7}); },
               {"max_pool2d", "float32[1, 1, 5, 5]", "0x0", "too small"});
  expect_error([] { F::max_pool2d(zeros({5, 5}), {.kernel_size = 2}); }, {"max_pool2d", "float32[5, 5]", "3-D"});
  expect_error([] { F::avg_pool2d(zeros({1, 1, 5, 5}), {.kernel_size = 2, .dilation = 2}); }, {"avg_pool2d", "dilation"});
  expect_error([] { F::avg_pool2d(arange(25).reshape({1, 1, 5, 5}), {.kernel_size = 2}); },
               {"avg_pool2d", "int64[1, 1, 5, 5]", "floating"});
  expect_error([] { F::adaptive_avg_pool2d(zeros({1, 1, 5, 5}), {0, 2}); }, {"adaptive_avg_pool2d", "output_size"});
  expect_error([] { F::interpolate(zeros({1, 1, 5, 7}), {.size = Size2{3, 3}, .scale_factor = 2.0}); },
               {"interpolate", "exactly one", "float32[1, 1, 5, 7]"});
  expect_error([] { F::interpolate(zeros({1, 1, 5, 7}), {}); }, {"interpolate", "exactly one"});
  expect_error([] { F::interpolate(zeros({1, 5, 7}), {.size = 3, .mode = UpsampleMode::bilinear}); },
               {"interpolate", "float32[1, 5, 7]", "bilinear"});
  expect_error([] { F::interpolate(zeros({1, 1, 5, 7}), {.scale_factor = 2.0, .align_corners = true}); },
               {"interpolate", "align_corners"});
  expect_error([] { F::interpolate(zeros({1, 1, 5, 7}), {.scale_factor = 0.1}); }, {"interpolate", "empty"});
}

// ---- the fast paths are taken where they should be

namespace {

struct Layer {
  int64_t batch, in, size, out, kernel, stride, padding;
};

ops::ConvAttrs conv_attrs(const Layer& layer) {
  ops::ConvAttrs attrs;
  attrs.stride = {layer.stride, layer.stride};
  attrs.padding = {layer.padding, layer.padding};
  return attrs;
}

}  // namespace

TEST(ConvFastPath, SelectedForTheZooLayersInFloat32Only) {
  using ops::OpId;
  for (const Layer& layer : {Layer{128, 1, 28, 6, 5, 1, 2}, Layer{128, 6, 14, 16, 5, 1, 0}, Layer{32, 16, 32, 16, 3, 1, 1},
                             Layer{32, 16, 32, 32, 3, 2, 1}, Layer{32, 32, 16, 64, 1, 2, 0}, Layer{2, 64, 8, 64, 3, 1, 1}}) {
    const int64_t out_size = (layer.size + 2 * layer.padding - layer.kernel) / layer.stride + 1;
    Tensor x = zeros({layer.batch, layer.in, layer.size, layer.size});
    Tensor w = zeros({layer.out, layer.in, layer.kernel, layer.kernel});
    Tensor b = zeros({layer.out});
    Tensor y = zeros({layer.batch, layer.out, out_size, out_size});
    ops::ConvAttrs attrs = conv_attrs(layer);
    EXPECT_NE(cpu::fast_kernel(OpId::conv2d, {x, w, b}, {y}, attrs), nullptr) << x.describe();
    EXPECT_NE(cpu::fast_kernel(OpId::conv_transpose2d, {y, w}, {x}, attrs), nullptr) << x.describe();
    ops::ConvAttrs weight_attrs = attrs;
    weight_attrs.weight_shape = w.shape();
    EXPECT_NE(cpu::fast_kernel(OpId::conv2d_backward_weight, {x, y}, {zeros(w.shape())}, weight_attrs), nullptr);
    // float64 (gradcheck) runs the reference kernels.
    EXPECT_EQ(cpu::fast_kernel(OpId::conv2d, {x.to(DType::f64), w.to(DType::f64)}, {y.to(DType::f64)}, attrs), nullptr);
  }
}

TEST(ConvFastPath, PoolingSelectedForContiguousFloat32) {
  using ops::OpId;
  ops::WindowAttrs attrs;
  attrs.kernel = attrs.stride = {2, 2};
  Tensor x = zeros({8, 6, 28, 28}), y = zeros({8, 6, 14, 14}), indices = zeros({8, 6, 14, 14}, {.dtype = DType::i64});
  EXPECT_NE(cpu::fast_kernel(OpId::max_pool2d, {x}, {y, indices}, attrs), nullptr);
  EXPECT_NE(cpu::fast_kernel(OpId::avg_pool2d, {x}, {y}, attrs), nullptr);
  attrs.input_shape = x.shape();
  EXPECT_NE(cpu::fast_kernel(OpId::avg_pool2d_backward, {y}, {x}, attrs), nullptr);
  EXPECT_EQ(cpu::fast_kernel(OpId::max_pool2d, {x.transpose(2, 3)}, {y, indices}, attrs), nullptr);
  // count_include_pad with a ceil_mode window past the padded input: PyTorch's divisor, not oneDNN's.
  ops::WindowAttrs ceil;
  ceil.kernel = {3, 3};
  ceil.stride = {2, 2};
  ceil.padding = {1, 1};
  ceil.ceil_mode = true;
  Tensor odd = zeros({1, 1, 5, 6}), pooled = zeros({1, 1, 3, 4});
  EXPECT_EQ(cpu::fast_kernel(OpId::avg_pool2d, {odd}, {pooled}, ceil), nullptr);
  ceil.count_include_pad = false;
  EXPECT_NE(cpu::fast_kernel(OpId::avg_pool2d, {odd}, {pooled}, ceil), nullptr);
  // Adaptive average pooling: when its windows tile the input (global pooling), not otherwise.
  ops::WindowAttrs global;
  global.output_size = {1, 1};
  Tensor features = zeros({32, 64, 8, 8}), pooled_features = zeros({32, 64, 1, 1});
  EXPECT_NE(cpu::fast_kernel(OpId::adaptive_avg_pool2d, {features}, {pooled_features}, global), nullptr);
  global.input_shape = features.shape();
  EXPECT_NE(cpu::fast_kernel(OpId::adaptive_avg_pool2d_backward, {pooled_features}, {features}, global), nullptr);
  ops::WindowAttrs uneven;
  uneven.output_size = {3, 3};
  EXPECT_EQ(cpu::fast_kernel(OpId::adaptive_avg_pool2d, {features}, {zeros({32, 64, 3, 3})}, uneven), nullptr);
}

TEST(ConvFastPath, PlansAndWeightReordersAreReusedUntilTheWeightChanges) {
  Tensor x = wave({4, 16, 16, 16}, 0.37, 0.1, DType::f32);
  Tensor w = wave({32, 16, 3, 3}, 0.53, 0.2, DType::f32);
  Tensor first = F::conv2d(x, w, {}, {.padding = 1});
  const cpu::onednn::CacheStats before = cpu::onednn::cache_stats();
  Tensor second = F::conv2d(x, w, {}, {.padding = 1});
  const cpu::onednn::CacheStats after = cpu::onednn::cache_stats();
  EXPECT_EQ(after.primitive_misses, before.primitive_misses);  // the plan was made once
  EXPECT_GT(after.primitive_hits, before.primitive_hits);
  EXPECT_EQ(after.weight_misses, before.weight_misses);        // the weight was not reordered again
  EXPECT_GT(after.weight_hits, before.weight_hits);            // but taken, blocked, from the cache
  expect_close(second, first, 0);
  // An in-place update bumps the weight's version: the next call must see the new values.
  w.mul_(2.0);
  Tensor third = F::conv2d(x, w, {}, {.padding = 1});
  EXPECT_GT(cpu::onednn::cache_stats().weight_misses + cpu::onednn::cache_stats().weight_hits,
            after.weight_misses + after.weight_hits);
  expect_close(third, first * 2.0, 1e-5);
  // Clearing the cache returns the reordered copies to the allocator; the next call reorders again.
  cpu::onednn::clear_weight_cache();
  const int64_t misses = cpu::onednn::cache_stats().weight_misses;
  expect_close(F::conv2d(x, w, {}, {.padding = 1}), third, 0);
  EXPECT_EQ(cpu::onednn::cache_stats().weight_misses, misses + 1);
}

TEST(ConvFastPath, ScratchpadsAndTemporariesComeFromNablasAllocator) {
  Tensor x = wave({8, 16, 32, 32}, 0.37, 0.1, DType::f32);
  Tensor w = wave({16, 16, 3, 3}, 0.53, 0.2, DType::f32);
  F::conv2d(x, w, {}, {.padding = 1});  // warm: plans made, weights reordered
  const int64_t before = memory::stats().allocations;
  F::conv2d(x, w, {}, {.padding = 1});
  // The output, plus the blocked copies of input and output (and any scratchpad) that oneDNN works on.
  EXPECT_GE(memory::stats().allocations - before, 2);
}
