// The simulator's only source of order: events sorted by (true time, sequence number).
// The sequence number is the order of scheduling, so two events at the same instant run
// in the order they were scheduled; nothing else (addresses, hashing) can reorder them.
//
// Callbacks live in a slab of slots; the heap holds small (time, seq, slot) entries, so
// sifting moves 24 bytes instead of a std::function. Cancelling frees the callback at
// once and leaves a stale heap entry that pop() skips (the slot's generation changed).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace orbit::sim {

// Identifies a scheduled event: slot index in the low 32 bits, slot generation in the
// high 32 bits. Never zero.
using EventId = uint64_t;

// Who owns an event: a node (its id) or the world itself.
inline constexpr uint32_t kWorldOwner = UINT32_MAX;

enum class EventKind : uint8_t { kPost, kTimer, kDeliver, kPeerLost, kBoot, kFault, kWorld };

struct EventInfo {
  int64_t time_ns;
  uint64_t seq;
  uint32_t owner;
  uint32_t incarnation;  // the owner's incarnation when scheduled; stale ones are dropped
  EventKind kind;
};

class EventQueue {
 public:
  EventId push(int64_t time_ns, uint32_t owner, uint32_t incarnation, EventKind kind,
               std::function<void()> fn);

  // Re-queues a still-pending event at a new time (a paused node's deferred events). The
  // EventId stays valid. Returns false if the event is no longer pending.
  bool reschedule(EventId id, int64_t time_ns);

  // True when the event was pending and now never runs.
  bool cancel(EventId id);

  // True when no event is queued to run (parked events do not count).
  bool empty();
  // Pending events, parked ones included.
  size_t pending() const { return live_; }

  // Time of the earliest queued event; the queue must not be empty().
  int64_t next_time();

  // Takes the earliest queued event off the queue. Its slot stays pending ("parked"):
  // the caller then either take()s its callback to run or drop it, or leaves it parked and
  // later reschedule()s it. cancel() works on parked events too.
  struct Popped {
    EventId id;
    EventInfo info;
  };
  Popped pop();

  // Releases a pending event and returns its callback.
  std::function<void()> take(EventId id);

  uint64_t next_seq() const { return next_seq_; }

 private:
  struct Slot {
    std::function<void()> fn;
    EventInfo info{};
    uint32_t generation = 1;
    bool pending = false;
  };
  struct Entry {
    int64_t time_ns;
    uint64_t seq;
    uint32_t slot;
    uint32_t generation;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
    }
  };

  Slot* find(EventId id);
  void drop_stale_top();
  void release(uint32_t slot);

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  uint64_t next_seq_ = 0;
  size_t live_ = 0;
};

}  // namespace orbit::sim
