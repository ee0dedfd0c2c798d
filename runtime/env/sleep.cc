#include "runtime/env/sleep.h"

#include <cassert>

namespace orbit {

SleepAwaiter sleep(Duration delay) {
  env::Executor* executor = env::current_executor();
  assert(executor != nullptr && "sleep(d) outside any executor callback");
  return SleepAwaiter(*executor, delay);
}

}  // namespace orbit
