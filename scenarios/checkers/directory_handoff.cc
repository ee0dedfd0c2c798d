#include "scenarios/checkers/directory_handoff.h"

#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

using history::EventKind;
using history::Sym;

// Events after which a registration in flight may have been lost or delayed. Disk faults
// and fault points do not touch directory messages. Exhaustive on purpose (no default:):
// a new event kind does not compile until it is sorted here.
bool is_noise(EventKind kind) {
  switch (kind) {
    case EventKind::kBoot:
    case EventKind::kCrash:
    case EventKind::kRestart:
    case EventKind::kPause:
    case EventKind::kResume:
    case EventKind::kPartition:
    case EventKind::kHeal:
    case EventKind::kClog:
    case EventKind::kUnclog:
    case EventKind::kLinkBlock:
    case EventKind::kLinkUnblock:
    case EventKind::kNetworkConfig:
    case EventKind::kLinkConfig:
    case EventKind::kClockOffset:
    case EventKind::kClockJump:
    case EventKind::kClockDrift:
      return true;
    case EventKind::kFrameOversize:
    case EventKind::kDiskConfig:
    case EventKind::kDiskEio:
    case EventKind::kDiskFull:
    case EventKind::kDiskReadCorruption:
    case EventKind::kDiskCrash:
    case EventKind::kDiskTornWrite:
    case EventKind::kDiskBitFlip:
    case EventKind::kFaultPoint:
    case EventKind::kFaultSkipped:
    case EventKind::kSafetyPhaseStart:
    case EventKind::kLivenessPhaseStart:
    case EventKind::kLivenessWindowStart:
    case EventKind::kNodeStart:
    case EventKind::kNodeStop:
    case EventKind::kStoreStart:
    case EventKind::kStoreStop:
    case EventKind::kStoreReady:
    case EventKind::kStoreOpenFailed:
    case EventKind::kMembershipLeave:
    case EventKind::kMembershipStall:
    case EventKind::kMembershipSelfRemoved:
    case EventKind::kMembershipView:
    case EventKind::kDirectoryPlace:
    case EventKind::kDirectoryForget:
    case EventKind::kLeaseAcquired:
    case EventKind::kLeaseRenewed:
    case EventKind::kLeaseLost:
    case EventKind::kLeaseReleased:
    case EventKind::kActivationFailed:
    case EventKind::kActivation:
    case EventKind::kDeactivation:
    case EventKind::kDuplicateDetected:
    case EventKind::kStateUncertain:
    case EventKind::kSnapshotReadBegin:
    case EventKind::kSnapshotLoad:
    case EventKind::kSnapshotIntegrityFailure:
    case EventKind::kSnapshotWriteBegin:
    case EventKind::kSnapshotWrite:
    case EventKind::kUnknownWriteResolved:
    case EventKind::kOpInvoke:
    case EventKind::kOpComplete:
    case EventKind::kWorkload:
    case EventKind::kPingTimeout:
      return false;
  }
  return false;  // unreachable: every kind is listed
}

struct View {
  int64_t time_ns = 0;
  size_t event = 0;
  const history::SymList* members = nullptr;
  const history::SymList* suspect = nullptr;
};

struct Claim {
  Sym holder;
  int64_t node = 0;
  int64_t start_ns = 0;
  size_t start_event = 0;
};

bool lossy(double loss, double duplicate) { return loss > 0.0 || duplicate > 0.0; }

// The (actor, holder) of an event that opens or closes a holder's claim on a name, as in
// single_activation.
struct ClaimEvent {
  Sym actor;
  Sym holder;
  bool opens = false;
};

std::optional<ClaimEvent> claim_event(const history::Event& e) {
  if (const auto* p = e.get<history::Activation>()) return ClaimEvent{p->actor, p->holder, true};
  if (const auto* p = e.get<history::Deactivation>()) return ClaimEvent{p->actor, p->holder, false};
  if (const auto* p = e.get<history::LeaseLost>()) return ClaimEvent{p->actor, p->holder, false};
  if (const auto* p = e.get<history::DuplicateDetected>()) return ClaimEvent{p->actor, p->holder, false};
  return std::nullopt;
}

}  // namespace

CheckResult DirectoryHandoffChecker::check(const CheckInput& input, const CheckContext& context) const {
  const history::History& history = input.history;
  std::vector<Violation> violations;
  std::map<int64_t, View> views;                       // node -> latest view
  std::map<Sym, std::vector<Claim>> open_claims;       // actor -> open claims
  std::map<std::pair<int64_t, Sym>, int64_t> forgot;  // (node, actor) -> last forget time
  int64_t last_noise_ns = std::numeric_limits<int64_t>::min();
  bool all_links_lossy = false;
  std::map<std::pair<int64_t, int64_t>, bool> link_lossy;  // overrides after the last network_config
  size_t placements = 0;

  auto close_claims = [&](Sym actor, Sym holder) {
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
    const history::Event& e = events[i];
    if (is_noise(e.kind())) {
      last_noise_ns = e.time_ns;
      if (const auto* network = e.get<history::NetworkConfig>()) {
        all_links_lossy = lossy(network->loss, network->duplicate);
        link_lossy.clear();
      } else if (const auto* link = e.get<history::LinkConfig>()) {
        link_lossy[{link->from, link->to}] = lossy(link->loss, link->duplicate);
      } else if (e.is<history::Crash>()) {
        for (auto& [actor, claims] : open_claims) {
          std::erase_if(claims, [&](const Claim& c) { return c.node == e.node; });
        }
      }
      continue;
    }
    if (const auto* view = e.get<history::MembershipView>()) {
      views[e.node] = View{e.time_ns, i, &view->members, &view->suspect};
      continue;
    }
    if (const auto claim = claim_event(e)) {
      close_claims(claim->actor, claim->holder);
      if (claim->opens) open_claims[claim->actor].push_back(Claim{claim->holder, e.node, e.time_ns, i});
      continue;
    }
    if (const auto* forget = e.get<history::DirectoryForget>()) {
      forgot[{e.node, forget->actor}] = e.time_ns;
      continue;
    }
    const auto* place = e.get<history::DirectoryPlace>();
    if (place == nullptr) continue;
    ++placements;
    if (!place->owner || network_lossy()) continue;
    auto placer_view = views.find(e.node);
    if (placer_view == views.end()) continue;
    auto claims = open_claims.find(place->actor);
    if (claims == open_claims.end()) continue;
    for (const Claim& claim : claims->second) {
      auto holder_view = views.find(claim.node);
      if (holder_view == views.end()) continue;
      const bool view_registration = holder_view->second.time_ns >= claim.start_ns;
      const int64_t registered_ns = view_registration ? holder_view->second.time_ns : claim.start_ns;
      const size_t registered_event = view_registration ? holder_view->second.event : claim.start_event;
      if (last_noise_ns >= registered_ns) continue;
      if (e.time_ns - registered_ns < context.directory_handoff_bound_ns) continue;
      if (*placer_view->second.members != *holder_view->second.members ||
          *placer_view->second.suspect != *holder_view->second.suspect) {
        continue;
      }
      if (auto f = forgot.find({e.node, place->actor}); f != forgot.end() && f->second >= registered_ns) continue;
      const std::string actor = name_of(history, place->actor);
      const std::string holder = name_of(history, claim.holder);
      Violation v;
      v.actor = actor;
      v.explanation = "node " + std::to_string(e.node) + " owns " + actor + " and placed it at " + format_ns(e.time_ns) +
                      " although " + holder + " (node " + std::to_string(claim.node) + ") had it active and " +
                      (view_registration ? "changed to the same view" : "activated it") + " at " +
                      format_ns(registered_ns) + " on a quiet network: the directory hand-off lost the name";
      std::set<size_t> involved = {claim.start_event, registered_event, placer_view->second.event, i};
      v.events.assign(involved.begin(), involved.end());
      v.holders.push_back(HolderRef{holder, claim.node, std::nullopt, claim.start_event});
      violations.push_back(std::move(v));
      break;
    }
  }
  return make_result(name(), std::move(violations), std::to_string(placements) + " placements", "", MalformedEvents{});
}

}  // namespace orbit::checkers
