#pragma once
#include <chrono>
inline auto mono() { return std::chrono::steady_clock::now(); }
