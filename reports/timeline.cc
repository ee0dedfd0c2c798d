#include "reports/timeline.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace orbit::reports {
namespace {

using nlohmann::json;

// The page: CSS and JavaScript inline; "@@DATA@@" becomes the embedded data.
constexpr std::string_view kTemplate =
#include "reports/timeline_template.inc"
    ;

constexpr int64_t kPpmScale = 1'000'000;
constexpr size_t kMaxMarks = 5'000;

// Message codes (the page's legend names them in this order).
enum MessageCode : int { kCallOk = 0, kCallFail, kCallInfo, kCallOpen, kWriteOk, kWriteRefused };

class Interner {
 public:
  int64_t operator()(const std::string& s) {
    auto [it, inserted] = ids_.emplace(s, static_cast<int64_t>(names_.size()));
    if (inserted) names_.push_back(s);
    return it->second;
  }
  json names() const { return names_; }

 private:
  std::map<std::string, int64_t> ids_;
  std::vector<std::string> names_;
};

std::string nodes_label(const history::IntList& ids) {
  std::string out;
  for (int64_t id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

// The value of the Sym field `name` of a payload ("" when it has none).
std::string sym_field(const history::History& h, const history::Payload& payload, std::string_view name) {
  std::string out;
  std::visit(
      [&](const auto& p) {
        history::for_each_field(p, [&](std::string_view n, const auto& v) {
          if constexpr (std::is_same_v<std::decay_t<decltype(v)>, history::Sym>) {
            if (n == name) out = std::string(h.str(v));
          }
        });
      },
      payload);
  return out;
}
bool has_field(const history::Payload& payload, std::string_view name) {
  bool found = false;
  std::visit([&](const auto& p) { history::for_each_field(p, [&](std::string_view n, const auto&) { found = found || n == name; }); },
             payload);
  return found;
}

// Kinds drawn as a plain mark on their node's lane (others have their own drawing or none).
// A switch without default: a new kind must be placed here (-Werror=switch).
bool drawn_as_mark(history::EventKind kind) {
  using K = history::EventKind;
  switch (kind) {
    case K::kDuplicateDetected:
    case K::kSnapshotIntegrityFailure:
    case K::kActivationFailed:
    case K::kStateUncertain:
    case K::kFaultPoint:
    case K::kFaultSkipped:
    case K::kDiskCrash:
    case K::kDiskTornWrite:
    case K::kDiskBitFlip:
    case K::kDiskReadCorruption:
    case K::kDiskEio:
    case K::kDiskFull:
    case K::kMembershipSelfRemoved:
    case K::kMembershipLeave:
    case K::kStoreOpenFailed:
      return true;
    case K::kBoot:
    case K::kCrash:
    case K::kRestart:
    case K::kPause:
    case K::kResume:
    case K::kFrameOversize:
    case K::kPartition:
    case K::kLinkBlock:
    case K::kLinkUnblock:
    case K::kHeal:
    case K::kClog:
    case K::kUnclog:
    case K::kLinkConfig:
    case K::kNetworkConfig:
    case K::kClockOffset:
    case K::kClockJump:
    case K::kClockDrift:
    case K::kDiskConfig:
    case K::kSafetyPhaseStart:
    case K::kLivenessPhaseStart:
    case K::kLivenessWindowStart:
    case K::kNodeStart:
    case K::kNodeStop:
    case K::kStoreStart:
    case K::kStoreStop:
    case K::kStoreReady:
    case K::kMembershipStall:
    case K::kMembershipView:
    case K::kDirectoryPlace:
    case K::kDirectoryForget:
    case K::kLeaseAcquired:
    case K::kLeaseRenewed:
    case K::kLeaseLost:
    case K::kLeaseReleased:
    case K::kActivation:
    case K::kDeactivation:
    case K::kSnapshotReadBegin:
    case K::kSnapshotLoad:
    case K::kSnapshotWriteBegin:
    case K::kSnapshotWrite:
    case K::kUnknownWriteResolved:
    case K::kOpInvoke:
    case K::kOpComplete:
    case K::kWorkload:
    case K::kPingTimeout:
      return false;
  }
  return false;
}

std::string ms_label(int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%+.1f ms", static_cast<double>(ns) / 1e6);
  return buf;
}

struct Belief {
  int64_t actor, holder, node, version, start, end, event;
  std::string cut;
  bool open = true;
};

struct Span {
  int64_t actor, holder, node, token, start, end, start_event, end_event;
  std::string reason;
};

struct Message {
  int64_t t0, t1, from, to, code, ev0, ev1;
};

}  // namespace

json timeline_data(const json& report, const history::History& history, const TimelineOptions& options) {
  const auto& events = history.events();
  const int64_t members = report.contains("config") ? report["config"].value("members", int64_t{0}) : 0;
  const int64_t store = members;  // the storage node follows the members
  const int64_t t_end = events.empty() ? 0 : events.back().time_ns;
  Interner actors, holders;

  std::vector<Belief> beliefs;
  std::map<std::pair<int64_t, int64_t>, std::vector<size_t>> open_beliefs;  // (actor, holder)
  std::map<int64_t, std::vector<size_t>> open_beliefs_by_node;
  std::map<int64_t, int64_t> drift_ppm;
  std::vector<Span> spans;
  std::map<std::pair<int64_t, int64_t>, size_t> open_span;  // (actor, holder) -> span
  std::map<int64_t, std::vector<std::pair<int64_t, int64_t>>> live_activations;  // actor -> (holder, node)
  json store_view = json::array();
  std::map<int64_t, std::pair<size_t, int64_t>> store_current;  // actor -> (store_view row, version)
  json refused = json::array();
  json faults = json::array();
  json marks = json::array();
  size_t marks_dropped = 0;
  std::vector<Message> messages;
  std::map<int64_t, size_t> open_calls;  // op id -> message
  std::map<std::tuple<history::Sym, history::Sym, int64_t, history::Sha256>, std::pair<int64_t, size_t>> write_begins;
  const auto name = [&](history::Sym s) { return std::string(history.str(s)); };

  // Open fault regions: key -> index into `faults`.
  std::map<std::string, size_t> open_faults;
  auto open_fault = [&](const std::string& key, const std::string& kind, json nodes, int64_t t, std::string label, size_t ev) {
    if (open_faults.contains(key)) return;
    open_faults[key] = faults.size();
    faults.push_back(json{{"kind", kind}, {"nodes", std::move(nodes)}, {"start", t}, {"end", t_end}, {"label", std::move(label)}, {"ev", ev}});
  };
  auto close_fault = [&](const std::string& key, int64_t t) {
    auto it = open_faults.find(key);
    if (it == open_faults.end()) return;
    faults[it->second]["end"] = t;
    open_faults.erase(it);
  };
  auto close_faults_with_prefix = [&](const std::string& prefix, int64_t t) {
    for (auto it = open_faults.begin(); it != open_faults.end();) {
      if (it->first.rfind(prefix, 0) == 0) {
        faults[it->second]["end"] = t;
        it = open_faults.erase(it);
      } else {
        ++it;
      }
    }
  };
  auto mark = [&](int64_t t, int64_t node, const std::string& kind, const std::string& label, size_t ev) {
    if (marks.size() >= kMaxMarks) {
      ++marks_dropped;
      return;
    }
    marks.push_back(json::array({t, node, kind, label, ev}));
  };
  struct ClockState {
    int64_t offset = 0, ppm = 0;
  };
  std::map<int64_t, ClockState> clocks;
  auto clock_changed = [&](int64_t node, int64_t t, size_t ev, const std::string& what) {
    const ClockState& c = clocks[node];
    const std::string key = "clock/" + std::to_string(node);
    if (c.offset == 0 && c.ppm == 0) {
      close_fault(key, t);
    } else {
      if (auto it = open_faults.find(key); it != open_faults.end()) {
        // One region while the clock is off; its label keeps the first and the latest change.
        json& f = faults[it->second];
        const int64_t changes = f.value("changes", int64_t{1}) + 1;
        f["changes"] = changes;
        f["label"] = "clock: " + f["first"].get<std::string>() + " ... " + what + " (" + std::to_string(changes) + " changes)";
      }
      open_fault(key, "clock", json::array({node}), t, "clock: " + what, ev);
      if (auto it = open_faults.find(key); it != open_faults.end() && !faults[it->second].contains("first")) {
        faults[it->second]["first"] = what;
      }
    }
  };
  auto cut_beliefs = [&](std::vector<size_t>& list, int64_t t, const std::string& why) {
    for (size_t b : list) {
      Belief& belief = beliefs[b];
      if (!belief.open) continue;
      belief.open = false;
      if (t < belief.end) {
        belief.end = std::max(t, belief.start);
        belief.cut = why;
      }
    }
    list.clear();
  };
  auto end_span = [&](size_t s, int64_t t, size_t ev, const std::string& reason) {
    Span& span = spans[s];
    span.end = t;
    span.end_event = static_cast<int64_t>(ev);
    span.reason = reason;
    auto& live = live_activations[span.actor];
    live.erase(std::remove(live.begin(), live.end(), std::make_pair(span.holder, span.node)), live.end());
  };

  for (size_t i = 0; i < events.size(); ++i) {
    const history::Event& e = events[i];
    const std::string k(history::kind_name(e.kind()));
    const int64_t t = e.time_ns;
    const auto* acquired = e.get<history::LeaseAcquired>();
    const auto* renewed = e.get<history::LeaseRenewed>();
    if (acquired || renewed) {
      const history::Sym actor_sym = acquired ? acquired->actor : renewed->actor;
      const int64_t actor = actors(name(actor_sym)), holder = holders(name(acquired ? acquired->holder : renewed->holder));
      const int64_t valid = (acquired ? acquired->valid_for : renewed->valid_for).count();
      const int64_t ppm = drift_ppm[e.node];
      const __int128 true_valid = (static_cast<__int128>(valid) * kPpmScale + (kPpmScale + ppm) - 1) / (kPpmScale + ppm);
      const int64_t version = acquired ? acquired->version : renewed->version;
      Belief b{actor, holder, e.node, version, t, t + static_cast<int64_t>(true_valid), static_cast<int64_t>(i), "", true};
      open_beliefs[{actor, holder}].push_back(beliefs.size());
      open_beliefs_by_node[e.node].push_back(beliefs.size());
      beliefs.push_back(b);
      if (acquired) {
        // The store's view, derived: version v is current from its grant until a newer one.
        auto cur = store_current.find(actor);
        if (cur == store_current.end() || version > cur->second.second) {
          if (cur != store_current.end() && store_view[cur->second.first][4].get<int64_t>() > t) {
            store_view[cur->second.first][4] = t;
          }
          store_current[actor] = {store_view.size(), version};
          store_view.push_back(json::array({actor, version, holder, t, t_end, i}));
        }
      }
    } else if (const auto* lost = e.get<history::LeaseLost>()) {
      const int64_t actor = actors(name(lost->actor)), holder = holders(name(lost->holder));
      cut_beliefs(open_beliefs[{actor, holder}], t, k);
      mark(t, e.node, k, "lease lost by " + name(lost->holder) + " (now held by " + name(lost->now_held_by) + ")", i);
    } else if (const auto* released = e.get<history::LeaseReleased>()) {
      const int64_t actor = actors(name(released->actor)), holder = holders(name(released->holder));
      cut_beliefs(open_beliefs[{actor, holder}], t, k);
      if (released->ok) {
        auto cur = store_current.find(actor);
        if (cur != store_current.end() && cur->second.second == released->version) {
          store_view[cur->second.first][4] = t;
          store_current.erase(cur);
        }
      }
    } else if (const auto* deact = e.get<history::Deactivation>()) {
      const int64_t actor = actors(name(deact->actor)), holder = holders(name(deact->holder));
      cut_beliefs(open_beliefs[{actor, holder}], t, k);
      if (auto it = open_span.find({actor, holder}); it != open_span.end()) {
        end_span(it->second, t, i, name(deact->reason));
        open_span.erase(it);
      }
    } else if (const auto* act = e.get<history::Activation>()) {
      const int64_t actor = actors(name(act->actor)), holder = holders(name(act->holder));
      if (auto it = open_span.find({actor, holder}); it != open_span.end()) end_span(it->second, t, i, "reactivated");
      open_span[{actor, holder}] = spans.size();
      spans.push_back(Span{actor, holder, e.node, act->token, t, t_end, static_cast<int64_t>(i), -1, ""});
      live_activations[actor].emplace_back(holder, e.node);
    } else if (const auto* drift = e.get<history::ClockDrift>()) {
      drift_ppm[e.node] = drift->ppm;
      clocks[e.node].ppm = drift->ppm;
      clock_changed(e.node, t, i, "drift " + std::to_string(drift->ppm) + " ppm");
    } else if (const auto* jump = e.get<history::ClockJump>()) {
      clocks[e.node].offset += jump->delta.count();
      mark(t, e.node, k, "clock jump " + ms_label(jump->delta.count()), i);
      clock_changed(e.node, t, i, "jump " + ms_label(jump->delta.count()));
    } else if (const auto* offset = e.get<history::ClockOffset>()) {
      clocks[e.node].offset = offset->offset.count();
      if (offset->step.count() != 0) mark(t, e.node, "clock_jump", "clock step " + ms_label(offset->step.count()), i);
      clock_changed(e.node, t, i, "offset " + ms_label(offset->offset.count()));
    } else if (e.is<history::Crash>()) {
      cut_beliefs(open_beliefs_by_node[e.node], t, "crash");
      for (auto it = open_span.begin(); it != open_span.end();) {
        if (spans[it->second].node == e.node) {
          end_span(it->second, t, i, "crash");
          it = open_span.erase(it);
        } else {
          ++it;
        }
      }
      open_fault("crash/" + std::to_string(e.node), "crash", json::array({e.node}), t, "node " + std::to_string(e.node) + " crashed", i);
    } else if (e.is<history::Restart>()) {
      close_fault("crash/" + std::to_string(e.node), t);
      mark(t, e.node, k, "restart", i);
    } else if (e.is<history::Pause>()) {
      open_fault("pause/" + std::to_string(e.node), "pause", json::array({e.node}), t, "node " + std::to_string(e.node) + " paused", i);
    } else if (e.is<history::Resume>()) {
      close_fault("pause/" + std::to_string(e.node), t);
    } else if (const auto* part = e.get<history::Partition>()) {
      json nodes = json::array();
      for (int64_t n : part->a) nodes.push_back(n);
      for (int64_t n : part->b) nodes.push_back(n);
      const bool one_way = part->one_way;
      open_fault("partition/" + std::to_string(i), "partition", nodes, t,
                 "partition {" + nodes_label(part->a) + (one_way ? "} -> {" : "} | {") + nodes_label(part->b) + "}" +
                     (one_way ? " (one way)" : ""),
                 i);
    } else if (const auto* block = e.get<history::LinkBlock>()) {
      const int64_t from = block->from, to = block->to;
      open_fault("link/" + std::to_string(from) + ">" + std::to_string(to), "partition", json::array({from, to}), t,
                 "link " + std::to_string(from) + " -> " + std::to_string(to) + " blocked", i);
    } else if (const auto* unblock = e.get<history::LinkUnblock>()) {
      close_fault("link/" + std::to_string(unblock->from) + ">" + std::to_string(unblock->to), t);
    } else if (const auto* clog = e.get<history::Clog>()) {
      const int64_t from = clog->from, to = clog->to;
      open_fault("clog/" + std::to_string(from) + ">" + std::to_string(to), "clog", json::array({from, to}), t,
                 "link " + std::to_string(from) + " -> " + std::to_string(to) + " clogged", i);
    } else if (const auto* unclog = e.get<history::Unclog>()) {
      close_fault("clog/" + std::to_string(unclog->from) + ">" + std::to_string(unclog->to), t);
    } else if (e.is<history::Heal>()) {
      close_faults_with_prefix("partition/", t);
      close_faults_with_prefix("link/", t);
      close_faults_with_prefix("clog/", t);
    } else if (const auto* invoke = e.get<history::OpInvoke>()) {
      const int64_t actor = actors(name(invoke->actor));
      const auto& live = live_activations[actor];
      const int64_t to = live.empty() ? -1 : live.back().second;
      open_calls[invoke->op] = messages.size();
      messages.push_back(Message{t, t, e.node, to, kCallOpen, static_cast<int64_t>(i), -1});
    } else if (const auto* complete = e.get<history::OpComplete>()) {
      auto it = open_calls.find(complete->op);
      if (it != open_calls.end()) {
        Message& m = messages[it->second];
        m.t1 = t;
        m.ev1 = static_cast<int64_t>(i);
        m.code = complete->type == history::OpType::kOk     ? kCallOk
                 : complete->type == history::OpType::kFail ? kCallFail
                                                            : kCallInfo;
        if (m.to < 0) {
          const auto& live = live_activations[actors(name(complete->actor))];
          if (!live.empty()) m.to = live.back().second;
        }
        open_calls.erase(it);
      }
    } else if (const auto* begin = e.get<history::SnapshotWriteBegin>()) {
      write_begins[{begin->actor, begin->holder, begin->version, begin->sha256}] = {t, i};
    } else if (const auto* write = e.get<history::SnapshotWrite>()) {
      const auto key = std::make_tuple(write->actor, write->holder, write->version, write->sha256);
      int64_t t0 = t, ev0 = static_cast<int64_t>(i);
      if (auto it = write_begins.find(key); it != write_begins.end()) {
        t0 = it->second.first;
        ev0 = static_cast<int64_t>(it->second.second);
        write_begins.erase(it);
      }
      const bool ok = write->ok;
      messages.push_back(Message{t0, t, e.node, store, ok ? kWriteOk : kWriteRefused, ev0, static_cast<int64_t>(i)});
      if (!ok && write->error == history::StoreError::kRejected) {
        refused.push_back(json::array({actors(name(write->actor)), t, e.node, i}));
      }
    } else if (e.is<history::LivenessPhaseStart>()) {
      mark(t, e.node, k, "liveness phase starts: faults healed", i);
    } else if (drawn_as_mark(e.kind())) {
      std::string label = k;
      if (const auto* point = e.get<history::FaultPoint>()) label += " " + name(point->site);
      if (has_field(e.payload, "actor")) label += " " + sym_field(history, e.payload, "actor");
      if (has_field(e.payload, "error")) {
        const std::string error = sym_field(history, e.payload, "error");
        if (!error.empty()) label += ": " + error;
      }
      mark(t, e.node, k, label, i);
      if (const auto* failed = e.get<history::ActivationFailed>()) {
        const int64_t actor = actors(name(failed->actor)), holder = holders(name(failed->holder));
        cut_beliefs(open_beliefs[{actor, holder}], t, k);
      }
    }
  }

  // Lease bars: one holder's overlapping or back-to-back beliefs (renewals) merge into one bar.
  std::vector<size_t> order(beliefs.size());
  for (size_t b = 0; b < order.size(); ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (beliefs[a].actor != beliefs[b].actor) return beliefs[a].actor < beliefs[b].actor;
    if (beliefs[a].holder != beliefs[b].holder) return beliefs[a].holder < beliefs[b].holder;
    return beliefs[a].start < beliefs[b].start;
  });
  json leases = json::array();
  for (size_t x = 0; x < order.size();) {
    Belief bar = beliefs[order[x]];
    size_t y = x + 1;
    while (y < order.size() && beliefs[order[y]].actor == bar.actor && beliefs[order[y]].holder == bar.holder &&
           beliefs[order[y]].start <= bar.end) {
      const Belief& next = beliefs[order[y]];
      if (next.end >= bar.end) {
        bar.end = next.end;
        bar.cut = next.cut;
      }
      bar.version = std::max(bar.version, next.version);
      ++y;
    }
    if (bar.end > bar.start) {
      leases.push_back(json::array({bar.actor, bar.holder, bar.node, bar.version, bar.start, bar.end, bar.event, bar.cut}));
    }
    x = y;
  }
  json activations = json::array();
  for (const Span& s : spans) {
    activations.push_back(json::array({s.actor, s.holder, s.node, s.token, s.start, s.end, s.start_event, s.end_event, s.reason}));
  }

  // Violations, and the events they involve (their messages are always kept).
  json violations = json::array();
  std::set<int64_t> linked;
  if (report.contains("violations") && report["violations"].is_array()) {
    for (const json& v : report["violations"]) {
      json out = v;
      int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
      if (v.contains("events") && v["events"].is_array()) {
        for (const json& e : v["events"]) {
          const int64_t et = e.value("t", int64_t{0});
          lo = std::min(lo, et);
          hi = std::max(hi, et);
          linked.insert(e.value("index", int64_t{-1}));
        }
      }
      if (lo > hi) lo = hi = 0;
      out["t_min"] = lo;
      out["t_max"] = hi;
      violations.push_back(std::move(out));
    }
  }

  // Sampling: keep linked and unusual messages first, then successful ones evenly.
  const size_t total_messages = messages.size();
  std::vector<bool> keep(messages.size(), false);
  size_t kept = 0;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t m = 0; m < messages.size() && kept < options.max_messages; ++m) {
      const Message& msg = messages[m];
      const bool important = linked.contains(msg.ev0) || linked.contains(msg.ev1);
      const bool unusual = msg.code != kCallOk && msg.code != kWriteOk;
      if (!keep[m] && (pass == 0 ? important : unusual)) {
        keep[m] = true;
        ++kept;
      }
    }
  }
  size_t remaining = 0;
  for (size_t m = 0; m < messages.size(); ++m) remaining += keep[m] ? 0 : 1;
  const size_t room = options.max_messages > kept ? options.max_messages - kept : 0;
  if (remaining > 0 && room > 0) {
    // Evenly: the j-th of `remaining` is kept when it crosses a multiple of remaining/room.
    size_t seen = 0, taken = 0;
    for (size_t m = 0; m < messages.size(); ++m) {
      if (keep[m]) continue;
      ++seen;
      if (taken < room && seen * room >= (taken + 1) * remaining) {
        keep[m] = true;
        ++taken;
      }
    }
  }
  json msgs = json::array();
  size_t msgs_kept = 0;
  for (size_t m = 0; m < messages.size(); ++m) {
    if (!keep[m]) continue;
    const Message& msg = messages[m];
    for (int64_t v : {msg.t0, msg.t1, msg.from, msg.to, msg.code, msg.ev0, msg.ev1}) msgs.push_back(v);
    ++msgs_kept;
  }

  json nodes = json::array();
  for (int64_t n = 0; n <= store; ++n) {
    nodes.push_back(json{{"id", n}, {"label", n == store ? "store (node " + std::to_string(n) + ")" : "node " + std::to_string(n)},
                         {"store", n == store}});
  }
  json meta{{"scenario", report.value("scenario", std::string())},
            {"seed", report.value("seed", uint64_t{0})},
            {"outcome", report.value("outcome", std::string())},
            {"trace_hash", report.value("trace_hash", std::string())},
            {"repro", report.value("repro", std::string())},
            {"run_command", report.value("run_command", std::string())},
            {"members", members},
            {"t_end", t_end},
            {"liveness_start", report.value("liveness_start_ns", int64_t{0})},
            {"history_source", options.history_source},
            {"history_events", events.size()},
            {"messages_total", total_messages},
            {"messages_kept", msgs_kept},
            {"marks_dropped", marks_dropped},
            {"primary_violation", report.contains("primary_violation") && report["primary_violation"].is_number_unsigned()
                                      ? report["primary_violation"]
                                      : json(violations.empty() ? json(nullptr) : json(0))}};
  json checks = report.contains("checks") ? report["checks"] : json::array();
  return json{{"meta", meta},
              {"checks", checks},
              {"nodes", nodes},
              {"actors", actors.names()},
              {"holders", holders.names()},
              {"leases", leases},
              {"store_view", store_view},
              {"refused", refused},
              {"activations", activations},
              {"faults", faults},
              {"marks", marks},
              {"msgs", msgs},
              {"msg_codes", json::array({"call ok", "call fail", "call unknown (info)", "call never completed", "snapshot write accepted",
                                         "snapshot write refused/failed"})},
              {"violations", violations}};
}

std::string timeline_html(const json& report, const history::History& history, const TimelineOptions& options) {
  std::string data = timeline_data(report, history, options).dump();
  // Inside <script>, "</" could end the element early; JSON allows "<\/" for it.
  std::string safe;
  safe.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '<' && i + 1 < data.size() && data[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += data[i];
    }
  }
  std::string html(kTemplate);
  const size_t at = html.find("@@DATA@@");
  if (at != std::string::npos) html.replace(at, 8, safe);
  return html;
}

}  // namespace orbit::reports
