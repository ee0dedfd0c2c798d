#include "faults/generators.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <map>
#include <string>
#include <utility>

#include "runtime/env/random.h"

namespace orbit::faults {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
// The simulator's drift bound (sim::kMaxDriftPpm).
constexpr int64_t kSimMaxDriftPpm = 500000;
// Episodes on the same resource keep at least this far apart, and every episode ends this
// long before the safety phase does, so that no two events of one resource share a time.
constexpr int64_t kGapMs = 1;
// Attempts to place one episode before giving up on it (bounded, deterministic).
constexpr int kPlacementAttempts = 8;

// Salts keep each generator's stream apart from the others' for the same seed.
constexpr uint64_t kSaltRandom = 0x72616e646f6dULL;
constexpr uint64_t kSaltSwarm = 0x737761726dULL;
constexpr uint64_t kSaltPartition = 0x7061727469ULL;
constexpr uint64_t kSaltPause = 0x7061757365ULL;
constexpr uint64_t kSaltRolling = 0x726f6c6cULL;
constexpr uint64_t kSaltStore = 0x73746f7265ULL;

Duration ms(int64_t v) { return Duration(v * kNsPerMs); }

double round4(double p) { return std::round(p * 1e4) / 1e4; }

// The fault families random_plan and swarm_plan draw from.
enum Family {
  kFPartition,
  kFClog,
  kFNetwork,
  kFClockOffset,
  kFClockJump,
  kFClockDrift,
  kFCrash,
  kFPause,
  kFDisk,
  kFamilies
};

struct Interval {
  int64_t start_ms;
  int64_t end_ms;  // inclusive
};

// Collects episodes into a plan, keeping the well-formedness rules of generators.h:
// resources never double-booked, a majority of members always up, every event before the
// end, nothing beyond the model unless allowed.
class PlanBuilder {
 public:
  PlanBuilder(uint64_t seed, uint64_t salt, const GenOptions& options)
      : rng_(env::mix64(seed ^ salt)), options_(options), limits_(model_limits(options)) {}

  env::Random& rng() { return rng_; }
  const GenOptions& options() const { return options_; }
  uint32_t node_count() const { return options_.node_count(); }
  NodeId store() const { return options_.store_node(); }
  int64_t lease_ms() const { return std::max<int64_t>(1, options_.lease_duration.count() / kNsPerMs); }
  // The last millisecond an event may fall on.
  int64_t last_ms() const { return options_.safety_phase.count() / kNsPerMs - kGapMs; }
  int64_t safety_ms() const { return options_.safety_phase.count() / kNsPerMs; }
  int64_t max_unavailable() const { return std::max<int64_t>(1, (int64_t{options_.members} - 1) / 2); }

  int64_t between(int64_t lo, int64_t hi) { return rng_.between(lo, std::max(lo, hi)); }
  NodeId any_node() { return static_cast<NodeId>(rng_.below(node_count())); }
  NodeId any_member() { return static_cast<NodeId>(rng_.below(options_.members)); }

  // Picks a window of `len_ms` (shortened to fit, but not below `min_len_ms`) inside the
  // safety phase. False when none fits.
  bool window(int64_t& start_ms, int64_t& len_ms, int64_t min_len_ms) {
    if (last_ms() < min_len_ms) return false;
    len_ms = std::clamp(len_ms, min_len_ms, last_ms());
    start_ms = between(0, last_ms() - len_ms);
    return true;
  }

  bool is_free(const std::string& resource, Interval in) const {
    const auto it = busy_.find(resource);
    if (it == busy_.end()) return true;
    for (const Interval& b : it->second) {
      if (in.start_ms <= b.end_ms + kGapMs && b.start_ms <= in.end_ms + kGapMs) return false;
    }
    return true;
  }

  // A member crashed or paused over `in` would leave a majority up.
  bool may_take_down(NodeId node, Interval in) const {
    if (node >= options_.members) return true;
    int64_t overlapping = 0;
    for (const Interval& b : unavailable_) {
      if (in.start_ms <= b.end_ms + kGapMs && b.start_ms <= in.end_ms + kGapMs) ++overlapping;
    }
    return overlapping < max_unavailable();
  }

  // Adds an episode: its events, the resources it holds over `in`, and whether it takes
  // `down` (a member or the store) out. False, adding nothing, when a resource is busy,
  // too many members would be down, or an event is beyond the model and that is not allowed.
  bool add(std::vector<FaultEvent> events, Interval in, std::vector<std::string> resources,
           std::optional<NodeId> down = std::nullopt) {
    for (const std::string& r : resources) {
      if (!is_free(r, in)) return false;
    }
    if (down && !may_take_down(*down, in)) return false;
    if (!options_.allow_beyond_model) {
      for (const FaultEvent& e : events) {
        if (classify(e, limits_) == Model::kBeyondModel) return false;
      }
    }
    for (const FaultEvent& e : events) {
      assert(e.at_ns >= 0 && e.at_ns <= last_ms() * kNsPerMs && "generated event outside the safety phase");
      events_.push_back(e);
    }
    for (std::string& r : resources) busy_[std::move(r)].push_back(in);
    if (down && *down < options_.members) unavailable_.push_back(in);
    return true;
  }

  FaultPlan finish() {
    FaultPlan plan;
    plan.events = std::move(events_);
    sort_events(plan);
    const auto valid = validate_plan(plan, node_count());
    assert(valid.ok() && "a generator produced an invalid plan");
    (void)valid;
    return plan;
  }

 private:
  env::Random rng_;
  GenOptions options_;
  ModelLimits limits_;
  std::vector<FaultEvent> events_;
  std::map<std::string, std::vector<Interval>> busy_;
  std::vector<Interval> unavailable_;
};

std::string proc(NodeId n) { return "process:" + std::to_string(n); }
std::string disk_resource(NodeId n) { return "disk:" + std::to_string(n); }
std::string drift_resource(NodeId n) { return "drift:" + std::to_string(n); }

// Two sides of a partition: one isolated node, or a random split of all nodes.
std::pair<std::vector<NodeId>, std::vector<NodeId>> random_split(PlanBuilder& b) {
  const uint32_t n = b.node_count();
  std::vector<NodeId> a;
  std::vector<NodeId> rest;
  if (b.rng().chance(1.0 / 3.0)) {
    const NodeId lonely = b.any_node();
    a.push_back(lonely);
    for (NodeId i = 0; i < n; ++i) {
      if (i != lonely) rest.push_back(i);
    }
    return {a, rest};
  }
  std::vector<NodeId> all(n);
  for (NodeId i = 0; i < n; ++i) all[i] = i;
  for (size_t i = all.size(); i > 1; --i) std::swap(all[i - 1], all[b.rng().below(i)]);  // Fisher-Yates
  const size_t k = static_cast<size_t>(b.between(1, n - 1));
  a.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
  rest.assign(all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
  std::sort(a.begin(), a.end());
  std::sort(rest.begin(), rest.end());
  return {a, rest};
}

// --- Episodes: each tries once to place one fault of its family, with severity s in [0, 1].

bool partition_episode(PlanBuilder& b, double s) {
  int64_t start = 0;
  int64_t len = b.between(500, static_cast<int64_t>(s * 2.0 * static_cast<double>(b.lease_ms())));
  if (!b.window(start, len, 100)) return false;
  auto [side_a, side_b] = random_split(b);
  const bool one_way = b.rng().chance(0.25);
  return b.add({event::partition(ms(start), side_a, side_b, one_way), event::heal(ms(start + len))},
               {start, start + len}, {"partition"});
}

bool clog_episode(PlanBuilder& b, double s) {
  const NodeId from = b.any_node();
  NodeId to = static_cast<NodeId>(b.rng().below(b.node_count() - 1));
  if (to >= from) ++to;
  int64_t start = 0;
  int64_t len = b.between(50, static_cast<int64_t>(s * static_cast<double>(b.lease_ms())));
  if (!b.window(start, len, 10)) return false;
  return b.add({event::clog(ms(start), from, to), event::unclog(ms(start + len), from, to)}, {start, start + len},
               {"link:" + std::to_string(from) + ">" + std::to_string(to)});
}

bool network_episode(PlanBuilder& b, double s) {
  NetworkWindow w;
  env::Random& r = b.rng();
  // Each knob with probability 1/2; latency min and max always together (a lone max could
  // fall below the base min).
  for (int tries = 0; tries < 8 && w.empty(); ++tries) {
    if (r.chance(0.5)) w.loss = round4(s * 0.3 * r.unit());
    if (r.chance(0.5)) w.duplicate = round4(s * 0.2 * r.unit());
    if (r.chance(0.5)) {
      w.reorder = round4(s * 0.3 * r.unit());
      w.reorder_window = ms(b.between(1, 5 + static_cast<int64_t>(s * 100)));
    }
    if (r.chance(0.5)) {
      const int64_t lo = b.between(0, 5 + static_cast<int64_t>(s * 50));
      w.latency_min = ms(lo);
      w.latency_max = ms(lo + b.between(1, 5 + static_cast<int64_t>(s * 450)));
    }
  }
  if (w.empty()) w.loss = round4(s * 0.1);
  int64_t start = 0;
  int64_t len = b.between(500, static_cast<int64_t>(s * 2.0 * static_cast<double>(b.lease_ms())));
  if (!b.window(start, len, 100)) return false;
  return b.add({event::network(ms(start), w), event::network_reset(ms(start + len))}, {start, start + len},
               {"network"});
}

bool clock_offset_episode(PlanBuilder& b, double s) {
  if (b.last_ms() < 0) return false;
  const int64_t start = b.between(0, b.last_ms());
  const int64_t bound = 1 + static_cast<int64_t>(s * 3'600'000);  // up to an hour
  return b.add({event::clock_offset(ms(start), b.any_node(), ms(b.between(-bound, bound)))}, {start, start}, {});
}

bool clock_jump_episode(PlanBuilder& b, double s) {
  if (b.last_ms() < 0) return false;
  const int64_t start = b.between(0, b.last_ms());
  const int64_t bound = 1 + static_cast<int64_t>(s * 600'000);  // up to ten minutes
  return b.add({event::clock_jump(ms(start), b.any_node(), ms(b.between(-bound, bound)))}, {start, start}, {});
}

bool clock_drift_episode(PlanBuilder& b, double s) {
  const NodeId node = b.any_node();
  const int64_t limit = b.options().max_drift_ppm;
  int64_t ppm = b.between(-limit, limit);
  if (b.options().allow_beyond_model && b.rng().chance(0.3) && limit < kSimMaxDriftPpm) {
    const int64_t magnitude = b.between(limit + 1, std::min(kSimMaxDriftPpm, limit * 10 + 1000));
    ppm = b.rng().chance(0.5) ? magnitude : -magnitude;
  }
  int64_t start = 0;
  int64_t len = b.between(1000, static_cast<int64_t>(s * static_cast<double>(b.safety_ms()) / 2.0));
  if (!b.window(start, len, 100)) return false;
  return b.add({event::clock_drift(ms(start), node, ppm), event::clock_drift(ms(start + len), node, 0)},
               {start, start + len}, {drift_resource(node)});
}

bool crash_episode(PlanBuilder& b, double s) {
  const NodeId node = b.any_node();
  int64_t start = 0;
  int64_t len = b.between(100, 500 + static_cast<int64_t>(s * 2.0 * static_cast<double>(b.lease_ms())));
  if (!b.window(start, len, 10)) return false;
  return b.add({event::crash(ms(start), node), event::restart(ms(start + len), node)}, {start, start + len},
               {proc(node)}, node);
}

bool pause_episode(PlanBuilder& b, NodeId node, int64_t len) {
  int64_t start = 0;
  if (!b.window(start, len, 1)) return false;
  return b.add({event::pause(ms(start), node, ms(len))}, {start, start + len}, {proc(node)}, node);
}

bool pause_episode(PlanBuilder& b, double s) {
  const int64_t hi = static_cast<int64_t>(s * static_cast<double>(kMaxPauseLeases * b.lease_ms()));
  return pause_episode(b, b.any_node(), b.between(50, hi));
}

bool disk_episode(PlanBuilder& b, double s) {
  const NodeId node = b.rng().chance(0.5) ? b.store() : b.any_member();
  const ModelLimits limits = model_limits(b.options());
  std::vector<DiskMode> modes = {DiskMode::kLoseUnsynced, DiskMode::kTornWrite, DiskMode::kLatency};
  if (b.options().allow_beyond_model || !limits.is_storage_node(node)) {
    modes.insert(modes.end(), {DiskMode::kBitFlip, DiskMode::kFull, DiskMode::kEio, DiskMode::kReadCorruption});
  }
  const DiskMode mode = modes[b.rng().below(modes.size())];
  if (mode == DiskMode::kBitFlip) {
    if (b.last_ms() < 0) return false;
    const int64_t at = b.between(0, b.last_ms());
    return b.add({event::disk_mode(ms(at), node, mode)}, {at, at}, {});
  }
  DiskFault fault{.mode = mode};
  switch (mode) {
    case DiskMode::kLatency: {
      const int64_t lo = b.between(0, 1 + static_cast<int64_t>(s * 20));
      fault.latency_min = ms(lo);
      fault.latency_max = ms(lo + b.between(1, 1 + static_cast<int64_t>(s * 200)));
      break;
    }
    case DiskMode::kFull: fault.capacity_bytes = uint64_t{1} << b.between(10, 26); break;
    case DiskMode::kEio: fault.probability = round4(s * 0.2 * b.rng().unit()); break;
    case DiskMode::kReadCorruption: fault.probability = round4(s * 0.1 * b.rng().unit()); break;
    default: break;
  }
  int64_t start = 0;
  int64_t len = b.between(500, static_cast<int64_t>(s * 2.0 * static_cast<double>(b.lease_ms())));
  if (!b.window(start, len, 100)) return false;
  return b.add({event::disk(ms(start), node, fault), event::disk_mode(ms(start + len), node, DiskMode::kReset)},
               {start, start + len}, {disk_resource(node)});
}

bool family_episode(PlanBuilder& b, Family f, double s) {
  switch (f) {
    case kFPartition: return partition_episode(b, s);
    case kFClog: return clog_episode(b, s);
    case kFNetwork: return network_episode(b, s);
    case kFClockOffset: return clock_offset_episode(b, s);
    case kFClockJump: return clock_jump_episode(b, s);
    case kFClockDrift: return clock_drift_episode(b, s);
    case kFCrash: return crash_episode(b, s);
    case kFPause: return pause_episode(b, s);
    case kFDisk: return disk_episode(b, s);
    case kFamilies: break;
  }
  return false;
}

struct Mix {
  std::array<double, kFamilies> weight{};    // relative frequency; 0 = never
  std::array<double, kFamilies> severity{};  // [0, 1]
};

// Places `episodes` episodes, each of a family drawn by weight, each with a few attempts.
FaultPlan generate_mix(PlanBuilder& b, const Mix& mix, int64_t episodes) {
  double total = 0;
  for (double w : mix.weight) total += w;
  if (total <= 0) return b.finish();
  for (int64_t i = 0; i < episodes; ++i) {
    double pick = b.rng().unit() * total;
    int f = 0;
    for (; f < kFamilies - 1; ++f) {
      if (mix.weight[f] > 0 && pick < mix.weight[f]) break;
      pick -= mix.weight[f];
    }
    // Rounding can run past the last positive weight: take the last family that has one.
    while (mix.weight[f] <= 0) --f;
    for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
      if (family_episode(b, static_cast<Family>(f), mix.severity[f])) break;
    }
  }
  return b.finish();
}

// About one episode per two seconds of safety phase at full intensity.
int64_t episode_budget(const GenOptions& o) {
  const double seconds = static_cast<double>(o.safety_phase.count()) / 1e9;
  return std::min<int64_t>(10'000, std::llround(o.intensity * seconds / 2.0));
}

}  // namespace

Result<void> GenOptions::validate() const {
  auto bad = [](std::string m) { return Error{ErrorCode::kInvalidArgument, std::move(m)}; };
  if (members < 1 || members > 4095) return bad("gen.members must be in [1, 4095], got " + std::to_string(members));
  if (safety_phase < std::chrono::milliseconds(1)) {
    return bad("gen.safety_phase must be at least 1ms, got " + std::to_string(safety_phase.count()) + "ns");
  }
  if (lease_duration <= Duration::zero()) {
    return bad("gen.lease_duration must be positive, got " + std::to_string(lease_duration.count()) + "ns");
  }
  if (max_drift_ppm < 0 || max_drift_ppm > kSimMaxDriftPpm) {
    return bad("gen.max_drift_ppm must be in [0, 500000], got " + std::to_string(max_drift_ppm));
  }
  if (!(intensity >= 0.0 && intensity <= 1.0)) {
    return bad("gen.intensity must be in [0, 1], got " + std::to_string(intensity));
  }
  return {};
}

ModelLimits model_limits(const GenOptions& options) {
  return ModelLimits::for_cluster(options.members, options.max_drift_ppm);
}

Result<FaultPlan> random_plan(uint64_t seed, const GenOptions& options) {
  if (auto r = options.validate(); !r) return r.error();
  PlanBuilder b(seed, kSaltRandom, options);
  Mix mix;
  mix.weight.fill(1.0);
  mix.severity.fill(options.intensity);
  return generate_mix(b, mix, episode_budget(options));
}

Result<FaultPlan> swarm_plan(uint64_t seed, const GenOptions& options) {
  if (auto r = options.validate(); !r) return r.error();
  PlanBuilder b(seed, kSaltSwarm, options);
  Mix mix;
  bool any = false;
  for (int f = 0; f < kFamilies; ++f) {
    const bool on = b.rng().chance(0.5);
    const double rate = 0.2 + 0.8 * b.rng().unit();
    const double severity = options.intensity * (0.25 + 0.75 * b.rng().unit());
    mix.weight[f] = on ? rate : 0.0;
    mix.severity[f] = severity;
    any = any || on;
  }
  if (!any) mix.weight[b.rng().below(kFamilies)] = 1.0;
  const double scale = 0.5 + b.rng().unit();  // some seeds busy, some quiet
  const int64_t episodes = std::llround(static_cast<double>(episode_budget(options)) * scale);
  return generate_mix(b, mix, episodes);
}

Result<FaultPlan> partition_heal_cycles(uint64_t seed, const GenOptions& options) {
  if (auto r = options.validate(); !r) return r.error();
  PlanBuilder b(seed, kSaltPartition, options);
  const double lease = static_cast<double>(b.lease_ms());
  const int64_t len_lo = std::max<int64_t>(100, b.lease_ms() / 4);
  const int64_t len_hi = std::max<int64_t>(len_lo, static_cast<int64_t>(lease * (0.5 + 1.5 * options.intensity)));
  const int64_t gap_hi = std::max<int64_t>(200, static_cast<int64_t>(lease * (1.0 - 0.8 * options.intensity)));
  int64_t t = b.between(0, std::min<int64_t>(1000, std::max<int64_t>(0, b.last_ms())));
  for (int cycle = 0; cycle < 10'000; ++cycle) {
    int64_t len = b.between(len_lo, len_hi);
    if (t + len > b.last_ms()) len = b.last_ms() - t;
    if (len < 100) break;
    auto [side_a, side_b] = random_split(b);
    const bool one_way = b.rng().chance(0.25);
    const bool added = b.add({event::partition(ms(t), side_a, side_b, one_way), event::heal(ms(t + len))},
                             {t, t + len}, {"partition"});
    assert(added && "partition cycles are sequential");
    (void)added;
    t += len + b.between(100, gap_hi);
  }
  return b.finish();
}

Result<FaultPlan> pause_storm(uint64_t seed, const GenOptions& options) {
  if (auto r = options.validate(); !r) return r.error();
  PlanBuilder b(seed, kSaltPause, options);
  const double minutes = static_cast<double>(options.safety_phase.count()) / 60e9;
  const int64_t count =
      std::clamp<int64_t>(std::llround((2 + 18 * options.intensity) * minutes), 1, 10'000);
  const int64_t lease = b.lease_ms();
  // Long pauses reach kMaxPauseLeases leases at full intensity.
  const double long_factor = 1.0 + static_cast<double>(kMaxPauseLeases - 1) * options.intensity;
  const int64_t long_hi = std::max<int64_t>(lease + 1, static_cast<int64_t>(static_cast<double>(lease) * long_factor));
  for (int64_t i = 0; i < count; ++i) {
    for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
      const NodeId node = b.rng().chance(0.15) ? b.store() : b.any_member();
      // About half the pauses outlive a lease: the holder wakes up believing it still holds it.
      const int64_t len = b.rng().chance(0.5) ? b.between(lease + 1, long_hi) : b.between(50, lease);
      if (pause_episode(b, node, len)) break;
    }
  }
  return b.finish();
}

Result<FaultPlan> rolling_restarts(uint64_t seed, const GenOptions& options) {
  if (auto r = options.validate(); !r) return r.error();
  PlanBuilder b(seed, kSaltRolling, options);
  std::vector<NodeId> order(options.members);
  for (NodeId i = 0; i < options.members; ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[b.rng().below(i)]);
  const double lease = static_cast<double>(b.lease_ms());
  const int64_t down_hi = std::max<int64_t>(500, static_cast<int64_t>(lease * (0.5 + options.intensity)));
  const int64_t gap_hi = std::max<int64_t>(200, static_cast<int64_t>(lease * (1.0 - 0.7 * options.intensity)));
  int64_t t = b.between(0, std::min<int64_t>(2000, std::max<int64_t>(0, b.last_ms())));
  for (size_t i = 0; i < 10'000; ++i) {
    const NodeId node = order[i % order.size()];
    const int64_t down = b.between(500, down_hi);
    if (t + down > b.last_ms()) break;
    const bool added = b.add({event::crash(ms(t), node), event::restart(ms(t + down), node)}, {t, t + down},
                             {proc(node)}, node);
    assert(added && "rolling restarts are sequential");
    (void)added;
    t += down + b.between(200, gap_hi);
  }
  return b.finish();
}

Result<FaultPlan> storage_node_crash(uint64_t seed, const GenOptions& options) {
  if (auto r = options.validate(); !r) return r.error();
  PlanBuilder b(seed, kSaltStore, options);
  const NodeId store = b.store();
  const bool torn = b.add({event::disk_mode(ms(0), store, DiskMode::kTornWrite)}, {0, 0}, {});
  assert(torn);
  (void)torn;
  // Sometimes the store's disk is slow for a while, which widens every crash window.
  if (b.rng().chance(std::max(0.2, options.intensity))) {
    int64_t start = 0;
    int64_t len = b.between(1000, static_cast<int64_t>(static_cast<double>(b.safety_ms()) / 3.0));
    if (b.window(start, len, 100)) {
      const int64_t lo = b.between(0, 2 + static_cast<int64_t>(options.intensity * 10));
      const int64_t hi = lo + b.between(1, 5 + static_cast<int64_t>(options.intensity * 50));
      // Ending with reset brings back the base config; torn writes are switched on again.
      const bool slow = b.add({event::disk_latency(ms(start), store, ms(lo), ms(hi)),
                               event::disk_mode(ms(start + len), store, DiskMode::kReset),
                               event::disk_mode(ms(start + len), store, DiskMode::kTornWrite)},
                              {start, start + len}, {disk_resource(store)});
      (void)slow;
    }
  }
  const double seconds = static_cast<double>(options.safety_phase.count()) / 1e9;
  const int64_t crashes = std::min<int64_t>(10'000, 1 + std::llround(options.intensity * seconds / 20.0));
  const int64_t down_hi = 1000 + static_cast<int64_t>(options.intensity * static_cast<double>(b.lease_ms()));
  for (int64_t i = 0; i < crashes; ++i) {
    for (int attempt = 0; attempt < kPlacementAttempts; ++attempt) {
      int64_t start = 0;
      int64_t len = b.between(200, down_hi);
      if (!b.window(start, len, 10)) break;
      if (b.add({event::crash(ms(start), store), event::restart(ms(start + len), store)}, {start, start + len},
                {proc(store)}, store)) {
        break;
      }
    }
  }
  return b.finish();
}

const std::vector<PresetInfo>& list_presets() {
  static const std::vector<PresetInfo> presets = {
      {"random", "a mix of every fault kind at random times", &random_plan},
      {"swarm", "a random subset of fault kinds, each with its own rate and severity (swarm testing)",
       &swarm_plan},
      {"partition_heal_cycles", "partition (split, isolation or one-way), heal, repeat", &partition_heal_cycles},
      {"pause_storm", "many process pauses, about half longer than a lease", &pause_storm},
      {"rolling_restarts", "members crashed and restarted one at a time", &rolling_restarts},
      {"storage_node_crash", "the storage node crashes and restarts with torn writes", &storage_node_crash},
  };
  return presets;
}

Result<PlanGenerator> preset_by_name(std::string_view name) {
  std::string known;
  for (const PresetInfo& p : list_presets()) {
    if (p.name == name) return p.generate;
    if (!known.empty()) known += ", ";
    known += p.name;
  }
  return Error{ErrorCode::kNotFound, "unknown fault plan preset \"" + std::string(name) + "\"; known: " + known};
}

}  // namespace orbit::faults
