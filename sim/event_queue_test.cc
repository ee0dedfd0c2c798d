#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace orbit::sim {
namespace {

struct Runner {
  EventQueue q;
  std::vector<std::string> log;
  EventId push(int64_t t, std::string name) {
    return q.push(t, 0, 0, EventKind::kPost, [this, name] { log.push_back(name); });
  }
  void drain() {
    while (!q.empty()) {
      auto popped = q.pop();
      q.take(popped.id)();
    }
  }
};

TEST(EventQueueTest, OrdersByTimeThenSchedulingOrder) {
  Runner r;
  r.push(20, "c");
  r.push(10, "a");
  r.push(10, "b");
  r.push(5, "first");
  r.drain();
  EXPECT_EQ(r.log, (std::vector<std::string>{"first", "a", "b", "c"}));
}

TEST(EventQueueTest, CancelledEventsNeverRunAndIdsAreNotReused) {
  Runner r;
  const EventId a = r.push(10, "a");
  r.push(20, "b");
  EXPECT_TRUE(r.q.cancel(a));
  EXPECT_FALSE(r.q.cancel(a));
  const EventId c = r.push(30, "c");  // may reuse a's slot, never its id
  EXPECT_NE(a, c);
  EXPECT_FALSE(r.q.cancel(a));
  r.drain();
  EXPECT_EQ(r.log, (std::vector<std::string>{"b", "c"}));
  EXPECT_NE(a, 0u);
}

TEST(EventQueueTest, ParkedEventsCanBeRescheduledOrCancelled) {
  Runner r;
  const EventId a = r.push(10, "a");
  const EventId b = r.push(11, "b");
  r.push(50, "later");
  // Park both (as a paused node does).
  EXPECT_EQ(r.q.pop().id, a);
  EXPECT_EQ(r.q.pop().id, b);
  EXPECT_EQ(r.q.pending(), 3u);
  EXPECT_TRUE(r.q.cancel(b));
  EXPECT_TRUE(r.q.reschedule(a, 60));
  EXPECT_FALSE(r.q.reschedule(b, 60));
  r.drain();
  EXPECT_EQ(r.log, (std::vector<std::string>{"later", "a"}));
  EXPECT_EQ(r.q.pending(), 0u);
}

TEST(EventQueueTest, RescheduleOfAQueuedEventMovesIt) {
  Runner r;
  const EventId a = r.push(10, "a");
  r.push(20, "b");
  EXPECT_TRUE(r.q.reschedule(a, 30));
  r.drain();
  EXPECT_EQ(r.log, (std::vector<std::string>{"b", "a"}));
}

TEST(EventQueueTest, NextTimeSkipsCancelledEvents) {
  Runner r;
  const EventId a = r.push(10, "a");
  r.push(20, "b");
  r.q.cancel(a);
  EXPECT_EQ(r.q.next_time(), 20);
}

}  // namespace
}  // namespace orbit::sim
