// Consumer of an installed nabla: only the public header and nabla::nabla.
#include <nabla/nabla.hpp>

int main() {
  auto t = nabla::ones({2, 3});
  return t.sum().item() == 6.0 ? 0 : 1;
}
