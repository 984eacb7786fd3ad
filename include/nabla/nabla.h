#pragma once
// Everything a user of nabla needs: #include "nabla/nabla.h".
#include "nabla/allocator.h"
#include "nabla/autograd.h"
#include "nabla/dtype.h"
#include "nabla/error.h"
#include "nabla/factory.h"
#include "nabla/gradcheck.h"
#include "nabla/io/safetensors.h"
#include "nabla/ops.h"
#include "nabla/random.h"
#include "nabla/shape.h"
#include "nabla/tensor.h"
