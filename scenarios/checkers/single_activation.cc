#include "scenarios/checkers/single_activation.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

constexpr size_t kOpen = std::numeric_limits<size_t>::max();
constexpr size_t kMaxListedWrites = 5;

struct Span {
  history::Sym actor;
  history::Sym holder;
  int64_t node = 0;
  int64_t token = 0;
  int64_t loaded_version = 0;  // the state version the activation loaded
  int64_t start_ns = 0;
  size_t start_event = 0;
  int64_t end_ns = std::numeric_limits<int64_t>::max();
  size_t end_event = kOpen;  // kOpen: still active at the end of the history
};

struct AcceptedWrite {
  size_t event = 0;
  int64_t version = 0;
};

using HolderKey = std::pair<history::Sym, history::Sym>;  // (actor, holder)

std::string describe_span(const history::History& history, const Span& s) {
  std::string out = name_of(history, s.holder) + " (node " + std::to_string(s.node) + ", token " +
                    std::to_string(s.token) + ", activated " + format_ns(s.start_ns);
  out += " at state version " + std::to_string(s.loaded_version);
  out += s.end_event == kOpen ? ", never deactivated" : ", ended " + format_ns(s.end_ns);
  return out + ")";
}

HolderRef holder_ref(const history::History& history, const Span& s) {
  return HolderRef{name_of(history, s.holder), s.node, s.token, s.start_event};
}

}  // namespace

CheckResult SingleActivationChecker::check(const CheckInput& input, const CheckContext& context) const {
  const history::History& history = input.history;
  MalformedEvents malformed;
  std::vector<Span> spans;
  std::map<HolderKey, size_t> open_by_holder;
  std::map<int64_t, std::vector<size_t>> open_by_node;
  std::map<HolderKey, std::vector<AcceptedWrite>> writes;                      // ok=true, in event order
  std::map<std::pair<history::Sym, int64_t>, size_t> first_integrity_failure;  // (actor, version) -> event
  size_t accepted_writes = 0;

  auto close = [&](size_t s, const history::Event& e, size_t i) {
    if (spans[s].end_event != kOpen) return;
    spans[s].end_ns = e.time_ns;
    spans[s].end_event = i;
  };

  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const history::Event& e = events[i];
    if (e.is<history::Crash>()) {
      for (size_t s : open_by_node[e.node]) {
        if (spans[s].end_event == kOpen) {
          close(s, e, i);
          open_by_holder.erase({spans[s].actor, spans[s].holder});
        }
      }
      open_by_node[e.node].clear();
    } else if (const auto* failure = e.get<history::SnapshotIntegrityFailure>()) {
      first_integrity_failure.emplace(std::make_pair(failure->actor, failure->version), i);
    } else if (const auto* activation = e.get<history::Activation>()) {
      const HolderKey key{activation->actor, activation->holder};
      if (auto it = open_by_holder.find(key); it != open_by_holder.end()) {
        malformed.add(history, i,
                      "holder " + name_of(history, activation->holder) + " activated again without a deactivation");
        close(it->second, e, i);
      }
      Span span;
      span.actor = activation->actor;
      span.holder = activation->holder;
      span.node = e.node;
      span.token = activation->token;
      span.loaded_version = activation->state_version;
      span.start_ns = e.time_ns;
      span.start_event = i;
      open_by_holder[key] = spans.size();
      open_by_node[e.node].push_back(spans.size());
      spans.push_back(std::move(span));
    } else if (const auto* deactivation = e.get<history::Deactivation>()) {
      // A deactivation without an open activation (one that began before the history did)
      // has nothing to close.
      if (auto it = open_by_holder.find({deactivation->actor, deactivation->holder}); it != open_by_holder.end()) {
        close(it->second, e, i);
        open_by_holder.erase(it);
      }
    } else if (const auto* write = e.get<history::SnapshotWrite>(); write != nullptr && write->ok) {
      writes[{write->actor, write->holder}].push_back({i, write->version});
      ++accepted_writes;
    }
  }

  // Spans in activation order, keyed by the actor's name (not its Sym) so that violations of
  // one instant come out in name order.
  std::map<std::string_view, std::vector<size_t>> by_actor;
  for (size_t s = 0; s < spans.size(); ++s) by_actor[history.str(spans[s].actor)].push_back(s);

  const bool has_liveness = context.liveness_start_ns != std::numeric_limits<int64_t>::max();
  const int64_t deadline_ns = saturating_add(context.liveness_start_ns, context.duplicate_detection_bound_ns);
  const int64_t history_end_ns = events.empty() ? 0 : events.back().time_ns;

  std::vector<Violation> violations;
  std::set<size_t> duplicates;  // older spans of some overlapping pair
  size_t overlapping_pairs = 0;
  size_t unjudged_duplicates = 0;
  static const std::vector<AcceptedWrite> kNoWrites;
  auto writes_of = [&](const Span& s) -> const std::vector<AcceptedWrite>& {
    auto it = writes.find({s.actor, s.holder});
    return it == writes.end() ? kNoWrites : it->second;
  };

  for (const auto& [actor_name, list] : by_actor) {
    const history::Sym actor = spans[list.front()].actor;
    for (size_t x = 0; x < list.size(); ++x) {
      const Span& first = spans[list[x]];
      for (size_t y = x + 1; y < list.size(); ++y) {
        const Span& second = spans[list[y]];
        // Spans are in activation order: once one starts after `first` ended, all later do.
        if (second.start_event > first.end_event) break;
        ++overlapping_pairs;
        // The lower fencing token is the older; on a tie, the one activated first.
        const bool first_older = first.token != second.token ? first.token < second.token : true;
        const size_t older_id = first_older ? list[x] : list[y];
        const Span& older = first_older ? first : second;
        const Span& newer = first_older ? second : first;
        duplicates.insert(older_id);

        // Write rule.
        std::vector<size_t> stale;  // events of the duplicate's writes the newer one missed
        std::vector<size_t> newer_writes;
        for (const AcceptedWrite& w : writes_of(older)) {
          if (w.event < newer.start_event || w.version <= newer.loaded_version) continue;
          auto failed = first_integrity_failure.find({actor, w.version});
          if (failed != first_integrity_failure.end() && failed->second < newer.start_event) continue;
          stale.push_back(w.event);
        }
        for (const AcceptedWrite& w : writes_of(newer)) newer_writes.push_back(w.event);
        if (!stale.empty()) {
          Violation v;
          v.actor = std::string(actor_name);
          const bool both = !newer_writes.empty();
          v.explanation = std::string(both ? "both wrote: " : "stale duplicate wrote: ") + "activation " +
                          describe_span(history, older) + " had " + std::to_string(stale.size()) + " write" +
                          (stale.size() == 1 ? "" : "s") + " accepted that the newer activation " +
                          describe_span(history, newer) + " never saw";
          v.explanation += " (versions above " + std::to_string(newer.loaded_version) + ", first at " +
                           describe_event(history, stale.front()) + ")";
          if (both) v.explanation += ", and the newer activation had " + std::to_string(newer_writes.size()) + " accepted too";
          v.holders = {holder_ref(history, older), holder_ref(history, newer)};
          v.events = {older.start_event, newer.start_event};
          for (size_t k = 0; k < stale.size() && k < kMaxListedWrites; ++k) v.events.push_back(stale[k]);
          for (size_t k = 0; k < newer_writes.size() && k < kMaxListedWrites; ++k) v.events.push_back(newer_writes[k]);
          violations.push_back(std::move(v));
        }
      }
    }
  }

  // Detection rule, once per duplicate.
  if (has_liveness) {
    for (size_t d : duplicates) {
      const Span& dup = spans[d];
      if (dup.end_event != kOpen && dup.end_ns <= deadline_ns) continue;
      if (dup.end_event == kOpen && history_end_ns < deadline_ns) {
        ++unjudged_duplicates;
        continue;
      }
      Violation v;
      v.actor = name_of(history, dup.actor);
      v.explanation = "duplicate never detected: activation " + describe_span(history, dup) +
                      " was superseded but still active at the deadline " + format_ns(deadline_ns) +
                      " (liveness start " + format_ns(context.liveness_start_ns) + " + " +
                      std::to_string(context.duplicate_detection_bound_ns) + " ns)";
      v.holders = {holder_ref(history, dup)};
      v.events = {dup.start_event};
      if (dup.end_event != kOpen) v.events.push_back(dup.end_event);
      violations.push_back(std::move(v));
    }
  }

  std::string checked = std::to_string(spans.size()) + " activations of " + std::to_string(by_actor.size()) +
                        " actors, " + std::to_string(accepted_writes) + " accepted writes, " +
                        std::to_string(overlapping_pairs) + " overlapping pairs, " + std::to_string(duplicates.size()) +
                        " duplicates";
  if (!has_liveness) checked += " (no liveness phase: detection deadline not judged)";
  std::string undecided;
  if (unjudged_duplicates > 0) {
    undecided = std::to_string(unjudged_duplicates) + " duplicate" + (unjudged_duplicates == 1 ? " is" : "s are") +
                " still active when the history ends at " + format_ns(history_end_ns) + ", before the detection deadline " +
                format_ns(deadline_ns);
  }
  return make_result(name(), std::move(violations), std::move(checked), std::move(undecided), malformed);
}

}  // namespace orbit::checkers
