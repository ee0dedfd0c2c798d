#include "faults/injector.h"

#include <algorithm>
#include <cassert>
#include <memory>
#include <string>
#include <utility>
#include <vector>


namespace orbit::faults {
namespace {

// Per-world injector state shared by the scheduled actions of one schedule_plan call.
struct InjectorState {
  InjectorOptions options;
  std::vector<sim::DiskConfig> disks;    // per node: the config the plan has set so far
  std::vector<uint64_t> pause_tokens;    // per node: bumped by every applied pause
};

int64_t attributed_node(const FaultEvent& e) {
  switch (e.kind) {
    case FaultKind::kClockOffset:
    case FaultKind::kClockJump:
    case FaultKind::kClockDrift:
    case FaultKind::kCrash:
    case FaultKind::kRestart:
    case FaultKind::kPause:
    case FaultKind::kDisk: return e.node;
    default: return sim::kWorldNode;
  }
}

void record_skip(sim::World& world, size_t index, int64_t node, std::string_view kind, const Error& error) {
  world.record(node, history::FaultSkipped{index, world.intern(kind), world.intern(error.message)});
}

void resume_after_pause(sim::World& world, const std::shared_ptr<InjectorState>& state, size_t index, NodeId node,
                        uint64_t token, int64_t paused_at_ns) {
  if (state->pause_tokens[node] != token) {
    record_skip(world, index, node, "resume",
                Error{ErrorCode::kInvalidArgument,
                      "resume: the pause of node " + std::to_string(node) + " from t=" +
                          std::to_string(paused_at_ns) + "ns already ended (a later pause is in force)"});
    return;
  }
  if (auto r = world.resume(node); !r) record_skip(world, index, node, "resume", r.error());
}

void apply(sim::World& world, const std::shared_ptr<InjectorState>& state, const FaultEvent& e, size_t index) {
  Result<void> r;
  switch (e.kind) {
    case FaultKind::kPartition: r = world.partition(e.a, e.b, e.one_way); break;
    case FaultKind::kHeal: world.heal(); break;
    case FaultKind::kClog: r = world.clog(e.from, e.to); break;
    case FaultKind::kUnclog: r = world.unclog(e.from, e.to); break;
    case FaultKind::kNetwork: r = world.set_all_links(window_config(state->options.base_network, e.network)); break;
    case FaultKind::kNetworkReset: r = world.set_all_links(state->options.base_network); break;
    case FaultKind::kClockOffset: r = world.set_clock_offset(e.node, e.clock_offset); break;
    case FaultKind::kClockJump: r = world.jump_clock(e.node, e.clock_delta); break;
    case FaultKind::kClockDrift: r = world.set_clock_drift(e.node, e.drift_ppm); break;
    case FaultKind::kCrash: r = world.crash(e.node); break;
    case FaultKind::kRestart: r = world.restart(e.node); break;
    case FaultKind::kPause: {
      r = world.pause(e.node);
      if (!r) break;
      const uint64_t token = ++state->pause_tokens[e.node];
      const int64_t resume_ns = world.now_ns() + e.pause_duration.count();
      const auto& end = state->options.safety_phase_end;
      if (end && resume_ns >= end->count()) break;  // heal_all resumes it
      const NodeId node = e.node;
      const int64_t paused_at = world.now_ns();
      sim::World* w = &world;
      world.at(resume_ns, [w, state, index, node, token, paused_at] {
        resume_after_pause(*w, state, index, node, token, paused_at);
      });
      break;
    }
    case FaultKind::kDisk: {
      if (e.disk.mode == DiskMode::kBitFlip) {
        r = world.flip_bit_at_rest(e.node);
        break;
      }
      const sim::DiskConfig next = disk_config_after(state->disks[e.node], state->options.base_disk, e.disk);
      r = world.configure_disk(e.node, next);
      if (r) state->disks[e.node] = next;
      break;
    }
  }
  if (!r) record_skip(world, index, attributed_node(e), to_string(e.kind), r.error());
}

}  // namespace

Result<void> InjectorOptions::validate() const {
  if (auto r = base_network.validate("injector.base_network"); !r) return r;
  if (auto r = base_disk.validate(); !r) {
    return Error{ErrorCode::kInvalidArgument, "injector.base_disk: " + r.error().message};
  }
  if (safety_phase_end && *safety_phase_end < Duration::zero()) {
    return Error{ErrorCode::kInvalidArgument,
                 "injector.safety_phase_end must be >= 0, got " + std::to_string(safety_phase_end->count()) + "ns"};
  }
  return {};
}

sim::LinkConfig window_config(const sim::LinkConfig& base, const NetworkWindow& window) {
  sim::LinkConfig c = base;
  if (window.loss) c.loss_probability = *window.loss;
  if (window.duplicate) c.duplicate_probability = *window.duplicate;
  if (window.reorder) c.reorder_probability = *window.reorder;
  if (window.latency_min) c.latency_min = *window.latency_min;
  if (window.latency_max) c.latency_max = *window.latency_max;
  if (window.reorder_window) c.reorder_window = *window.reorder_window;
  return c;
}

sim::DiskConfig disk_config_after(const sim::DiskConfig& current, const sim::DiskConfig& base, const DiskFault& fault) {
  sim::DiskConfig c = current;
  switch (fault.mode) {
    case DiskMode::kLoseUnsynced: c.tear_last_write_on_crash = false; break;
    case DiskMode::kTornWrite: c.tear_last_write_on_crash = true; break;
    case DiskMode::kBitFlip: break;
    case DiskMode::kLatency:
      c.latency_min = fault.latency_min;
      c.latency_max = fault.latency_max;
      break;
    case DiskMode::kFull: c.capacity_bytes = fault.capacity_bytes; break;
    case DiskMode::kEio: c.eio_probability = fault.probability; break;
    case DiskMode::kReadCorruption: c.read_corruption_probability = fault.probability; break;
    case DiskMode::kReset: c = base; break;
  }
  return c;
}

Result<void> schedule_plan(sim::World& world, const FaultPlan& plan, const InjectorOptions& options) {
  if (auto r = options.validate(); !r) return r;
  if (auto r = validate_plan(plan, world.node_count()); !r) return r;
  for (size_t i = 0; i < plan.events.size(); ++i) {
    const FaultEvent& e = plan.events[i];
    const std::string where = "events[" + std::to_string(i) + "]";
    if (e.at_ns < world.now_ns()) {
      return Error{ErrorCode::kInvalidArgument, where + ".at_ms: " + std::to_string(e.at_ns) +
                                                    "ns is before the world's current time " +
                                                    std::to_string(world.now_ns()) + "ns"};
    }
    if (options.safety_phase_end && e.at_ns >= options.safety_phase_end->count()) {
      return Error{ErrorCode::kInvalidArgument,
                   where + ".at_ms: " + std::to_string(e.at_ns) + "ns is not before the end of the safety phase (" +
                       std::to_string(options.safety_phase_end->count()) + "ns)"};
    }
    if (e.kind == FaultKind::kNetwork) {
      if (auto r = window_config(options.base_network, e.network).validate(where + " over the base network"); !r) {
        return r;
      }
    }
  }

  auto state = std::make_shared<InjectorState>();
  state->options = options;
  state->disks.assign(world.node_count(), options.base_disk);
  state->pause_tokens.assign(world.node_count(), 0);

  // Stable by time, so same-time events run in plan order. Indexes in records refer to the
  // plan as given, so a record leads back to its event.
  std::vector<size_t> order(plan.events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return plan.events[x].at_ns < plan.events[y].at_ns; });
  sim::World* w = &world;
  for (size_t index : order) {
    const FaultEvent& e = plan.events[index];
    world.at(e.at_ns, [w, state, e, index] { apply(*w, state, e, index); });
  }
  return {};
}

Result<void> heal_all(sim::World& world, const InjectorOptions& options) {
  if (auto r = options.validate(); !r) return r;
  world.record(sim::kWorldNode, history::LivenessPhaseStart{world.now_ns()});
  const uint32_t n = world.node_count();
  world.heal();
  for (NodeId from = 0; from < n; ++from) {
    for (NodeId to = 0; to < n; ++to) {
      if (from == to) continue;
      const auto r = world.unclog(from, to);
      assert(r.ok());
      (void)r;
    }
  }
  if (auto r = world.set_all_links(options.base_network); !r) return r;
  for (NodeId node = 0; node < n; ++node) {
    if (auto r = world.configure_disk(node, options.base_disk); !r) return r;
    if (auto r = world.set_clock_drift(node, 0); !r) return r;
    if (auto r = world.set_clock_offset(node, Duration::zero()); !r) return r;
  }
  for (NodeId node = 0; node < n; ++node) {
    auto state = world.state(node);
    if (!state) return state.error();
    if (*state == sim::NodeState::kPaused) {
      if (auto r = world.resume(node); !r) return r;
    } else if (*state == sim::NodeState::kDown) {
      if (auto r = world.restart(node); !r) return r;
    }
  }
  return {};
}

}  // namespace orbit::faults
