// The effect of each network fault, seen from node code.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/test_node.h"
#include "sim/world.h"

namespace orbit::sim {
namespace {

using testing::make_world;
using testing::scripted;

// Every node records what it receives as "from:payload". Sends are issued from a world
// event, through the sender's own transport endpoint, as node code would.
struct Mesh {
  std::unique_ptr<World> world;
  std::vector<std::vector<std::string>> received;
  std::vector<env::Transport*> transports;

  Mesh(uint32_t nodes, const LinkConfig& link)
      : world(make_world(nodes)), received(nodes), transports(nodes) {
    EXPECT_TRUE(world->set_all_links(link).ok());
    world->set_boot(scripted([this](NodeContext& ctx, TaskScope&) {
      NodeContext* c = &ctx;
      transports[c->id()] = &ctx.transport();
      ctx.transport().set_receive_handler([this, c](NodeId from, Bytes frame) {
        received[c->id()].push_back(std::to_string(from) + ":" + orbit::to_string(frame));
      });
    }));
    world->start();
    world->run_for(1ms);
  }

  void send(NodeId from, NodeId to, const std::string& payload) {
    world->at(world->now_ns(), [this, from, to, payload] { transports[from]->send(to, to_bytes(payload)); });
    world->run_for(Duration::zero());
  }
};

std::unique_ptr<Mesh> make_mesh(uint32_t nodes, LinkConfig link = {}) {
  return std::make_unique<Mesh>(nodes, link);
}

TEST(NetworkTest, DeliversWithLatencyInTheConfiguredRange) {
  LinkConfig link;
  link.latency_min = 3ms;
  link.latency_max = 3ms;
  auto m = make_mesh(2, link);
  const int64_t sent_at = m->world->now_ns();
  m->send(0, 1, "x");
  m->world->run_for(2ms);
  EXPECT_TRUE(m->received[1].empty());
  m->world->run_for(1ms);
  EXPECT_EQ(m->received[1], (std::vector<std::string>{"0:x"}));
  EXPECT_EQ(m->world->now_ns() - sent_at, 3'000'000);
}

TEST(NetworkTest, OneWayPartitionDropsOneDirectionOnly) {
  auto m = make_mesh(2);
  ASSERT_TRUE(m->world->partition({0}, {1}, /*one_way=*/true).ok());
  m->send(0, 1, "a-to-b");
  m->send(1, 0, "b-to-a");
  m->world->run_for(1s);
  EXPECT_TRUE(m->received[1].empty()) << "0 -> 1 is cut";
  EXPECT_EQ(m->received[0], (std::vector<std::string>{"1:b-to-a"}));
  EXPECT_EQ(m->world->network_stats().partitioned, 1u);
}

TEST(NetworkTest, SymmetricPartitionAndHeal) {
  auto m = make_mesh(3);
  ASSERT_TRUE(m->world->partition({0}, {1, 2}).ok());
  m->send(0, 1, "p");
  m->send(2, 0, "q");
  m->send(1, 2, "same-side");
  m->world->run_for(1s);
  EXPECT_TRUE(m->received[0].empty());
  EXPECT_TRUE(m->received[1].empty());
  EXPECT_EQ(m->received[2], (std::vector<std::string>{"1:same-side"}));
  m->world->heal();
  m->send(0, 1, "after-heal");
  m->world->run_for(1s);
  EXPECT_EQ(m->received[1], (std::vector<std::string>{"0:after-heal"}));
}

TEST(NetworkTest, FramesInFlightWhenAPartitionStartsAreDropped) {
  LinkConfig link;
  link.latency_min = link.latency_max = 10ms;
  auto m = make_mesh(2, link);
  m->send(0, 1, "in-flight");
  m->world->run_for(5ms);
  ASSERT_TRUE(m->world->partition({0}, {1}).ok());
  m->world->run_for(1s);
  EXPECT_TRUE(m->received[1].empty());
}

TEST(NetworkTest, DuplicationDeliversTwice) {
  LinkConfig link;
  link.duplicate_probability = 1.0;
  auto m = make_mesh(2, link);
  m->send(0, 1, "dup");
  m->world->run_for(1s);
  EXPECT_EQ(m->received[1], (std::vector<std::string>{"0:dup", "0:dup"}));
  EXPECT_EQ(m->world->network_stats().duplicated, 1u);
}

TEST(NetworkTest, LossDropsFrames) {
  LinkConfig link;
  link.loss_probability = 1.0;
  auto m = make_mesh(2, link);
  for (int i = 0; i < 10; ++i) m->send(0, 1, std::to_string(i));
  m->world->run_for(1s);
  EXPECT_TRUE(m->received[1].empty());
  EXPECT_EQ(m->world->network_stats().lost, 10u);
}

TEST(NetworkTest, PartialLossDropsRoughlyThatShare) {
  LinkConfig link;
  link.loss_probability = 0.3;
  auto m = make_mesh(2, link);
  for (int i = 0; i < 2000; ++i) m->send(0, 1, "x");
  m->world->run_for(1s);
  EXPECT_NEAR(m->received[1].size() / 2000.0, 0.7, 0.05);
}

std::vector<int> payload_order(const std::vector<std::string>& got) {
  std::vector<int> out;
  for (const auto& s : got) out.push_back(std::stoi(s.substr(s.find(':') + 1)));
  return out;
}

TEST(NetworkTest, LinksAreFifoUnlessReordering) {
  LinkConfig link;
  link.latency_min = 1ms;
  link.latency_max = 20ms;  // wide jitter: FIFO must still hold
  auto m = make_mesh(2, link);
  for (int i = 0; i < 100; ++i) {
    m->send(0, 1, std::to_string(i));
    m->world->run_for(100us);
  }
  m->world->run_for(1s);
  auto order = payload_order(m->received[1]);
  ASSERT_EQ(order.size(), 100u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(NetworkTest, ReorderingDeliversOutOfOrder) {
  LinkConfig link;
  link.latency_min = link.latency_max = 1ms;
  link.reorder_probability = 0.5;
  link.reorder_window = 50ms;
  auto m = make_mesh(2, link);
  for (int i = 0; i < 100; ++i) {
    m->send(0, 1, std::to_string(i));
    m->world->run_for(100us);
  }
  m->world->run_for(1s);
  auto order = payload_order(m->received[1]);
  ASSERT_EQ(order.size(), 100u);
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
}

TEST(NetworkTest, ClogHoldsFramesThenReleasesThemInOrder) {
  auto m = make_mesh(2);
  ASSERT_TRUE(m->world->clog(0, 1).ok());
  for (int i = 0; i < 3; ++i) m->send(0, 1, std::to_string(i));
  m->world->run_for(10s);
  EXPECT_TRUE(m->received[1].empty());
  ASSERT_TRUE(m->world->unclog(0, 1).ok());
  m->world->run_for(1s);
  EXPECT_EQ(payload_order(m->received[1]), (std::vector<int>{0, 1, 2}));
}

TEST(NetworkTest, FramesToACrashedNodeAreDroppedAndNotDeliveredAfterRestart) {
  LinkConfig link;
  link.latency_min = link.latency_max = 10ms;
  auto m = make_mesh(2, link);
  m->send(0, 1, "lost");
  m->world->run_for(5ms);
  ASSERT_TRUE(m->world->crash(1).ok());
  ASSERT_TRUE(m->world->restart(1).ok());
  m->world->run_for(1s);
  EXPECT_TRUE(m->received[1].empty()) << "the frame was for the old incarnation";
  m->send(0, 1, "new");
  m->world->run_for(1s);
  EXPECT_EQ(m->received[1], (std::vector<std::string>{"0:new"}));
}

TEST(NetworkTest, OversizeAndUnknownDestinationAreDroppedAndCounted) {
  auto m = make_mesh(2);
  m->world->at(m->world->now_ns(), [&] {
    m->transports[0]->send(1, Bytes(m->transports[0]->max_frame_bytes() + 1));
    m->transports[0]->send(99, to_bytes("nobody"));
  });
  m->world->run_for(1s);
  EXPECT_TRUE(m->received[1].empty());
  EXPECT_EQ(m->world->network_stats().oversize, 1u);
  EXPECT_EQ(m->world->network_stats().unknown_node, 1u);
}

TEST(NetworkTest, PerLinkConfigIsValidated) {
  auto m = make_mesh(2);
  LinkConfig bad;
  bad.latency_max = 0ms;
  bad.latency_min = 5ms;
  auto r = m->world->set_link(0, 1, bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("latency_max"), std::string::npos);
  EXPECT_FALSE(m->world->set_link(0, 5, LinkConfig{}).ok());
}

}  // namespace
}  // namespace orbit::sim
