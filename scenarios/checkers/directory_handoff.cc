#include "scenarios/checkers/directory_handoff.h"

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

// Events after which a registration in flight may have been lost or delayed. Disk faults
// and fault points do not touch directory messages.
bool is_noise(const std::string& kind) {
  static const std::set<std::string> kNoise = {
      "boot",  "crash",       "restart",    "pause",        "resume",         "partition",   "heal",
      "clog",  "unclog",      "link_block", "link_unblock", "network_config", "link_config", "clock_offset",
      "clock_jump", "clock_drift"};
  return kNoise.contains(kind);
}

struct View {
  int64_t time_ns = 0;
  size_t event = 0;
  nlohmann::json members;
  nlohmann::json suspect;
};

struct Claim {
  std::string holder;
  int64_t node = 0;
  int64_t start_ns = 0;
  size_t start_event = 0;
};

bool lossy(const sim::HistoryEvent& e) {
  return e.data.value("loss", 0.0) > 0.0 || e.data.value("duplicate", 0.0) > 0.0;
}

}  // namespace

CheckResult DirectoryHandoffChecker::check(const sim::History& history, const CheckContext& context) const {
  MalformedEvents malformed;
  std::vector<Violation> violations;
  std::map<int64_t, View> views;                              // node -> latest view
  std::map<std::string, std::vector<Claim>> open_claims;      // actor -> open claims
  std::map<std::pair<int64_t, std::string>, int64_t> forgot;  // (node, actor) -> last forget time
  int64_t last_noise_ns = std::numeric_limits<int64_t>::min();
  bool all_links_lossy = false;
  std::map<std::pair<int64_t, int64_t>, bool> link_lossy;  // overrides after the last network_config
  size_t placements = 0;

  auto close_claims = [&](const std::string& actor, const std::string& holder) {
    auto it = open_claims.find(actor);
    if (it == open_claims.end()) return;
    std::erase_if(it->second, [&](const Claim& c) { return c.holder == holder; });
  };
  auto network_lossy = [&] {
    if (all_links_lossy) return true;
    for (const auto& [link, bad] : link_lossy) {
      if (bad) return true;
    }
    return false;
  };

  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const sim::HistoryEvent& e = events[i];
    if (is_noise(e.kind)) {
      last_noise_ns = e.time_ns;
      if (e.kind == "network_config") {
        all_links_lossy = lossy(e);
        link_lossy.clear();
      } else if (e.kind == "link_config") {
        auto from = int_field(e, "from");
        auto to = int_field(e, "to");
        if (!from || !to) {
          malformed.add(history, i, "link_config without integer from/to");
          continue;
        }
        link_lossy[{*from, *to}] = lossy(e);
      } else if (e.kind == "crash") {
        for (auto& [actor, claims] : open_claims) {
          std::erase_if(claims, [&](const Claim& c) { return c.node == e.node; });
        }
      }
      continue;
    }
    if (e.kind == "membership_view") {
      if (!e.data.contains("members") || !e.data["members"].is_array()) {
        malformed.add(history, i, "membership_view without a members array");
        continue;
      }
      views[e.node] = View{e.time_ns, i, e.data["members"], e.data.value("suspect", nlohmann::json::array())};
      continue;
    }
    if (e.kind == "activation" || e.kind == "deactivation" || e.kind == "lease_lost" || e.kind == "duplicate_detected") {
      auto actor = string_field(e, "actor");
      auto holder = string_field(e, "holder");
      if (!actor || !holder) {
        malformed.add(history, i, "no string actor/holder");
        continue;
      }
      close_claims(*actor, *holder);
      if (e.kind == "activation") open_claims[*actor].push_back(Claim{*holder, e.node, e.time_ns, i});
      continue;
    }
    if (e.kind == "directory_forget") {
      auto actor = string_field(e, "actor");
      if (!actor) {
        malformed.add(history, i, "no string actor");
        continue;
      }
      forgot[{e.node, *actor}] = e.time_ns;
      continue;
    }
    if (e.kind != "directory_place") continue;
    ++placements;
    auto actor = string_field(e, "actor");
    auto owner = bool_field(e, "owner");
    if (!actor || !owner) {
      malformed.add(history, i, "directory_place without string actor and bool owner");
      continue;
    }
    if (!*owner || network_lossy()) continue;
    auto placer_view = views.find(e.node);
    if (placer_view == views.end()) continue;
    auto claims = open_claims.find(*actor);
    if (claims == open_claims.end()) continue;
    for (const Claim& claim : claims->second) {
      auto holder_view = views.find(claim.node);
      if (holder_view == views.end()) continue;
      const bool view_registration = holder_view->second.time_ns >= claim.start_ns;
      const int64_t registered_ns = view_registration ? holder_view->second.time_ns : claim.start_ns;
      const size_t registered_event = view_registration ? holder_view->second.event : claim.start_event;
      if (last_noise_ns >= registered_ns) continue;
      if (e.time_ns - registered_ns < context.directory_handoff_bound_ns) continue;
      if (placer_view->second.members != holder_view->second.members ||
          placer_view->second.suspect != holder_view->second.suspect) {
        continue;
      }
      if (auto f = forgot.find({e.node, *actor}); f != forgot.end() && f->second >= registered_ns) continue;
      Violation v;
      v.actor = *actor;
      v.explanation = "node " + std::to_string(e.node) + " owns " + *actor + " and placed it at " + format_ns(e.time_ns) +
                      " although " + claim.holder + " (node " + std::to_string(claim.node) + ") had it active and " +
                      (view_registration ? "changed to the same view" : "activated it") + " at " +
                      format_ns(registered_ns) + " on a quiet network: the directory hand-off lost the name";
      std::set<size_t> involved = {claim.start_event, registered_event, placer_view->second.event, i};
      v.events.assign(involved.begin(), involved.end());
      v.holders.push_back(HolderRef{claim.holder, claim.node, std::nullopt, claim.start_event});
      violations.push_back(std::move(v));
      break;
    }
  }
  return make_result(name(), std::move(violations), std::to_string(placements) + " placements", "", malformed);
}

}  // namespace orbit::checkers
