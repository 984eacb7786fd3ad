#include <cstdio>
#include "nabla/nabla.h"
int main() { std::puts(nabla::tensor({1, 2}).to_string().c_str()); }
