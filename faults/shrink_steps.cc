#include "faults/shrink_steps.h"

#include <algorithm>
#include <chrono>

namespace orbit::faults {
namespace {

int64_t ms_of(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

// Does `end` close the episode `start` opened?
bool closes(const FaultEvent& start, const FaultEvent& end) {
  switch (start.kind) {
    case FaultKind::kPartition: return end.kind == FaultKind::kHeal;
    case FaultKind::kClog: return end.kind == FaultKind::kUnclog && end.from == start.from && end.to == start.to;
    case FaultKind::kNetwork: return end.kind == FaultKind::kNetworkReset;
    case FaultKind::kClockDrift:
      return start.drift_ppm != 0 && end.kind == FaultKind::kClockDrift && end.node == start.node && end.drift_ppm == 0;
    case FaultKind::kCrash: return end.kind == FaultKind::kRestart && end.node == start.node;
    case FaultKind::kDisk:
      return start.disk.mode != faults::DiskMode::kReset && start.disk.mode != faults::DiskMode::kBitFlip &&
             start.disk.mode != faults::DiskMode::kTornWrite && end.kind == FaultKind::kDisk &&
             end.node == start.node && end.disk.mode == faults::DiskMode::kReset;
    default: return false;
  }
}

Duration half_ms(Duration d) { return std::chrono::milliseconds(ms_of(d) / 2); }
double lower(double p) { return p < 0.01 ? 0.0 : p / 4; }

// Milder versions of one event, each changing one thing.
}  // namespace

std::vector<FaultEvent> milder_variants(const FaultEvent& e) {
  std::vector<FaultEvent> out;
  auto add = [&](auto&& change) {
    FaultEvent m = e;
    change(m);
    if (!(m == e)) out.push_back(std::move(m));
  };
  switch (e.kind) {
    case FaultKind::kPartition:
      if (e.a.size() > 1) add([](FaultEvent& m) { m.a.pop_back(); });
      if (e.b.size() > 1) add([](FaultEvent& m) { m.b.pop_back(); });
      if (!e.one_way) add([](FaultEvent& m) { m.one_way = true; });
      break;
    case FaultKind::kNetwork: {
      const auto& w = e.network;
      if (w.loss && *w.loss > 0) add([](FaultEvent& m) { m.network.loss = lower(*m.network.loss); });
      if (w.duplicate && *w.duplicate > 0) add([](FaultEvent& m) { m.network.duplicate = lower(*m.network.duplicate); });
      if (w.reorder && *w.reorder > 0) add([](FaultEvent& m) { m.network.reorder = lower(*m.network.reorder); });
      if (w.latency_max && w.latency_max->count() > 0) {
        add([](FaultEvent& m) {
          m.network.latency_max = half_ms(*m.network.latency_max);
          if (m.network.latency_min && *m.network.latency_min > *m.network.latency_max) {
            m.network.latency_min = m.network.latency_max;
          }
        });
      }
      break;
    }
    case FaultKind::kClockOffset:
      add([](FaultEvent& m) { m.clock_offset = half_ms(m.clock_offset); });
      break;
    case FaultKind::kClockJump:
      add([](FaultEvent& m) { m.clock_delta = half_ms(m.clock_delta); });
      break;
    case FaultKind::kClockDrift:
      if (e.drift_ppm > 1 || e.drift_ppm < -1) add([](FaultEvent& m) { m.drift_ppm /= 2; });
      break;
    case FaultKind::kDisk:
      switch (e.disk.mode) {
        case faults::DiskMode::kLatency:
          add([](FaultEvent& m) {
            m.disk.latency_max = half_ms(m.disk.latency_max);
            m.disk.latency_min = std::min(m.disk.latency_min, m.disk.latency_max);
          });
          break;
        case faults::DiskMode::kEio:
        case faults::DiskMode::kReadCorruption:
          if (e.disk.probability > 0) add([](FaultEvent& m) { m.disk.probability = lower(m.disk.probability); });
          break;
        case faults::DiskMode::kFull:
          if (e.disk.capacity_bytes < (1ull << 40)) add([](FaultEvent& m) { m.disk.capacity_bytes *= 4; });
          break;
        default: break;
      }
      break;
    default: break;
  }
  return out;
}

std::optional<FaultPlan> shorten_episode(const FaultPlan& plan, const std::vector<size_t>& group) {
  constexpr int64_t kMs = 1'000'000;
  if (group.size() == 2) {
    const int64_t start = plan.events[group[0]].at_ns, end = plan.events[group[1]].at_ns;
    const int64_t len = (end - start) / 2 / kMs * kMs;
    if (end - start <= kMs || len >= end - start) return std::nullopt;
    FaultPlan shorter = plan;
    shorter.events[group[1]].at_ns = start + len;
    sort_events(shorter);
    return shorter;
  }
  if (group.size() == 1 && plan.events[group[0]].kind == FaultKind::kPause) {
    const Duration half = std::chrono::milliseconds(ms_of(plan.events[group[0]].pause_duration) / 2);
    if (half < std::chrono::milliseconds(1)) return std::nullopt;
    FaultPlan shorter = plan;
    shorter.events[group[0]].pause_duration = half;
    return shorter;
  }
  return std::nullopt;
}

std::vector<std::vector<size_t>> episodes(const FaultPlan& plan) {
  std::vector<std::vector<size_t>> out;
  std::vector<bool> used(plan.events.size(), false);
  for (size_t i = 0; i < plan.events.size(); ++i) {
    if (used[i]) continue;
    used[i] = true;
    std::vector<size_t> group{i};
    for (size_t j = i + 1; j < plan.events.size(); ++j) {
      if (!used[j] && closes(plan.events[i], plan.events[j])) {
        used[j] = true;
        group.push_back(j);
        break;
      }
    }
    out.push_back(std::move(group));
  }
  return out;
}

}  // namespace orbit::faults
