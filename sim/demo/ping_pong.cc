#include "sim/demo/ping_pong.h"

#include <map>

#include "runtime/env/oneshot.h"
#include "runtime/env/task_scope.h"
#include "runtime/env/when.h"

namespace orbit::sim::demo {
namespace {

constexpr uint8_t kPing = 1;
constexpr uint8_t kPong = 2;

Bytes encode(uint8_t type, uint64_t seq) {
  Bytes frame(9);
  frame[0] = type;
  for (int i = 0; i < 8; ++i) frame[1 + i] = static_cast<uint8_t>(seq >> (8 * i));
  return frame;
}

bool decode(const Bytes& frame, uint8_t& type, uint64_t& seq) {
  if (frame.size() != 9) return false;
  type = frame[0];
  seq = 0;
  for (int i = 0; i < 8; ++i) seq |= static_cast<uint64_t>(frame[1 + i]) << (8 * i);
  return true;
}

class PingPongNode final : public NodeProcess {
 public:
  PingPongNode(NodeContext& ctx, const PingPongConfig& config, std::shared_ptr<PingPongCounts> counts)
      : ctx_(ctx), config_(config), counts_holder_(std::move(counts)), counts_(*counts_holder_) {
    ctx_.transport().set_receive_handler([this](NodeId from, Bytes frame) { on_frame(from, frame); });
    ctx_.transport().set_peer_lost_handler([this](NodeId) { ++counts_.peers_lost; });
    scope_.spawn(ping_loop());
  }

 private:
  void on_frame(NodeId from, const Bytes& frame) {
    uint8_t type;
    uint64_t seq;
    if (!decode(frame, type, seq)) return;
    if (type == kPing) {
      ctx_.transport().send(from, encode(kPong, seq));
    } else if (type == kPong) {
      auto it = pending_.find(seq);
      if (it != pending_.end()) it->second->set(true);  // late or duplicate pongs find nothing
    }
  }

  static Task<bool> await_pong(OneShot<bool>& shot) { co_return co_await shot.wait(); }

  Task<void> ping_loop() {
    const uint32_t n = config_.nodes;
    for (;;) {
      co_await sleep(ctx_.executor(), config_.ping_interval);
      NodeId peer = static_cast<NodeId>(ctx_.random().below(n - 1));
      if (peer >= ctx_.id()) ++peer;
      const uint64_t seq = next_seq_++;
      auto& shot = *pending_.emplace(seq, std::make_unique<OneShot<bool>>()).first->second;
      ++counts_.pings_sent;
      ctx_.transport().send(peer, encode(kPing, seq));
      auto reply = co_await with_timeout(ctx_.executor(), await_pong(shot), config_.ping_timeout);
      pending_.erase(seq);
      if (reply.ok()) {
        ++counts_.pongs_received;
      } else {
        ++counts_.timeouts;
        ctx_.recorder().record(history::PingTimeout{peer, seq});
      }
    }
  }

  NodeContext& ctx_;
  const PingPongConfig config_;
  std::shared_ptr<PingPongCounts> counts_holder_;
  PingPongCounts& counts_;
  uint64_t next_seq_ = 0;
  std::map<uint64_t, std::unique_ptr<OneShot<bool>>> pending_;  // outlives the scope's waiters
  TaskScope scope_;
};

}  // namespace

WorldConfig ping_pong_world_config(const PingPongConfig& config) {
  WorldConfig wc;
  wc.nodes = config.nodes;
  wc.network.latency_min = 1ms;
  wc.network.latency_max = 10ms;
  wc.network.loss_probability = config.loss_probability;
  return wc;
}

std::shared_ptr<const PingPongCounts> drive_ping_pong(World& world, const PingPongConfig& config) {
  auto counts = std::make_shared<PingPongCounts>();
  world.set_boot([config, counts](NodeContext& ctx) -> std::unique_ptr<NodeProcess> {
    return std::make_unique<PingPongNode>(ctx, config, counts);
  });
  world.start();
  if (config.inject_faults && world.node_count() >= 3) {
    const int64_t d = config.duration.count();
    const NodeId last = world.node_count() - 1;
    world.at(d * 3 / 10, [&world, last] { (void)world.crash(last); });
    world.at(d * 5 / 10, [&world, last] { (void)world.restart(last); });
    world.at(d * 6 / 10, [&world] {
      std::vector<NodeId> a{0, 1}, b;
      for (NodeId i = 2; i < world.node_count(); ++i) b.push_back(i);
      (void)world.partition(a, b);
    });
    world.at(d * 8 / 10, [&world] { world.heal(); });
  }
  world.run_for(config.duration);
  return counts;
}

Result<PingPongRun> run_ping_pong(uint64_t seed, const PingPongConfig& config) {
  auto world = World::create(seed, ping_pong_world_config(config));
  if (!world) return world.error();
  PingPongRun run{std::move(*world), {}};
  run.counts = drive_ping_pong(*run.world, config);
  return run;
}

}  // namespace orbit::sim::demo
