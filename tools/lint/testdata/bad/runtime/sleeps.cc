#include <unistd.h>
void a() { std::this_thread::sleep_for(d); }
void b() { std::this_thread::sleep_until(t); }
void c() { usleep(10); }
void d() { ::sleep(1); }
