// Recycled memory for coroutine frames. The hot path of a call creates and destroys a few
// dozen frames; taking them from per-size free lists instead of malloc is most of what
// a frame costs otherwise. Blocks are kept per thread (each executor runs on one thread)
// and never returned to the system: the pool is as large as the peak number of live frames.
// Only where a frame lives changes, never an order: nothing may depend on the addresses.
// Under AddressSanitizer the pool is bypassed, so use-after-free of a frame stays visible.
#pragma once

#include <cstddef>

namespace orbit::frame_pool {

void* allocate(std::size_t size);
void deallocate(void* block, std::size_t size) noexcept;

}  // namespace orbit::frame_pool
