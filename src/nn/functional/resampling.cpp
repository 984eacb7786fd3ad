// functional::interpolate: checks the options and turns a size or a scale factor into the upsample2d op's
// output size (src/ops/upsample.cpp).
#include <cmath>

#include "nabla/nn/functional.h"
#include "nabla/ops.h"
#include "ops/op.h"

namespace nabla {

// Sizes: `size`, or ⌊input · scale_factor⌋ with scale_factor kept for the index rule (PyTorch's default,
// recompute_scale_factor=None). A 3-D input [N, C, L] resamples its last dim (nearest only, as PyTorch).
Tensor functional::interpolate(const Tensor& x, const InterpolateOptions& options) {
  NABLA_CHECK(x.defined(), "interpolate: the input is an undefined tensor");
  NABLA_CHECK(options.size.has_value() != options.scale_factor.has_value(),
              "interpolate: exactly one of size or scale_factor must be given (input {})", x.describe());
  const bool nearest = options.mode == UpsampleMode::nearest;
  NABLA_CHECK(x.dim() == 4 || (x.dim() == 3 && nearest),
              "interpolate: expected a 4-D input [N, C, H, W]{}, got {}", nearest ? " or 3-D [N, C, L]" : " for bilinear",
              x.describe());
  NABLA_CHECK(!(options.align_corners && nearest),
              "interpolate: align_corners can only be set with the bilinear mode (input {})", x.describe());
  const Tensor input = x.dim() == 3 ? x.unsqueeze(2) : x;
  ops::UpsampleAttrs attrs;
  attrs.mode = options.mode;
  attrs.align_corners = options.align_corners;
  if (options.size) {
    attrs.output_size = {x.dim() == 3 ? 1 : options.size->height, options.size->width};
  } else {
    const double scale = *options.scale_factor;
    NABLA_CHECK(scale > 0, "interpolate: scale_factor must be positive, got {} (input {})", scale, x.describe());
    for (int axis = 0; axis < 2; ++axis) {
      const bool unit = x.dim() == 3 && axis == 0;
      attrs.output_size[axis] = unit ? 1 : static_cast<int64_t>(std::floor(static_cast<double>(input.shape()[2 + axis]) * scale));
      attrs.scales[axis] = unit ? 0.0 : scale;
    }
  }
  NABLA_CHECK(attrs.output_size[0] > 0 && attrs.output_size[1] > 0,
              "interpolate: input {} gives an empty output of {}x{}; input and output sizes must be positive",
              x.describe(), attrs.output_size[0], attrs.output_size[1]);
  Tensor out = ops::call1(ops::OpId::upsample2d, {input}, attrs);
  return x.dim() == 3 ? out.squeeze(2) : out;
}

}  // namespace nabla
