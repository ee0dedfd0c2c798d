// Look-alikes that are not OS time, threads or randomness: none may be reported.
#include "runtime/env/sleep.h"
Task<void> a(env::Executor& ex) { co_await orbit::sleep(ex, 1ms); }
Task<void> b(env::Executor& ex) { co_await sleep(ex, 2ms); }
int c(int operand) { return eval_operand(operand); }
int d(Gen& g, Gen* p) { return g.rand() + p->rand() + util::rand(); }
bool e() { return runtime(nullptr) && lifetime(0); }
thread_local int per_thread_counter = 0;
void f() { my_sleep_for_ms(3); steady_clock_like(); }
