// RocksDbProvider: the PersistenceProvider of orbit-store, over RocksDB in one directory.
//
// Semantics are MemoryState's (memory_provider.h), the same state machine the reference
// provider and the log-structured provider use, including the planted no-fencing bug hook:
// every mutating call decides against an in-memory index, and the changes that decision
// made (lease records set, snapshot versions stored or dropped) go to RocksDB as ONE
// WriteBatch with WriteOptions.sync = true. The call returns only after that batch is in the
// fsynced write-ahead log, so every acknowledged write survives a crash of the process or
// the machine. Reads are answered from the index, which only ever holds what was synced
// (calls run one at a time on the owner's thread, and a mutating call does not return
// before its batch is durable).
//
// Layout (keys are bytes; values are MessagePack of types.h's JSON forms):
//   "m:format"                                  -> 1
//   "l:" u32be(len kind) kind id                -> LeaseRecord
//   "s:" u32be(len kind) kind id u64be(version) -> {"snapshot": Snapshot, "stored_at_ns": i64}
//   "m:floor"                                   -> u64 lease version floor (after corruption)
//
// Fault model:
//  - A failed write (RocksDB error, full disk) leaves the index ahead of the disk, so the
//    provider fails closed like LogProvider: that call and every later one return the error
//    (kNoSpace for a full disk, else kIo), health() is kUnhealthy, and the owner must reopen.
//  - RocksDB checksums its own files (paranoid checks on); open() fails with kCorrupt when
//    RocksDB reports corruption. A value that RocksDB returns intact but that does not parse
//    is skipped, counted in corrupt_records, makes health() kDegraded, and, because a lost
//    lease record could hide an issued version, raises a version floor above every version
//    seen (to the next multiple of 2^32), synced before serving: no fencing token is
//    issued twice.
//  - Lease expiry and snapshot TTL are store monotonic readings (OsClock: CLOCK_MONOTONIC,
//    shared by every process of one boot, so a restarted store keeps judging them right).
//    After a reboot the monotonic clock restarts from near zero; open() therefore clamps a
//    lease expiring more than its duration from now to now + duration, and a snapshot stored
//    "in the future" to now. Both only shorten nothing a holder relies on: a holder measures
//    its lease from its own request time, which is earlier.
//
// Threading: one thread (the store's executor). Every Task completes without suspending;
// RocksDB calls block that thread, as PosixDisk's calls do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/env/clock.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/provider.h"

namespace rocksdb {
class DB;
}

namespace orbit::real {

struct RocksDbProviderOptions {
  std::string dir;                // created if missing
  size_t retained_versions = 3;   // >= 1
  // WriteOptions.sync for every acknowledged write. Only benchmarks turn it off.
  bool sync = true;
};

class RocksDbProvider final : public persistence::PersistenceProvider {
 public:
  // Opens (or creates) the store and loads the index. `store_clock` must outlive the
  // provider; only its mono_now() is read. Errors: kInvalidArgument (retained_versions 0,
  // empty dir, unsupported format), kIo (cannot create (with parents) or lock the directory: the message
  // names it and RocksDB's reason), kCorrupt (RocksDB found corruption).
  [[nodiscard]] static Result<std::unique_ptr<RocksDbProvider>> open(RocksDbProviderOptions options,
                                                                     const env::Clock& store_clock);
  ~RocksDbProvider() override;  // closes RocksDB
  RocksDbProvider(const RocksDbProvider&) = delete;
  RocksDbProvider& operator=(const RocksDbProvider&) = delete;

  Task<Result<persistence::LeaseOutcome>> acquire_lease(const persistence::ActorKey& key,
                                                        const std::string& holder, Duration duration,
                                                        const persistence::Tags& metadata) override;
  Task<Result<persistence::LeaseOutcome>> renew_lease(const persistence::ActorKey& key,
                                                      const std::string& holder, uint64_t version,
                                                      Duration duration) override;
  Task<Result<void>> release_lease(const persistence::ActorKey& key, const std::string& holder,
                                   uint64_t version) override;
  Task<Result<persistence::LeaseRecord>> read_lease(const persistence::ActorKey& key) override;
  Task<Result<std::vector<persistence::LeaseRecord>>> list_leases(std::optional<std::string> kind) override;
  Task<Result<void>> write_snapshot(const persistence::Snapshot& snapshot, uint64_t expected_version) override;
  Task<Result<std::vector<persistence::Snapshot>>> read_snapshots(const persistence::ActorKey& key) override;
  Task<Result<std::vector<persistence::ActorKey>>> list_snapshot_keys(std::optional<std::string> kind) override;
  Task<Result<uint64_t>> sweep_expired() override;

  size_t retained_versions() const override { return state_.retained_versions(); }
  persistence::ProviderMetrics metrics() const override;
  persistence::Health health() const override;

  const std::string& dir() const { return options_.dir; }
  const persistence::MemoryState& state() const { return state_; }
  // RocksDB's own figure for live data on disk (bytes), for metrics.
  [[nodiscard]] uint64_t live_data_bytes() const;

  struct PrivateTag {
    explicit PrivateTag() = default;
  };
  // Use open(); public only so that make_unique can reach it.
  RocksDbProvider(PrivateTag, RocksDbProviderOptions options, const env::Clock& store_clock,
                  std::unique_ptr<rocksdb::DB> db);

 private:
  Result<void> load();
  // Writes `changes` (as MemoryState reported them) in one synced batch.
  Result<void> commit(const std::vector<persistence::StateChange>& changes);
  Result<void> write_floor(uint64_t floor);

  // The synchronous bodies; the Task overrides call them when first resumed, with copies.
  Result<persistence::LeaseOutcome> acquire_now(const persistence::ActorKey& key, const std::string& holder,
                                                Duration duration, const persistence::Tags& metadata);
  Result<persistence::LeaseOutcome> renew_now(const persistence::ActorKey& key, const std::string& holder,
                                              uint64_t version, Duration duration);
  Result<void> release_now(const persistence::ActorKey& key, const std::string& holder, uint64_t version);
  Result<void> write_now(const persistence::Snapshot& snapshot, uint64_t expected_version);
  Result<uint64_t> sweep_now();

  RocksDbProviderOptions options_;
  const env::Clock& clock_;
  std::unique_ptr<rocksdb::DB> db_;
  persistence::MemoryState state_;
  std::optional<Error> failed_;  // set by a failed write: fail closed
  uint64_t errors_ = 0;
  uint64_t corrupt_records_ = 0;
};

}  // namespace orbit::real
