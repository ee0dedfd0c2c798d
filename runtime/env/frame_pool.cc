#include "runtime/env/frame_pool.h"

#include <array>
#include <new>

namespace orbit::frame_pool {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kPooled = false;
#else
constexpr bool kPooled = true;
#endif

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 32;  // frames up to 2 KiB are pooled

struct FreeBlock {
  FreeBlock* next;
};

struct Pool {
  std::array<FreeBlock*, kClasses> free{};
  ~Pool() {
    for (FreeBlock* head : free) {
      while (head != nullptr) {
        FreeBlock* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
};

thread_local Pool pool;

std::size_t class_of(std::size_t size) { return (size + kGranule - 1) / kGranule - 1; }

}  // namespace

void* allocate(std::size_t size) {
  const std::size_t c = class_of(size);
  if (!kPooled || c >= kClasses) return ::operator new(size);
  if (FreeBlock* block = pool.free[c]) {
    pool.free[c] = block->next;
    return block;
  }
  return ::operator new((c + 1) * kGranule);
}

void deallocate(void* block, std::size_t size) noexcept {
  const std::size_t c = class_of(size);
  if (!kPooled || c >= kClasses) {
    ::operator delete(block);
    return;
  }
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = pool.free[c];
  pool.free[c] = free_block;
}

}  // namespace orbit::frame_pool
