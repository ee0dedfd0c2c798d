#include <sys/time.h>
void a(timeval* tv) { gettimeofday(tv, nullptr); }
void b(timespec* ts) { clock_gettime(CLOCK_MONOTONIC, ts); }
