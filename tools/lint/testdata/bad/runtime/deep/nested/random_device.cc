#include <random>
unsigned seed() {
  std::random_device rd;
  return rd();
}
