// The records persistence keeps: leases (who may run an actor, and the fencing token
// that proves it) and snapshots (an actor's state at a version).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/env/bytes.h"
#include "runtime/env/time.h"

namespace orbit::persistence {

// An actor's identity: (kind, id).
struct ActorKey {
  std::string kind;
  std::string id;

  std::string to_string() const { return kind + "/" + id; }
  friend auto operator<=>(const ActorKey&, const ActorKey&) = default;
  friend bool operator==(const ActorKey&, const ActorKey&) = default;
};

using Tags = std::map<std::string, std::string>;

// A lease as persistence stores it. `version` is the fencing token: it increases every time
// the lease changes hands (never on renewal, never backwards, not even after release), so a
// write carrying an older version is from a holder that lost the lease.
struct LeaseRecord {
  ActorKey key;
  std::string holder;          // the activation holding it; empty when free
  uint64_t version = 0;
  int64_t expires_at_ns = 0;   // on the *storage's* monotonic clock; meaningless elsewhere
  Duration duration{0};
  Tags metadata;

  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// The answer to acquire/renew: granted, or not with the current holder's record (so the
// caller can forward to the holder).
struct LeaseOutcome {
  bool granted = false;
  LeaseRecord record;
};

// One version of an actor's state.
struct Snapshot {
  ActorKey key;
  uint64_t version = 0;          // 1, 2, 3, ... per key
  Bytes state;                   // canonical serialized state
  std::string sha256;            // lowercase hex SHA-256 of `state`, computed by the writer
  uint64_t fencing_token = 0;    // the lease version it was written under
  int64_t created_at_ns = 0;     // writer's wall clock, when version 1 was written
  int64_t updated_at_ns = 0;     // writer's wall clock, when this version was written
  std::string node;              // the writer
  Tags tags;
  std::optional<Duration> ttl;   // the snapshot expires this long after updated (storage clock)

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// JSON forms, for what people and other stores read: the stores' HTTP endpoints, the
// RocksDB provider's values, and version-1 records of the log-structured provider (still
// read, no longer written). The wire and the log use the typed binary forms of
// record_codec.h. Bytes are JSON binary (MessagePack bin) or base64 in text.
nlohmann::json to_json(const ActorKey& key);
nlohmann::json to_json(const LeaseRecord& lease);
nlohmann::json to_json(const Snapshot& snapshot);
// Parsing reports what is wrong ("lease.version: expected an unsigned integer").
std::optional<std::string> from_json(const nlohmann::json& j, ActorKey& out);
std::optional<std::string> from_json(const nlohmann::json& j, LeaseRecord& out);
std::optional<std::string> from_json(const nlohmann::json& j, Snapshot& out);

}  // namespace orbit::persistence
