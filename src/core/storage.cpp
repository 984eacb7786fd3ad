#include "nabla/storage.h"

namespace nabla {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  data_ = memory::allocate(bytes);
}

Storage::~Storage() { memory::release(data_, bytes_); }

}  // namespace nabla
