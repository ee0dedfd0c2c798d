#include <chrono>
auto wall() { return std::chrono::system_clock::now(); }
