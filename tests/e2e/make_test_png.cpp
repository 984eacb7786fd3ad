// make_test_png INDEX PATH [--size N] [--rgb] [--invert]: writes Fashion-MNIST test image INDEX as a PNG, so
// the predict test has "your own image" files with known labels. --size enlarges it to N×N, --rgb stores
// three equal channels, --invert makes it dark on light (as a photo would be). Prints the image's label.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "nabla/data/dataset.h"
#include "nabla/data/image.h"
#include "nabla/nabla.h"

int main(int argc, char** argv) {
  using namespace nabla;
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_test_png INDEX PATH [--size N] [--rgb] [--invert]\n");
    return 2;
  }
  try {
    const int64_t index = std::stoll(argv[1]);
    int64_t size = 28;
    bool rgb = false, invert = false;
    for (int i = 3; i < argc; ++i) {
      const std::string option = argv[i];
      if (option == "--size" && i + 1 < argc) size = std::stoll(argv[++i]);
      else if (option == "--rgb") rgb = true;
      else if (option == "--invert") invert = true;
      else throw Error("make_test_png: unknown option " + option);
    }
    auto test = data::fashion_mnist(data::Split::test);
    NABLA_CHECK(index >= 0 && index < test->size(), "make_test_png: index {} is out of range", index);
    Tensor image = test->inputs().select(0, index);  // u8 [1, 28, 28]
    if (invert) image = (255.0 - image.to(DType::f32)).to(DType::u8);
    if (size != 28) image = data::resize_bilinear(image, size, size);
    if (rgb) image = image.expand({3, size, size}).contiguous();
    data::write_png(argv[2], image);
    const auto label = test->targets().select(0, index).item<int64_t>();
    std::printf("%s\n", data::fashion_mnist_classes[static_cast<size_t>(label)].c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "make_test_png: %s\n", error.what());
    return 1;
  }
  return 0;
}
