// MemoryProvider: the reference PersistenceProvider, all in memory. It is the executable
// form of the contract in provider.h (the conformance suite and the log-structured
// provider's model test compare against it), the store of single-process tests, and, as
// MemoryState, the index the log-structured provider rebuilds from its segments.
//
// Fault model: none of its own. Nothing survives the object; every call completes
// synchronously (the Task is ready at its first resumption), so a caller never sees an
// I/O error. Lease expiry and snapshot TTL are judged on the store clock passed in, and
// only on its monotonic reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env/clock.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/time.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence {

// A snapshot as a store keeps it: the writer's record plus the store's monotonic reading
// when it was stored, which is what the snapshot's TTL is measured from (the writer's wall
// clock in updated_at_ns may be anywhere).
struct StoredSnapshot {
  Snapshot snapshot;
  int64_t stored_at_ns = 0;  // store monotonic clock

  friend bool operator==(const StoredSnapshot&, const StoredSnapshot&) = default;
};

// One change a decision made to the state, in the order it made them. Every change is an
// absolute assignment (set this lease record, store this snapshot version, drop this
// snapshot version, raise the lease version floor), never a delta: replaying a change twice,
// or a compacted copy after the original, gives the same state. The log-structured provider
// writes exactly these.
struct StateChange {
  enum class Kind {
    kLeaseSet,        // `key`'s lease record is now MemoryState::find_lease(key)
    kSnapshotPut,     // snapshot (`key`, `version`) was stored
    kSnapshotRemove,  // snapshot (`key`, `version`) was dropped (retention or TTL)
    kVersionFloor,    // every lease version is now at least `version`
  };
  Kind kind;
  ActorKey key;
  uint64_t version = 0;

  friend bool operator==(const StateChange&, const StateChange&) = default;
};

// The provider contract as a pure state machine over an explicit `now` (store monotonic
// time): decisions (which validate, decide, apply and report their changes) and replay
// (which applies logged changes without judging them). Copyable, so a test can fork it.
class MemoryState {
 public:
  // `retained_versions` must be at least 1 (std::invalid_argument otherwise: a start-up
  // configuration error).
  explicit MemoryState(size_t retained_versions);

  // --- Decisions: the semantics of the same-named PersistenceProvider calls. `changes`
  // (may be null) receives every change made, in order; a refused or invalid call makes
  // none. Counters in metrics() move as provider.h describes.
  Result<LeaseOutcome> acquire_lease(const ActorKey& key, const std::string& holder, Duration duration,
                                     const Tags& metadata, MonoTime now, std::vector<StateChange>* changes);
  Result<LeaseOutcome> renew_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                   Duration duration, MonoTime now, std::vector<StateChange>* changes);
  Result<void> release_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                             std::vector<StateChange>* changes);
  Result<LeaseRecord> read_lease(const ActorKey& key) const;
  std::vector<LeaseRecord> list_leases(const std::optional<std::string>& kind) const;
  // Takes the snapshot: a granted write moves it into the state.
  Result<void> write_snapshot(Snapshot snapshot, uint64_t expected_version, MonoTime now,
                              std::vector<StateChange>* changes);
  // Counts the read in metrics() (hence not const).
  std::vector<Snapshot> read_snapshots(const ActorKey& key);
  std::vector<ActorKey> list_snapshot_keys(const std::optional<std::string>& kind) const;
  uint64_t sweep_expired(MonoTime now, std::vector<StateChange>* changes);

  // --- Replay: applies a logged change as it was decided (no checks, no counters).
  void apply_lease(const LeaseRecord& lease);
  void apply_snapshot_put(StoredSnapshot stored);
  void apply_snapshot_remove(const ActorKey& key, uint64_t version);
  // Raises every lease version below `floor` to `floor`, and makes the next grant of any
  // key at least floor + 1. The log-structured provider raises it after finding corrupt
  // records, so that a lease version whose record was lost is never issued again.
  void apply_version_floor(uint64_t floor);

  // --- Inspection.
  const LeaseRecord* find_lease(const ActorKey& key) const;
  const StoredSnapshot* find_snapshot(const ActorKey& key, uint64_t version) const;
  const std::map<ActorKey, LeaseRecord>& leases() const { return leases_; }
  // Per key, the retained versions in ascending order. No key maps to an empty map.
  const std::map<ActorKey, std::map<uint64_t, StoredSnapshot>>& snapshots() const { return snapshots_; }
  uint64_t version_floor() const { return version_floor_; }
  // The largest lease version or snapshot fencing token held (0 when empty): what a version
  // floor must exceed.
  uint64_t max_issued_version() const;
  size_t retained_versions() const { return retained_versions_; }
  const ProviderMetrics& metrics() const { return metrics_; }

  // Same leases, snapshots (with their store times) and floor; metrics are not compared.
  friend bool same_contents(const MemoryState& a, const MemoryState& b) {
    return a.leases_ == b.leases_ && a.snapshots_ == b.snapshots_ && a.version_floor_ == b.version_floor_;
  }

 private:
  size_t retained_versions_;
  std::map<ActorKey, LeaseRecord> leases_;
  std::map<ActorKey, std::map<uint64_t, StoredSnapshot>> snapshots_;
  uint64_t version_floor_ = 0;
  ProviderMetrics metrics_;
};

class MemoryProvider final : public PersistenceProvider {
 public:
  // `store_clock` must outlive the provider; only its mono_now() is read.
  explicit MemoryProvider(const env::Clock& store_clock, size_t retained_versions = 3);
  // Starts from a given state (a test's fork of a model).
  MemoryProvider(const env::Clock& store_clock, MemoryState initial);

  Task<Result<LeaseOutcome>> acquire_lease(const ActorKey& key, const std::string& holder, Duration duration,
                                           const Tags& metadata) override;
  Task<Result<LeaseOutcome>> renew_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                         Duration duration) override;
  Task<Result<void>> release_lease(const ActorKey& key, const std::string& holder, uint64_t version) override;
  Task<Result<LeaseRecord>> read_lease(const ActorKey& key) override;
  Task<Result<std::vector<LeaseRecord>>> list_leases(std::optional<std::string> kind) override;
  Task<Result<void>> write_snapshot(const Snapshot& snapshot, uint64_t expected_version) override;
  Task<Result<void>> write_snapshot(Snapshot&& snapshot, uint64_t expected_version) override;
  Task<Result<std::vector<Snapshot>>> read_snapshots(const ActorKey& key) override;
  Task<Result<std::vector<ActorKey>>> list_snapshot_keys(std::optional<std::string> kind) override;
  Task<Result<uint64_t>> sweep_expired() override;

  size_t retained_versions() const override { return state_.retained_versions(); }
  ProviderMetrics metrics() const override { return state_.metrics(); }
  Health health() const override { return Health{}; }

  const MemoryState& state() const { return state_; }

 private:
  // The coroutines behind the overrides take their arguments by value: the interface's
  // reference parameters may die before a lazily started Task first runs.
  Task<Result<LeaseOutcome>> do_acquire(ActorKey key, std::string holder, Duration duration, Tags metadata);
  Task<Result<LeaseOutcome>> do_renew(ActorKey key, std::string holder, uint64_t version, Duration duration);
  Task<Result<void>> do_release(ActorKey key, std::string holder, uint64_t version);
  Task<Result<LeaseRecord>> do_read_lease(ActorKey key);
  Task<Result<std::vector<LeaseRecord>>> do_list_leases(std::optional<std::string> kind);
  Task<Result<void>> do_write(Snapshot snapshot, uint64_t expected_version);
  Task<Result<std::vector<Snapshot>>> do_read_snapshots(ActorKey key);
  Task<Result<std::vector<ActorKey>>> do_list_keys(std::optional<std::string> kind);
  Task<Result<uint64_t>> do_sweep();

  const env::Clock& clock_;
  MemoryState state_;
};

}  // namespace orbit::persistence
