#include "scenarios/checkers/lease_exclusivity.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

constexpr int64_t kPpmScale = 1'000'000;

struct Belief {
  history::Sym actor;
  history::Sym holder;
  int64_t node = 0;
  int64_t version = 0;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t valid_for_local_ns = 0;
  int64_t drift_ppm = 0;
  size_t event = 0;
  std::optional<size_t> drift_event;  // the clock_drift in force, if any
  std::optional<size_t> cut_event;    // what ended the belief early, if anything
  bool open = true;                   // not yet cut
};

// Local monotonic duration -> true duration at a constant drift, rounded up (a longer
// belief is the stricter reading), saturating at INT64_MAX.
int64_t local_to_true_ns(int64_t local_ns, int64_t ppm) {
  if (local_ns <= 0) return 0;
  const __int128 rate = kPpmScale + ppm;
  const __int128 numerator = static_cast<__int128>(local_ns) * kPpmScale;
  const __int128 true_ns = (numerator + rate - 1) / rate;
  if (true_ns > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(true_ns);
}

using HolderKey = std::pair<history::Sym, history::Sym>;  // (actor, holder)

// The (actor, holder) of any event that names both: every event a holder records for an
// actor does (activation, snapshot_write, ...).
std::optional<HolderKey> holder_key(const history::Event& event) {
  return std::visit(
      [](const auto& payload) -> std::optional<HolderKey> {
        if constexpr (requires { payload.actor; payload.holder; }) {
          return HolderKey{payload.actor, payload.holder};
        } else {
          return std::nullopt;
        }
      },
      event.payload);
}

// What a belief-opening event (lease_acquired, lease_renewed) grants.
struct Grant {
  int64_t version = 0;
  int64_t valid_for_local_ns = 0;  // on the holder's clock
};

std::optional<Grant> grant_of(const history::Event& event) {
  if (const auto* acquired = event.get<history::LeaseAcquired>()) {
    return Grant{acquired->version, acquired->valid_for.count()};
  }
  if (const auto* renewed = event.get<history::LeaseRenewed>()) {
    return Grant{renewed->version, renewed->valid_for.count()};
  }
  return std::nullopt;
}

}  // namespace

CheckResult LeaseExclusivityChecker::check(const CheckInput& input, const CheckContext&) const {
  const history::History& history = input.history;
  MalformedEvents malformed;
  std::vector<Belief> beliefs;
  std::map<int64_t, std::pair<int64_t, size_t>> drift_by_node;  // node -> (ppm, event)
  std::map<HolderKey, std::vector<size_t>> open_by_holder;       // -> indices into beliefs
  std::map<int64_t, std::vector<size_t>> open_by_node;
  std::map<HolderKey, int64_t> last_event_ns;  // the holder's latest event for the actor

  auto cut = [&](std::vector<size_t>& open, int64_t at_ns, size_t by_event) {
    for (size_t b : open) {
      Belief& belief = beliefs[b];
      if (!belief.open) continue;
      belief.open = false;
      if (at_ns < belief.end_ns) {
        belief.end_ns = std::max(at_ns, belief.start_ns);
        belief.cut_event = by_event;
      }
    }
    open.clear();
  };

  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const history::Event& e = events[i];
    if (const auto* drift = e.get<history::ClockDrift>()) {
      if (drift->ppm <= -kPpmScale) {
        malformed.add(history, i, "clock_drift needs an integer \"ppm\" > -1000000");
        continue;
      }
      drift_by_node[e.node] = {drift->ppm, i};
      continue;
    }
    if (e.is<history::Crash>()) {
      cut(open_by_node[e.node], e.time_ns, i);
      continue;
    }
    const std::optional<HolderKey> key = holder_key(e);
    // A snapshot_integrity_failure names its holder but is not work the holder did with the
    // lease (it is recorded while loading); the release cut has never counted it.
    if (!key || e.is<history::SnapshotIntegrityFailure>()) continue;
    const std::optional<Grant> grant = grant_of(e);
    const bool ends_now = e.is<history::Deactivation>() || e.is<history::LeaseLost>();
    const bool ends_before = e.is<history::LeaseReleased>() || e.is<history::ActivationFailed>();
    if (grant) {
      const int64_t valid_for = grant->valid_for_local_ns;
      Belief belief;
      belief.actor = key->first;
      belief.holder = key->second;
      belief.node = e.node;
      belief.version = grant->version;
      belief.start_ns = e.time_ns;
      belief.valid_for_local_ns = valid_for;
      if (auto d = drift_by_node.find(e.node); d != drift_by_node.end()) {
        belief.drift_ppm = d->second.first;
        belief.drift_event = d->second.second;
      }
      belief.end_ns = saturating_add(e.time_ns, local_to_true_ns(valid_for, belief.drift_ppm));
      belief.event = i;
      open_by_holder[*key].push_back(beliefs.size());
      open_by_node[e.node].push_back(beliefs.size());
      beliefs.push_back(std::move(belief));
      last_event_ns[*key] = e.time_ns;
    } else if (ends_now) {
      cut(open_by_holder[*key], e.time_ns, i);
      last_event_ns[*key] = e.time_ns;
    } else if (ends_before) {
      auto last = last_event_ns.find(*key);
      cut(open_by_holder[*key], last == last_event_ns.end() ? e.time_ns : last->second, i);
    } else {
      // Any other event a holder records (activation, snapshot_write, ...) shows it was
      // still at work: the release cut above uses the latest one.
      last_event_ns[*key] = e.time_ns;
    }
  }

  // Per actor, a sweep over beliefs ordered by start: a belief can only overlap the ones
  // that start before it ends.
  // Keyed by the actor's name, not its Sym: violations of one instant come out in name order.
  std::map<std::string_view, std::vector<size_t>> by_actor;
  for (size_t b = 0; b < beliefs.size(); ++b) {
    if (beliefs[b].end_ns > beliefs[b].start_ns) by_actor[history.str(beliefs[b].actor)].push_back(b);
  }
  std::vector<Violation> violations;
  size_t overlapping_pairs = 0;
  std::set<HolderKey> holders;
  for (auto& [actor, list] : by_actor) {
    std::stable_sort(list.begin(), list.end(), [&](size_t a, size_t b) {
      if (beliefs[a].start_ns != beliefs[b].start_ns) return beliefs[a].start_ns < beliefs[b].start_ns;
      return beliefs[a].event < beliefs[b].event;
    });
    std::map<std::pair<history::Sym, history::Sym>, size_t> reported;  // holder pair -> violation
    std::map<size_t, size_t> extra_overlaps;                          // violation -> more pairs
    for (size_t x = 0; x < list.size(); ++x) {
      const Belief& a = beliefs[list[x]];
      holders.insert({a.actor, a.holder});
      for (size_t y = x + 1; y < list.size() && beliefs[list[y]].start_ns < a.end_ns; ++y) {
        const Belief& b = beliefs[list[y]];
        if (a.holder == b.holder) continue;
        ++overlapping_pairs;
        const auto pair = std::minmax(a.holder, b.holder);
        if (auto it = reported.find(pair); it != reported.end()) {
          ++extra_overlaps[it->second];
          continue;
        }
        const int64_t from = b.start_ns;
        const int64_t to = std::min(a.end_ns, b.end_ns);
        auto describe = [&](const Belief& belief) {
          std::string s = name_of(history, belief.holder) + " (node " + std::to_string(belief.node) +
                          ", lease version " + std::to_string(belief.version) + ") from " +
                          std::string(history::kind_name(events[belief.event].kind())) + " at " +
                          format_ns(belief.start_ns) + ", valid_for " + std::to_string(belief.valid_for_local_ns) +
                          " local ns";
          if (belief.drift_ppm != 0) s += " at " + std::to_string(belief.drift_ppm) + " ppm drift";
          s += ", believed until " + format_ns(belief.end_ns);
          if (belief.cut_event) {
            s += " (cut by " + std::string(history::kind_name(events[*belief.cut_event].kind())) + ")";
          }
          return s;
        };
        Violation v;
        v.actor = std::string(actor);
        v.explanation = "two holders believed they held the lease of " + v.actor + " during [" + format_ns(from) +
                        ", " + format_ns(to) + ") (" + std::to_string(to - from) + " ns): " + describe(a) + "; " +
                        describe(b);
        for (const Belief* belief : {&a, &b}) {
          v.holders.push_back(HolderRef{name_of(history, belief->holder), belief->node,
                                        belief->version >= 0 ? std::optional<int64_t>(belief->version) : std::nullopt,
                                        belief->event});
          v.events.push_back(belief->event);
          if (belief->drift_event) v.events.push_back(*belief->drift_event);
        }
        std::sort(v.events.begin(), v.events.end());
        v.events.erase(std::unique(v.events.begin(), v.events.end()), v.events.end());
        reported.emplace(pair, violations.size());
        violations.push_back(std::move(v));
      }
    }
    for (const auto& [index, more] : extra_overlaps) {
      violations[index].explanation +=
          " (and " + std::to_string(more) + " more overlapping belief" + (more == 1 ? "" : "s") + " of these holders)";
    }
  }
  std::string checked = std::to_string(beliefs.size()) + " lease beliefs of " + std::to_string(holders.size()) +
                        " holders on " + std::to_string(by_actor.size()) + " actors";
  if (overlapping_pairs > 0) checked += ", " + std::to_string(overlapping_pairs) + " overlapping belief pairs";
  return make_result(name(), std::move(violations), std::move(checked), "", malformed);
}

}  // namespace orbit::checkers
