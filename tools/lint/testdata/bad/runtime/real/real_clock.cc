// runtime/real/ is where the OS is allowed: none of this may be reported.
#include <boost/asio.hpp>
#include <thread>
auto now() { return std::chrono::steady_clock::now(); }
void nap() { std::this_thread::sleep_for(std::chrono::milliseconds(1)); }
