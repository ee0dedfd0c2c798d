#include "scenarios/checkers/snapshot_integrity.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "history/sha256.h"
#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

struct WriteRecord {
  size_t event = 0;
  int64_t version = 0;
  int64_t token = 0;
  history::Sha256 sha256;
  bool ok = false;
  history::StoreError error = history::StoreError::kNone;

  // ok, or failed without the store definitely refusing it (a timeout may have landed).
  bool possibly_applied() const {
    return ok || (error != history::StoreError::kRejected && error != history::StoreError::kConflict);
  }
};

struct NewestAck {
  int64_t version = 0;
  size_t event = 0;
};

struct IntegrityFailure {
  size_t event = 0;
  int64_t version = 0;
};

using history::Sym;

std::string short_hash(const std::string& sha) { return sha.size() > 12 ? sha.substr(0, 12) + "..." : sha; }

}  // namespace

CheckResult SnapshotIntegrityChecker::check(const CheckInput& input, const CheckContext&) const {
  const history::History& history = input.history;
  std::vector<Violation> violations;
  std::map<std::pair<Sym, int64_t>, std::vector<WriteRecord>> writes_by_version;
  std::map<Sym, std::vector<WriteRecord>> accepted;  // per actor, event order
  std::map<Sym, NewestAck> newest_ack;
  // The newest acknowledgement when each holder's read left (snapshot_read_begin).
  std::map<std::pair<Sym, Sym>, std::optional<NewestAck>> ack_at_read;
  std::map<Sym, std::vector<IntegrityFailure>> failures;
  // Writes that left the activation (snapshot_write_begin) without a recorded outcome yet:
  // their node may have died with them in flight, so they may have been applied.
  std::map<std::tuple<Sym, int64_t, history::Sha256>, std::vector<size_t>> in_flight;
  size_t loads = 0;
  size_t fallbacks = 0;

  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const history::Event& e = events[i];
    if (const auto* read = e.get<history::SnapshotReadBegin>()) {
      auto ack = newest_ack.find(read->actor);
      ack_at_read[{read->actor, read->holder}] =
          ack != newest_ack.end() ? std::optional<NewestAck>(ack->second) : std::nullopt;
      continue;
    }
    if (const auto* failure = e.get<history::SnapshotIntegrityFailure>()) {
      failures[failure->actor].push_back({i, failure->version});
      continue;
    }
    if (const auto* begin = e.get<history::SnapshotWriteBegin>()) {
      in_flight[{begin->actor, begin->version, begin->sha256}].push_back(i);
      continue;
    }
    if (const auto* write = e.get<history::SnapshotWrite>()) {
      // Its outcome is known now: it no longer counts as in flight.
      if (auto flight = in_flight.find({write->actor, write->version, write->sha256});
          flight != in_flight.end() && !flight->second.empty()) {
        flight->second.erase(flight->second.begin());
      }
      WriteRecord w{i, write->version, write->token, write->sha256, write->ok, write->error};
      writes_by_version[{write->actor, write->version}].push_back(w);
      if (write->ok) {
        accepted[write->actor].push_back(w);
        NewestAck& ack = newest_ack[write->actor];
        if (accepted[write->actor].size() == 1 || write->version > ack.version) ack = {write->version, i};
      }
      continue;
    }
    const auto* load = e.get<history::SnapshotLoad>();
    if (load == nullptr) continue;
    const Sym actor_sym = load->actor;
    const std::string actor = name_of(history, actor_sym);
    const int64_t version = load->version;
    const std::string loaded_sha = history::to_hex(load->loaded_sha256);
    ++loads;
    if (!load->verified) {
      Violation v;
      v.explanation = "unverified state loaded: " + actor + " loaded version " + std::to_string(version) +
                      " although its hash did not verify";
      v.events = {i};
      v.actor = actor;
      v.snapshot = SnapshotRef{actor, version, loaded_sha, history::to_hex(load->sha256), i};
      violations.push_back(std::move(v));
    }

    // Rule 2: the bytes loaded are bytes that were written (and possibly applied) at that version.
    const auto found = writes_by_version.find({actor_sym, version});
    const WriteRecord* match = nullptr;
    const WriteRecord* refused_match = nullptr;
    const WriteRecord* acknowledged = nullptr;
    if (found != writes_by_version.end()) {
      for (const WriteRecord& w : found->second) {
        if (w.ok && acknowledged == nullptr) acknowledged = &w;
        if (w.sha256 != load->loaded_sha256) continue;
        if (w.possibly_applied()) {
          if (match == nullptr || (!match->ok && w.ok)) match = &w;
        } else if (refused_match == nullptr) {
          refused_match = &w;
        }
      }
    }
    // A write that left and whose outcome is not known yet (its node died, or its reply
    // comes later) may be it, even when a refused write carried the same bytes: two
    // holders writing the same state at the same version is legal, only one is fenced.
    bool in_flight_match = false;
    if (match == nullptr) {
      auto flight = in_flight.find({actor_sym, version, load->loaded_sha256});
      in_flight_match = flight != in_flight.end() && !flight->second.empty();
    }
    if (match == nullptr && !in_flight_match) {
      Violation v;
      v.actor = actor;
      v.events = {i};
      const std::string expected = acknowledged != nullptr ? history::to_hex(acknowledged->sha256) : "";
      v.snapshot = SnapshotRef{actor, version, loaded_sha, expected, i};
      const std::string what = actor + " loaded version " + std::to_string(version) + " with sha256 " +
                               short_hash(loaded_sha);
      if (refused_match != nullptr) {
        v.explanation = "refused write loaded: " + what + ", the bytes of a write the store refused (" +
                        std::string(history::enum_name(refused_match->error)) + ")";
        v.events.push_back(refused_match->event);
      } else if (acknowledged != nullptr) {
        v.explanation = "corrupt state loaded: " + what + " but the acknowledged write of that version had sha256 " +
                        short_hash(history::to_hex(acknowledged->sha256));
        v.events.push_back(acknowledged->event);
      } else if (found != writes_by_version.end()) {
        v.explanation = "corrupt state loaded: " + what + ", which matches no write of that version";
        v.events.push_back(found->second.front().event);
      } else {
        v.explanation = "corrupt state loaded: " + what + ", a version never written in this history";
      }
      violations.push_back(std::move(v));
    }

    // Rule 4: no acknowledged snapshot silently lost.
    std::optional<NewestAck> ack;
    if (auto read = ack_at_read.find({actor_sym, load->holder}); read != ack_at_read.end()) {
      ack = read->second;
    } else if (auto newest = newest_ack.find(actor_sym); newest != newest_ack.end()) {
      ack = newest->second;
    }
    if (ack && version < ack->version) {
      bool excused = false;
      for (const IntegrityFailure& f : failures[actor_sym]) {
        if (f.event > ack->event && f.version > version) {
          excused = true;
          break;
        }
      }
      if (excused) {
        ++fallbacks;
      } else {
        Violation v;
        v.explanation = "acknowledged snapshot lost: " + actor + " loaded version " + std::to_string(version) +
                        " although version " + std::to_string(ack->version) +
                        " was acknowledged before its read began, and no integrity failure of a newer version was recorded";
        v.events = {ack->event, i};
        v.actor = actor;
        v.snapshot = SnapshotRef{actor, version, loaded_sha, "", i};
        violations.push_back(std::move(v));
      }
    }
  }

  // Rule 3: accepted versions strictly increase in store order.
  size_t accepted_total = 0;
  for (auto& [actor_sym, list] : accepted) {
    const std::string actor = name_of(history, actor_sym);
    accepted_total += list.size();
    std::stable_sort(list.begin(), list.end(), [](const WriteRecord& a, const WriteRecord& b) {
      if (a.token != b.token) return a.token < b.token;
      return a.event < b.event;
    });
    for (size_t k = 1; k < list.size(); ++k) {
      const WriteRecord& before = list[k - 1];
      const WriteRecord& after = list[k];
      if (after.version > before.version) continue;
      const std::string order = "token " + std::to_string(before.token) + " then token " + std::to_string(after.token);
      Violation v;
      v.explanation = "accepted versions not increasing: " + actor + " had version " + std::to_string(after.version) +
                      " accepted after version " + std::to_string(before.version) + " (" + order + ")";
      v.events = {before.event, after.event};
      v.actor = actor;
      v.snapshot = SnapshotRef{actor, after.version, history::to_hex(after.sha256), "", after.event};
      violations.push_back(std::move(v));
    }
  }

  std::string checked = std::to_string(loads) + " loads and " + std::to_string(accepted_total) +
                        " accepted writes on " + std::to_string(accepted.size()) + " actors";
  if (fallbacks > 0) checked += ", " + std::to_string(fallbacks) + " loads fell back past a corrupt snapshot";
  return make_result(name(), std::move(violations), std::move(checked), "", MalformedEvents{});
}

}  // namespace orbit::checkers
