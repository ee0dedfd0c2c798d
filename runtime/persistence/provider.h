// PersistenceProvider: the one interface every store implements (memory, log-structured
// over env::Disk, remote over the transport; RocksDB and etcd in real mode). The
// conformance suite (provider_conformance.h) holds every implementation to this contract.
//
// Fault model: a call may fail (kIo, kUnavailable, kTimeout for remote ones) after or before
// taking effect: callers treat a failed write as "maybe applied". Everything a call
// reports as done is durable (it survives a crash of the store) — except where a provider
// documents a batching window, which the conformance suite accounts for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence {

struct ProviderMetrics {
  uint64_t lease_acquires = 0;
  uint64_t lease_renewals = 0;
  uint64_t lease_conflicts = 0;     // acquire/renew/release refused
  uint64_t lease_releases = 0;
  uint64_t snapshot_writes = 0;
  uint64_t snapshot_reads = 0;
  uint64_t fencing_rejections = 0;  // writes refused for a stale token
  uint64_t version_conflicts = 0;   // writes refused for an unexpected version
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
  uint64_t errors = 0;              // calls that returned an I/O-class error
  uint64_t corrupt_records = 0;     // records dropped on recovery or read (bad checksum)
};

enum class HealthState { kHealthy, kDegraded, kUnhealthy };

struct Health {
  HealthState state = HealthState::kHealthy;
  std::string reason;  // why, when not healthy
};

// Every method returns a lazy Task that may first run after the caller's arguments are
// gone: implementations copy what they need when the method is called, never keep the
// references.
class PersistenceProvider {
 public:
  virtual ~PersistenceProvider() = default;

  // --- Leases. Expiry is judged on the store's own monotonic clock only.

  // Grants the lease to `holder` when it is free, expired, or already held by `holder`
  // (an idempotent retry: same version, expiry extended). A grant to a new holder bumps
  // the version. Not granted: the outcome carries the current holder's record.
  virtual Task<Result<LeaseOutcome>> acquire_lease(const ActorKey& key, const std::string& holder,
                                                   Duration duration, const Tags& metadata) = 0;

  // Extends the lease when `holder` still holds `version` (even if it expired meanwhile:
  // nobody else took it, so nobody else wrote). Not granted otherwise (current record).
  virtual Task<Result<LeaseOutcome>> renew_lease(const ActorKey& key, const std::string& holder,
                                                 uint64_t version, Duration duration) = 0;

  // Frees the lease when `holder` holds `version`; the version is kept (the next grant bumps
  // it). kConflict when someone else holds it; ok when it is already free.
  virtual Task<Result<void>> release_lease(const ActorKey& key, const std::string& holder,
                                           uint64_t version) = 0;

  // The lease record of `key` (kNotFound if it never existed).
  virtual Task<Result<LeaseRecord>> read_lease(const ActorKey& key) = 0;

  // Every lease record (of one kind when `kind` is set), sorted by key.
  virtual Task<Result<std::vector<LeaseRecord>>> list_leases(std::optional<std::string> kind) = 0;

  // --- Snapshots.

  // Stores `snapshot` as the new latest version of its key when
  //   - snapshot.fencing_token equals the key's current lease version (else kRejected,
  //     message "stale fencing token ..."), and
  //   - the latest stored version equals `expected_version` (0: none yet) and
  //     snapshot.version == expected_version + 1 (else kConflict).
  // Keeps the newest `retained_versions()` versions and discards older ones.
  virtual Task<Result<void>> write_snapshot(const Snapshot& snapshot, uint64_t expected_version) = 0;

  // The same, handing the snapshot over: for a caller that does not need it afterwards (the
  // storage server, with the snapshot it decoded), so that a store keeping it in memory
  // moves it in instead of copying its state. The default copies (as the overload above
  // does); a store that keeps the snapshot itself overrides both.
  virtual Task<Result<void>> write_snapshot(Snapshot&& snapshot, uint64_t expected_version) {
    return write_snapshot(static_cast<const Snapshot&>(snapshot), expected_version);
  }

  // The retained snapshots of `key`, newest first (empty if none). Returned as stored:
  // callers verify hashes (bit rot is detected by the reader, never silently "fixed").
  virtual Task<Result<std::vector<Snapshot>>> read_snapshots(const ActorKey& key) = 0;

  // Keys that have snapshots (of one kind when set), sorted.
  virtual Task<Result<std::vector<ActorKey>>> list_snapshot_keys(std::optional<std::string> kind) = 0;

  // Removes snapshots whose TTL has passed (store clock); returns how many were removed.
  // Lease records are never removed: a free lease keeps its version, so a fencing token is
  // never issued twice.
  virtual Task<Result<uint64_t>> sweep_expired() = 0;

  virtual size_t retained_versions() const = 0;
  virtual ProviderMetrics metrics() const = 0;
  virtual Health health() const = 0;
};

}  // namespace orbit::persistence
