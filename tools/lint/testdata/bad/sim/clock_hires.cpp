#include <chrono>
auto fine() { return std::chrono::high_resolution_clock::now(); }
