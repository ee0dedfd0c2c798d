// LogProvider: a log-structured PersistenceProvider over env::Disk. It runs unchanged on the
// simulator's SimDisk (crashes, torn writes, bit rot, EIO, a full disk) and on a real disk.
//
// Layout. The store lives in `<dir>/`:
//   seg-0000000001.log, seg-0000000002.log, ...   append-only segments, replayed in number
//                                                  order; only the highest is appended to
//   compact.tmp                                    a compaction in progress (removed on open)
// A segment is a sequence of records:
//   0  u32 magic 0x4C42524F ("ORBL")   4  u8 format version (2; 1 is still read)
//   5  u8 type (1 = changes)           6  u16 reserved (0)     8  u32 payload length (<= 64 MiB)
//   12 u64 payload checksum: XXH3-64 of the payload
//   20 u32 header check: low 32 bits of XXH3-64 of bytes [0, 20), seeded with
//      (segment number << 40) ^ (the record's offset in its segment)
//   24 payload: a MessagePack array of changes, applied atomically (one record per call).
//      Version 2 changes are arrays of record_codec.h's typed records (no field names):
//      [1, <LeaseRecord>]                         set a lease record
//      [2, <Snapshot>, stored_at_ns: i64]         store a snapshot version (TTL base)
//      [3, <ActorKey>, version: u64]              drop a snapshot version
//      [4, floor: u64]                            raise every lease version to it
//      Version 1 records (the first format) carried the same changes as JSON objects
//      ({"lease": ...}, {"put": ..., "stored_at_ns": ...}, {"remove": ..., "version": ...},
//      {"floor": ...}, types.h's to_json forms); they are still replayed, so a store
//      written by version 1 opens unchanged. New records are always version 2, and a
//      compaction rewrites the whole store as version 2. A verified record of a version
//      above 2 (a newer build's) makes open() refuse the store, naming both versions, rather
//      than take it for damage and truncate it. (Builds before version 2 had no such check:
//      do not open a store with one after a newer build wrote to it.) log_format.h has the
//      details.
// Every change is an absolute assignment, so replaying a record twice, or a compacted copy
// after the original, gives the same state. Seeding the header check with the record's
// position means a record is valid only where it was written: a record-shaped byte string
// inside a snapshot's state can never be taken for a record.
//
// Durability. Each mutating call decides against the in-memory index (MemoryState, the
// same state machine as MemoryProvider), applies its changes there, queues one record, and
// returns only after that record is fsynced. One writer coroutine owns the files: it takes
// every record queued so far as a batch, appends it in one write, syncs once, and completes
// every caller of the batch (group commit; `group_commit_window` > 0 makes it wait that long
// before taking a batch, to gather more). A read is answered from the index once everything
// it could have seen is durable: it waits for the batch holding the newest queued record, so
// no caller ever observes state that a crash could still take back.
//
// Failures. A failed append or sync leaves the tail unknown and the index ahead of the disk,
// so the provider fails closed: every caller of that batch and of any later call gets the
// error (kNoSpace for a full disk, else kIo), health() is kUnhealthy, and the owner must open
// the store again (recovery decides from the disk what survived). A failed call is "maybe
// applied", as provider.h says.
//
// Recovery (open). Segments are read whole (twice when anything looks damaged, until two
// reads agree, so rot *on read* is not mistaken for rot at rest) and replayed in order:
//   - the tail of the last segment that a crash during an append explains (a short header,
//     zeros, a verified header whose payload runs past the end) is a torn write: truncated,
//     synced, not counted as corruption;
//   - damage with valid records after it (bit rot at rest) is skipped: after the damaged
//     record when its header verifies, else up to the next offset where a complete record
//     verifies. It counts in metrics().corrupt_records and makes health() kDegraded. Damage
//     that reaches the end of a segment (and any damage a torn append cannot explain at the
//     end of the last one, which is then truncated) counts the same way: the rest of that
//     segment is lost. Lost records may have been acknowledged; a damaged record is never
//     applied, so the store may lose data it was given but never returns bytes it was not;
//   - because a lost lease record could hide a version already issued, finding any
//     corruption raises a version floor above every version seen (to the next multiple of
//     2^32) and logs it before serving: no fencing token can be issued twice.
// Everything replayed is synced before serving. Snapshot bytes are served from the index,
// which holds only records that verified at append or at recovery (rot after open is caught
// by the next open and, for snapshots, by the reader's SHA-256 check).
//
// Rotation and compaction. A batch goes to a new segment once the current one holds
// `segment_bytes`. compact() (or the writer itself, when garbage outgrows the live data by
// `auto_compact_garbage_percent`) writes the whole index into compact.tmp, syncs it, renames
// it to the next segment number, then removes the older segments in ascending order. Every
// crash point is safe: before the rename the old segments are whole (compact.tmp is
// deleted); after it, replaying any suffix of the old segments and then the compacted one
// gives the compacted state (each item's last change is in the suffix or the copy). Records
// queued before a compaction starts are folded into the copy (the index already holds them),
// so their callers complete when the rename is durable; records queued while it runs are
// appended after it.
//
// Not covered: the index holds every retained snapshot in memory; lease expiry instants
// (expires_at_ns) are stored as store-clock readings and survive a reopen unchanged, which
// is right for the simulator's per-node clocks and for a restarted process on the same boot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/env/bytes.h"
#include "runtime/env/clock.h"
#include "runtime/env/disk.h"
#include "runtime/env/executor.h"
#include "runtime/env/oneshot.h"
#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/log_format.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/provider.h"

namespace orbit::persistence {

struct LogProviderConfig {
  // Directory (path prefix on the disk) holding the segments. Must not be empty.
  std::string dir = "persistence";
  // A batch starts a new segment once the current one holds at least this many bytes.
  // At least 1 KiB.
  uint64_t segment_bytes = 4ull << 20;
  // Snapshot versions kept per key (at least 1).
  size_t retained_versions = 3;
  // How long the writer waits after the first queued record before taking a batch (group
  // commit). Zero: take whatever is queued at once; concurrent callers still share a sync
  // when they queue while the previous one is in flight. Not negative.
  Duration group_commit_window{0};
  // Compact automatically when the segments exceed segment_bytes in total and the garbage
  // (bytes no longer live) exceeds this percentage of the live bytes. 0 disables.
  uint32_t auto_compact_garbage_percent = 200;
  // Bound on the bytes queued for the next batch: past it, writes fail with kUnavailable
  // (and change nothing) until the writer catches up. At least 1 KiB.
  uint64_t max_pending_bytes = 64ull << 20;

  // Ok, or kInvalidArgument naming the field.
  [[nodiscard]] Result<void> validate() const;
};

// Counters and sizes specific to the log (ProviderMetrics has the generic ones).
struct LogStats {
  uint64_t segments = 0;               // segment files now
  uint64_t active_segment = 0;         // the number of the segment appended to
  uint64_t total_bytes = 0;            // bytes in all segments
  uint64_t live_bytes = 0;             // estimate of the bytes a compaction would keep
  uint64_t records_appended = 0;
  uint64_t batches = 0;                // appends (each followed by one sync)
  uint64_t syncs = 0;
  uint64_t rotations = 0;
  uint64_t compactions = 0;
  uint64_t cleanup_failures = 0;       // old segments a compaction could not remove (yet)
  uint64_t records_replayed = 0;       // at open
  uint64_t torn_bytes_truncated = 0;   // at open
  uint64_t recovery_rereads = 0;       // extra whole-segment reads at open
  uint64_t version_floor = 0;          // the lease version floor (0 unless corruption was found)
};

class LogProvider final : public PersistenceProvider {
 public:
  // Opens (creating if needed) the store in config.dir and recovers it. `disk`, `store_clock`
  // and `executor` must outlive the provider; the writer coroutine runs on `executor`, and
  // lease expiry and snapshot TTL are judged on store_clock.mono_now(). Errors:
  // kInvalidArgument (config, or records of a newer format version than this build reads:
  // nothing is changed on disk), kIo / kNoSpace (the disk failed during recovery: retry).
  // kCorrupt is never returned (damage is skipped, counted and reported by health()).
  static Task<Result<std::unique_ptr<LogProvider>>> open(env::Disk& disk, const env::Clock& store_clock,
                                                         env::Executor& executor, LogProviderConfig config);

  // Public for make_unique only: open() is the way in.
  struct ConstructionKey {
    explicit ConstructionKey() = default;
  };
  LogProvider(ConstructionKey, env::Disk& disk, const env::Clock& store_clock, env::Executor& executor,
              LogProviderConfig config);

  // Destroys the writer (an in-flight batch is abandoned: its callers must be gone already,
  // as with any object whose calls are still suspended in it).
  ~LogProvider() override;
  LogProvider(const LogProvider&) = delete;
  LogProvider& operator=(const LogProvider&) = delete;

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
  ProviderMetrics metrics() const override;
  // kUnhealthy after a failed write (until reopened), else kDegraded when recovery found
  // corrupt records, else kHealthy.
  Health health() const override;

  // Rewrites the live state into a fresh segment and removes the older ones (see the top of
  // this file). Ok when the compacted segment is durable; old segments that could not be
  // removed are retried by the next compaction. Errors as for writes.
  Task<Result<void>> compact();

  LogStats log_stats() const;
  // The index (for tests and inspection).
  const MemoryState& state() const { return state_; }

 private:
  // Records queued for one append + sync, and the callers waiting for it.
  struct Batch {
    std::vector<Bytes> records;  // unsealed (logfmt::RecordWriter), in decision order
    uint64_t bytes = 0;
    OneShot<Result<void>> done;
  };
  struct Segment {
    uint64_t number = 0;
    std::string path;
    uint64_t bytes = 0;
  };

  // Recovery.
  Task<Result<void>> recover();
  Task<Result<Bytes>> read_whole(env::File& file);
  void replay(logfmt::ScannedRecord& record);  // moves the snapshots out

  // The write path.
  std::optional<Error> refuse_write(uint64_t payload_bound) const;
  void queue(const std::vector<StateChange>& changes);
  Task<Result<void>> durable_barrier();
  void kick_writer();
  Task<void> writer_loop();
  Task<Result<void>> write_batch(Batch& batch);
  Task<Result<void>> rotate();
  // Writes the index into a new segment. Ok: the compacted segment is durable (and with it
  // every record already applied to the index). An error with `renamed` false: the old
  // segments are intact and queued records still have to be appended. An error with
  // `renamed` true: what is on disk is uncertain (the provider fails).
  Task<Result<void>> compact_now(bool& renamed);
  Bytes encode_state(uint64_t segment) const;
  bool auto_compaction_due() const;
  void fail(const Error& error);
  Error failed_error() const;
  template <typename T>
  Result<T> count(Result<T> result);

  // Accounting of live bytes per item (an estimate; decides auto-compaction only).
  void account(const StateChange& change, uint64_t bytes);

  // The coroutines behind the overrides (arguments by value: see MemoryProvider).
  Task<Result<LeaseOutcome>> do_acquire(ActorKey key, std::string holder, Duration duration, Tags metadata);
  Task<Result<LeaseOutcome>> do_renew(ActorKey key, std::string holder, uint64_t version, Duration duration);
  Task<Result<void>> do_release(ActorKey key, std::string holder, uint64_t version);
  Task<Result<LeaseRecord>> do_read_lease(ActorKey key);
  Task<Result<std::vector<LeaseRecord>>> do_list_leases(std::optional<std::string> kind);
  Task<Result<void>> do_write(Snapshot snapshot, uint64_t expected_version);
  Task<Result<std::vector<Snapshot>>> do_read_snapshots(ActorKey key);
  Task<Result<std::vector<ActorKey>>> do_list_keys(std::optional<std::string> kind);
  Task<Result<uint64_t>> do_sweep();
  Task<Result<void>> do_compact();

  env::Disk& disk_;
  const env::Clock& clock_;
  env::Executor& executor_;
  LogProviderConfig config_;
  MemoryState state_;

  std::vector<Segment> segments_;          // ascending; the last is the active one
  std::unique_ptr<env::File> active_;      // the last segment, open for appends
  std::shared_ptr<Batch> open_batch_;      // collecting records
  std::shared_ptr<Batch> inflight_batch_;  // being written (null when none)
  std::shared_ptr<OneShot<Result<void>>> compaction_waiters_;  // compact() callers
  bool writer_running_ = false;
  std::optional<Error> failure_;           // set by the first failed write; cleared by reopening

  std::map<ActorKey, uint64_t> lease_bytes_;
  std::map<std::pair<ActorKey, uint64_t>, uint64_t> snapshot_bytes_;
  uint64_t floor_bytes_ = 0;
  uint64_t live_bytes_ = 0;
  // Auto-compaction waits until the segments reach this size: a segment's worth of appends
  // after the last attempt, so a compaction that cannot shrink the store is not repeated.
  uint64_t auto_compact_after_bytes_ = 0;

  uint64_t corrupt_records_ = 0;
  uint64_t errors_ = 0;
  uint64_t bytes_appended_ = 0;
  LogStats stats_;

  // Last member: destroyed first, so the writer dies before the state it uses.
  TaskScope scope_;
};

}  // namespace orbit::persistence
