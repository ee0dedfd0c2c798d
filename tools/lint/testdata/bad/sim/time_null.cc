#include <ctime>
long a() { return time(nullptr); }
long b() { return std::time(NULL); }
