#include "sim/event_queue.h"

#include <algorithm>
#include <cassert>

namespace orbit::sim {

EventId EventQueue::push(int64_t time_ns, uint32_t owner, uint32_t incarnation, EventKind kind,
                         std::function<void()> fn) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  assert(!slot.pending);
  const uint64_t seq = next_seq_++;
  slot.fn = std::move(fn);
  slot.info = EventInfo{time_ns, seq, owner, incarnation, kind};
  slot.pending = true;
  heap_.push_back(Entry{time_ns, seq, index, slot.generation});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  ++live_;
  return (static_cast<uint64_t>(slot.generation) << 32) | index;
}

EventQueue::Slot* EventQueue::find(EventId id) {
  const uint32_t index = static_cast<uint32_t>(id);
  const uint32_t generation = static_cast<uint32_t>(id >> 32);
  if (index >= slots_.size()) return nullptr;
  Slot& slot = slots_[index];
  if (!slot.pending || slot.generation != generation) return nullptr;
  return &slot;
}

bool EventQueue::reschedule(EventId id, int64_t time_ns) {
  Slot* slot = find(id);
  if (slot == nullptr) return false;
  // The id (slot, generation) must stay valid, so the old heap entry is orphaned by its
  // seq instead: pop() only accepts an entry whose seq matches the slot's.
  const uint64_t seq = next_seq_++;
  slot->info.time_ns = time_ns;
  slot->info.seq = seq;
  heap_.push_back(Entry{time_ns, seq, static_cast<uint32_t>(id), slot->generation});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  return true;
}

bool EventQueue::cancel(EventId id) {
  Slot* slot = find(id);
  if (slot == nullptr) return false;
  release(static_cast<uint32_t>(id));
  return true;
}

void EventQueue::release(uint32_t index) {
  Slot& slot = slots_[index];
  slot.fn = nullptr;
  slot.pending = false;
  ++slot.generation;
  if (slot.generation == 0) slot.generation = 1;  // ids are never zero
  free_.push_back(index);
  --live_;
}

void EventQueue::drop_stale_top() {
  while (!heap_.empty()) {
    const Entry& top = heap_.front();
    const Slot& slot = slots_[top.slot];
    if (slot.pending && slot.generation == top.generation && slot.info.seq == top.seq) return;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

bool EventQueue::empty() {
  drop_stale_top();
  return heap_.empty();
}

int64_t EventQueue::next_time() {
  drop_stale_top();
  assert(!heap_.empty());
  return heap_.front().time_ns;
}

EventQueue::Popped EventQueue::pop() {
  drop_stale_top();
  assert(!heap_.empty());
  const Entry top = heap_.front();
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  heap_.pop_back();
  const Slot& slot = slots_[top.slot];
  return Popped{(static_cast<uint64_t>(slot.generation) << 32) | top.slot, slot.info};
}

std::function<void()> EventQueue::take(EventId id) {
  Slot* slot = find(id);
  assert(slot != nullptr && "take() of an event that is not pending");
  std::function<void()> fn = std::move(slot->fn);
  release(static_cast<uint32_t>(id));
  return fn;
}

}  // namespace orbit::sim
