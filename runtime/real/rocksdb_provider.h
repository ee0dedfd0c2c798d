// RocksDbProvider: the PersistenceProvider of orbit-store, over RocksDB in one directory.
//
// Semantics are MemoryState's (memory_provider.h), the same state machine the reference
// provider and the log-structured provider use, including the planted no-fencing bug hook:
// every call decides against an in-memory index when it first runs, and the changes that
// decision made (lease records set, snapshot versions stored or dropped) are staged in the
// pending RocksDB WriteBatch.
//
// Group commit. The first call that stages a change posts one flush to the executor; every
// call decided before that flush runs joins the same batch, which is written with
// WriteOptions.sync = true (one WAL fsync for all of them). A call returns only after the
// batch holding its changes is in the fsynced write-ahead log, so every acknowledged write
// survives a crash of the process or the machine. A call that changes nothing (a read, a
// refused acquire) still waits for the pending batch when there is one: its answer may
// depend on staged changes, and no caller may observe state that a crash could take back.
// Requests that arrive while a flush blocks the thread are decided after it and share the
// next fsync, so throughput grows with concurrency instead of stopping at one fsync per call
// (docs/PERFORMANCE.md).
//
// Layout (keys are bytes):
//   "m:format"                                  -> store format, a plain MessagePack uint
//   "l:" u32be(len kind) kind id                -> value: LeaseRecord
//   "s:" u32be(len kind) kind id u64be(version) -> value: [Snapshot, stored_at_ns]
//   "m:floor"                                   -> value: u64 lease version floor (after corruption)
//
// Values (store format 2, written): the byte 0xC1, the value format version (2), then one
// MessagePack value in record_codec.h's typed form (records as arrays of their fields, no
// field names). 0xC1 is the one byte MessagePack never uses, so no value of store format 1
// (types.h's JSON forms in MessagePack: a map for a record, a uint for the floor) starts
// with it, and every value says by its first byte which of the two it is. Format 1 values
// are still read, value by value, so a store written before issue 13 opens and keeps its
// leases and snapshots; they are rewritten in format 2 when next changed. open() raises
// the marker from 1 to 2 (synced) before serving, so a build that reads only format 1
// refuses the store instead of taking format-2 values for damage. The marker itself stays
// a bare MessagePack uint in every format, so any build can say which format it found.
//
// Fault model:
//  - A failed batch write (RocksDB error, full disk) leaves the index ahead of the disk, so
//    the provider fails closed like LogProvider: every call of that batch and every later
//    one returns the error (kNoSpace for a full disk, else kIo), health() is kUnhealthy, and
//    the owner must reopen. A failed call is "maybe applied", as provider.h says.
//  - RocksDB checksums its own files (paranoid checks on); open() fails with kCorrupt when
//    RocksDB reports corruption. A value that RocksDB returns intact but that does not parse
//    (or whose record belongs to another key) is skipped, counted in corrupt_records,
//    described by first_corrupt_record() (kCorrupt, naming the key and the field), makes
//    health() kDegraded, and, because a lost lease record could hide an issued version,
//    raises a version floor above every version seen (to the next multiple of 2^32),
//    synced before serving: no fencing token is issued twice.
//  - Lease expiry and snapshot TTL are store monotonic readings (OsClock: CLOCK_MONOTONIC,
//    shared by every process of one boot, so a restarted store keeps judging them right).
//    After a reboot the monotonic clock restarts from near zero; open() therefore clamps a
//    lease expiring more than its duration from now to now + duration, and a snapshot stored
//    "in the future" to now. Both only shorten nothing a holder relies on: a holder measures
//    its lease from its own request time, which is earlier.
//
// Threading: one thread, the executor's. The flush's RocksDB write blocks that thread (as
// PosixDisk's calls do); everything else is in memory. Callers' coroutines must end (or be
// destroyed) before the provider is destroyed; the destructor writes a pending batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/env/clock.h"
#include "runtime/env/executor.h"
#include "runtime/env/oneshot.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/provider.h"

namespace rocksdb {
class DB;
struct Options;
class WriteBatch;
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
  // Opens (or creates) the store and loads the index. `executor` (whose clock is the store
  // clock: only its mono_now() is read) runs the flushes and must outlive the provider.
  // Errors: kInvalidArgument (retained_versions 0, empty dir, a store format other than 1
  // or 2: the message names the one found and the ones this build reads), kIo (cannot
  // create (with parents) or lock the directory: the message names it and RocksDB's
  // reason), kCorrupt (RocksDB found corruption).
  // The RocksDB options open() uses (benchmarks compare raw RocksDB under the same ones).
  static rocksdb::Options db_options();

  [[nodiscard]] static Result<std::unique_ptr<RocksDbProvider>> open(RocksDbProviderOptions options,
                                                                     env::Executor& executor);
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
  // Moves the snapshot into the index: its state is copied once, into the WriteBatch.
  Task<Result<void>> write_snapshot(persistence::Snapshot&& snapshot, uint64_t expected_version) override;
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
  // The first value open() skipped as unreadable (kCorrupt; the message names the key and
  // what is wrong with its value), if any; corrupt_records in metrics() counts them all.
  [[nodiscard]] const std::optional<Error>& first_corrupt_record() const { return first_corrupt_; }

  struct PrivateTag {
    explicit PrivateTag() = default;
  };
  // Use open(); public only so that make_unique can reach it.
  RocksDbProvider(PrivateTag, RocksDbProviderOptions options, env::Executor& executor,
                  std::unique_ptr<rocksdb::DB> db);

  // Batches written (fsyncs, when sync is on) and the calls they acknowledged, for tests
  // and benchmarks: calls / batches is the group-commit factor.
  [[nodiscard]] uint64_t batches_written() const { return batches_written_; }
  [[nodiscard]] uint64_t calls_committed() const { return calls_committed_; }

 private:
  // The callers of the batch being gathered; its RocksDB operations are in ops_.
  struct Batch {
    size_t calls = 0;
    OneShot<Result<void>> durable;
  };

  // Encodes values for WriteBatch::Put as slices (defined in the .cc).
  class ValueWriter;

  // Reads the store format marker (writing it in a new store, raising 1 to 2), or refuses
  // a format this build does not read.
  Result<void> check_format();
  Result<void> load();
  // Decodes one stored value into the index; an error (kCorrupt) names the key.
  Result<void> load_value(const std::string& key, std::string_view value, int64_t now_ns, uint64_t& floor);
  // Adds changes_ (as MemoryState reported them) to the pending batch, opening one (and
  // posting its flush) when there is none.
  void stage();
  // Writes the pending batch (synced) and completes its callers.
  void flush();
  Result<void> write_floor(uint64_t floor);
  // `outcome` once everything it may depend on is durable (the pending batch, if any).
  template <typename T>
  static Task<Result<T>> when_durable(std::shared_ptr<Batch> batch, Result<T> outcome);

  // The synchronous bodies; the Task overrides call them when first resumed, with copies.
  Result<persistence::LeaseOutcome> acquire_now(const persistence::ActorKey& key, const std::string& holder,
                                                Duration duration, const persistence::Tags& metadata);
  Result<persistence::LeaseOutcome> renew_now(const persistence::ActorKey& key, const std::string& holder,
                                              uint64_t version, Duration duration);
  Result<void> release_now(const persistence::ActorKey& key, const std::string& holder, uint64_t version);
  Result<void> write_now(persistence::Snapshot snapshot, uint64_t expected_version);
  Result<uint64_t> sweep_now();

  RocksDbProviderOptions options_;
  env::Executor& executor_;
  const env::Clock& clock_;
  std::unique_ptr<rocksdb::DB> db_;
  persistence::MemoryState state_;
  std::optional<Error> failed_;  // set by a failed write: fail closed
  std::shared_ptr<Batch> pending_;
  // The operations of the pending batch. One WriteBatch for the provider's life: flush()
  // clears it after writing, which keeps its buffer, so a batch of the usual size costs no
  // allocation (one that grew past kKeptBatchBytes is replaced, to bound what stays held).
  std::unique_ptr<rocksdb::WriteBatch> ops_;
  // Scratch reused by every call (single-threaded, and no call re-enters another): the
  // changes one decision made, and the keys and values being staged.
  std::vector<persistence::StateChange> changes_;
  std::string key_scratch_;
  std::unique_ptr<ValueWriter> values_;
  // Posted flushes hold a weak reference: a flush that runs after the provider is gone
  // finds it expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint64_t batches_written_ = 0;
  uint64_t calls_committed_ = 0;
  uint64_t errors_ = 0;
  uint64_t corrupt_records_ = 0;
  std::optional<Error> first_corrupt_;
};

}  // namespace orbit::real
