#include "sim/determinism.h"

#include <algorithm>
#include <cassert>
#include <memory>

namespace orbit::sim {
namespace {

std::string describe(const TrailEntry& e) {
  static constexpr const char* kKinds[] = {"post", "timer", "deliver", "peer_lost", "boot", "fault", "world"};
  std::string owner = e.owner == kWorldOwner ? "world" : "node " + std::to_string(e.owner);
  return std::string(kKinds[static_cast<int>(e.kind)]) + " on " + owner + " at t=" +
         std::to_string(e.time_ns) + "ns (hash after " + std::to_string(e.hash_after) + ")";
}

// Kind, time and node: enough to find the event in a timeline of either run (the fields
// would need the JSON renderer, which lives in reports/).
std::string describe(const history::Event& e) {
  std::string node = e.node == kWorldNode ? "world" : "node " + std::to_string(e.node);
  return std::string(history::kind_name(e.kind())) + " on " + node + " at t=" + std::to_string(e.time_ns) + "ns";
}

}  // namespace

DeterminismReport check_determinism(uint64_t seed, const WorldConfig& config,
                                    const std::function<void(World&)>& drive) {
  auto run = [&]() {
    auto world = World::create(seed, config);
    assert(world.ok() && "check_determinism needs a valid configuration");
    (*world)->enable_trail(true);
    drive(**world);
    return std::move(*world);
  };
  std::unique_ptr<World> a = run();
  std::unique_ptr<World> b = run();

  DeterminismReport report;
  report.hash_first = a->trace_hash();
  report.hash_second = b->trace_hash();

  const history::History& history_a = a->history();
  const history::History& history_b = b->history();
  const auto& ha = history_a.events();
  const auto& hb = history_b.events();
  const size_t hn = std::min(ha.size(), hb.size());
  for (size_t i = 0; i < hn; ++i) {
    if (!history::same_event(history_a, ha[i], history_b, hb[i])) {
      report.divergence = "history event #" + std::to_string(i) + " differs: first run " + describe(ha[i]) +
                          ", second run " + describe(hb[i]);
      return report;
    }
  }
  const auto& ta = a->trail();
  const auto& tb = b->trail();
  const size_t tn = std::min(ta.size(), tb.size());
  for (size_t i = 0; i < tn; ++i) {
    if (ta[i].time_ns != tb[i].time_ns || ta[i].owner != tb[i].owner || ta[i].kind != tb[i].kind ||
        ta[i].hash_after != tb[i].hash_after) {
      report.divergence = "executed event #" + std::to_string(i) + " differs: first run " +
                          describe(ta[i]) + ", second run " + describe(tb[i]);
      return report;
    }
  }
  if (ta.size() != tb.size() || ha.size() != hb.size()) {
    report.divergence = "one run is longer: " + std::to_string(ta.size()) + " vs " +
                        std::to_string(tb.size()) + " events, " + std::to_string(ha.size()) +
                        " vs " + std::to_string(hb.size()) + " history records";
    return report;
  }
  if (report.hash_first != report.hash_second) {
    report.divergence = "trace hashes differ although every event matched";
    return report;
  }
  report.deterministic = true;
  return report;
}

}  // namespace orbit::sim
