#include "scenarios/checkers/snapshot_integrity.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "scenarios/checkers/event_fields.h"

namespace orbit::checkers {

namespace {

struct WriteRecord {
  size_t event = 0;
  int64_t version = 0;
  std::optional<int64_t> token;
  std::string sha256;
  bool ok = false;
  std::string error;

  // ok, or failed without the store definitely refusing it (a timeout may have landed).
  bool possibly_applied() const { return ok || (error != "rejected" && error != "conflict"); }
};

struct NewestAck {
  int64_t version = 0;
  size_t event = 0;
};

struct IntegrityFailure {
  size_t event = 0;
  int64_t version = 0;
};

std::string short_hash(const std::string& sha) { return sha.size() > 12 ? sha.substr(0, 12) + "..." : sha; }

}  // namespace

CheckResult SnapshotIntegrityChecker::check(const sim::History& history, const CheckContext&) const {
  MalformedEvents malformed;
  std::vector<Violation> violations;
  std::map<std::pair<std::string, int64_t>, std::vector<WriteRecord>> writes_by_version;
  std::map<std::string, std::vector<WriteRecord>> accepted;  // per actor, event order
  std::map<std::string, NewestAck> newest_ack;
  // The newest acknowledgement when each holder's read left (snapshot_read_begin).
  std::map<std::pair<std::string, std::string>, std::optional<NewestAck>> ack_at_read;
  std::map<std::string, std::vector<IntegrityFailure>> failures;
  // Writes that left the activation (snapshot_write_begin) without a recorded outcome yet:
  // their node may have died with them in flight, so they may have been applied.
  std::map<std::tuple<std::string, int64_t, std::string>, std::vector<size_t>> in_flight;
  size_t loads = 0;
  size_t loads_without_loaded_hash = 0;
  size_t fallbacks = 0;

  const auto& events = history.events();
  for (size_t i = 0; i < events.size(); ++i) {
    const sim::HistoryEvent& e = events[i];
    if (e.kind == "snapshot_read_begin") {
      const auto actor = string_field(e, "actor");
      const auto holder = string_field(e, "holder");
      if (!actor || !holder) {
        malformed.add(history, i, "snapshot_read_begin needs string \"actor\" and \"holder\"");
        continue;
      }
      auto ack = newest_ack.find(*actor);
      ack_at_read[{*actor, *holder}] = ack != newest_ack.end() ? std::optional<NewestAck>(ack->second) : std::nullopt;
      continue;
    }
    if (e.kind != "snapshot_write" && e.kind != "snapshot_write_begin" && e.kind != "snapshot_load" &&
        e.kind != "snapshot_integrity_failure") {
      continue;
    }
    const auto actor = string_field(e, "actor");
    const auto version = int_field(e, "version");
    if (!actor || !version) {
      malformed.add(history, i, "needs string \"actor\" and integer \"version\"");
      continue;
    }
    if (e.kind == "snapshot_integrity_failure") {
      failures[*actor].push_back({i, *version});
      continue;
    }
    if (e.kind == "snapshot_write_begin") {
      const auto sha = string_field(e, "sha256");
      if (!sha) {
        malformed.add(history, i, "snapshot_write_begin needs string \"sha256\"");
        continue;
      }
      in_flight[{*actor, *version, *sha}].push_back(i);
      continue;
    }
    if (e.kind == "snapshot_write") {
      const auto ok = bool_field(e, "ok");
      const auto sha = string_field(e, "sha256");
      if (!ok || !sha) {
        malformed.add(history, i, "snapshot_write needs boolean \"ok\" and string \"sha256\"");
        continue;
      }
      // Its outcome is known now: it no longer counts as in flight.
      if (auto flight = in_flight.find({*actor, *version, *sha}); flight != in_flight.end() && !flight->second.empty()) {
        flight->second.erase(flight->second.begin());
      }
      WriteRecord w{i, *version, int_field(e, "token"), *sha, *ok, string_field(e, "error").value_or("")};
      writes_by_version[{*actor, *version}].push_back(w);
      if (*ok) {
        accepted[*actor].push_back(w);
        NewestAck& ack = newest_ack[*actor];
        if (accepted[*actor].size() == 1 || *version > ack.version) ack = {*version, i};
      }
      continue;
    }

    // snapshot_load
    const auto verified = bool_field(e, "verified");
    auto loaded_sha = string_field(e, "loaded_sha256");
    if (!loaded_sha) {
      loaded_sha = string_field(e, "sha256");
      if (loaded_sha) ++loads_without_loaded_hash;
    }
    if (!verified || !loaded_sha) {
      malformed.add(history, i, "snapshot_load needs boolean \"verified\" and string \"loaded_sha256\"");
      continue;
    }
    ++loads;
    if (!*verified) {
      Violation v;
      v.explanation = "unverified state loaded: " + *actor + " loaded version " + std::to_string(*version) +
                      " although its hash did not verify";
      v.events = {i};
      v.actor = *actor;
      v.snapshot = SnapshotRef{*actor, *version, *loaded_sha, string_field(e, "sha256").value_or(""), i};
      violations.push_back(std::move(v));
    }

    // Rule 2: the bytes loaded are bytes that were written (and possibly applied) at that version.
    const auto found = writes_by_version.find({*actor, *version});
    const WriteRecord* match = nullptr;
    const WriteRecord* refused_match = nullptr;
    const WriteRecord* acknowledged = nullptr;
    if (found != writes_by_version.end()) {
      for (const WriteRecord& w : found->second) {
        if (w.ok && acknowledged == nullptr) acknowledged = &w;
        if (w.sha256 != *loaded_sha) continue;
        if (w.possibly_applied()) {
          if (match == nullptr || (!match->ok && w.ok)) match = &w;
        } else if (refused_match == nullptr) {
          refused_match = &w;
        }
      }
    }
    // A write that left and whose outcome was never recorded (its node died) may be it.
    bool in_flight_match = false;
    if (match == nullptr && refused_match == nullptr) {
      auto flight = in_flight.find({*actor, *version, *loaded_sha});
      in_flight_match = flight != in_flight.end() && !flight->second.empty();
    }
    if (match == nullptr && !in_flight_match) {
      Violation v;
      v.actor = *actor;
      v.events = {i};
      v.snapshot = SnapshotRef{*actor, *version, *loaded_sha, acknowledged != nullptr ? acknowledged->sha256 : "", i};
      const std::string what = *actor + " loaded version " + std::to_string(*version) + " with sha256 " +
                               short_hash(*loaded_sha);
      if (refused_match != nullptr) {
        v.explanation = "refused write loaded: " + what + ", the bytes of a write the store refused (" +
                        refused_match->error + ")";
        v.events.push_back(refused_match->event);
      } else if (acknowledged != nullptr) {
        v.explanation = "corrupt state loaded: " + what + " but the acknowledged write of that version had sha256 " +
                        short_hash(acknowledged->sha256);
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
    const auto holder = string_field(e, "holder");
    if (auto read = holder ? ack_at_read.find({*actor, *holder}) : ack_at_read.end(); read != ack_at_read.end()) {
      ack = read->second;
    } else if (auto newest = newest_ack.find(*actor); newest != newest_ack.end()) {
      ack = newest->second;
    }
    if (ack && *version < ack->version) {
      bool excused = false;
      for (const IntegrityFailure& f : failures[*actor]) {
        if (f.event > ack->event && f.version > *version) {
          excused = true;
          break;
        }
      }
      if (excused) {
        ++fallbacks;
      } else {
        Violation v;
        v.explanation = "acknowledged snapshot lost: " + *actor + " loaded version " + std::to_string(*version) +
                        " although version " + std::to_string(ack->version) +
                        " was acknowledged before its read began, and no integrity failure of a newer version was recorded";
        v.events = {ack->event, i};
        v.actor = *actor;
        v.snapshot = SnapshotRef{*actor, *version, *loaded_sha, "", i};
        violations.push_back(std::move(v));
      }
    }
  }

  // Rule 3: accepted versions strictly increase in store order.
  size_t accepted_total = 0;
  for (auto& [actor, list] : accepted) {
    accepted_total += list.size();
    const bool all_tokens = std::all_of(list.begin(), list.end(), [](const WriteRecord& w) { return w.token.has_value(); });
    if (all_tokens) {
      std::stable_sort(list.begin(), list.end(), [](const WriteRecord& a, const WriteRecord& b) {
        if (*a.token != *b.token) return *a.token < *b.token;
        return a.event < b.event;
      });
    }
    for (size_t k = 1; k < list.size(); ++k) {
      const WriteRecord& before = list[k - 1];
      const WriteRecord& after = list[k];
      if (after.version > before.version) continue;
      std::string order = all_tokens ? "token " + std::to_string(*before.token) + " then token " + std::to_string(*after.token)
                                     : std::string("event order");
      Violation v;
      v.explanation = "accepted versions not increasing: " + actor + " had version " + std::to_string(after.version) +
                      " accepted after version " + std::to_string(before.version) + " (" + order + ")";
      v.events = {before.event, after.event};
      v.actor = actor;
      v.snapshot = SnapshotRef{actor, after.version, after.sha256, "", after.event};
      violations.push_back(std::move(v));
    }
  }

  std::string checked = std::to_string(loads) + " loads and " + std::to_string(accepted_total) +
                        " accepted writes on " + std::to_string(accepted.size()) + " actors";
  if (fallbacks > 0) checked += ", " + std::to_string(fallbacks) + " loads fell back past a corrupt snapshot";
  if (loads_without_loaded_hash > 0) {
    checked += ", " + std::to_string(loads_without_loaded_hash) + " loads without loaded_sha256 judged by sha256";
  }
  return make_result(name(), std::move(violations), std::move(checked), "", malformed);
}

}  // namespace orbit::checkers
