#include "runtime/persistence/log_provider.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "runtime/env/planted_bugs.h"
#include "runtime/env/sleep.h"

namespace orbit::persistence {
namespace {

using logfmt::kHeaderBytes;
using logfmt::kMaxPayloadBytes;

constexpr const char* kCompactionTemp = "compact.tmp";
// Whole-segment reads at open before giving up on getting two that agree.
constexpr int kMaxSegmentReads = 4;
// A compacted segment groups changes into records of about this size.
constexpr uint64_t kCompactionRecordBytes = 1u << 20;
constexpr size_t kCompactionRecordChanges = 1024;
// Room left in a record for the retention removals that accompany a put.
constexpr uint64_t kRecordSlackBytes = 4096;
// The most a version-floor change takes: [4, u64].
constexpr uint64_t kFloorChangeBound = 16;

bool io_class(ErrorCode code) {
  return code == ErrorCode::kIo || code == ErrorCode::kNoSpace || code == ErrorCode::kUnavailable ||
         code == ErrorCode::kCorrupt;
}

uint64_t tags_bound(const Tags& tags) {
  uint64_t bound = 0;
  for (const auto& [k, v] : tags) bound += k.size() + v.size() + 18;
  return bound;
}

uint64_t lease_payload_bound(const ActorKey& key, const std::string& holder, const Tags& metadata) {
  return 512 + key.kind.size() + key.id.size() + holder.size() + tags_bound(metadata);
}

}  // namespace

Result<void> LogProviderConfig::validate() const {
  if (dir.empty()) return make_error(ErrorCode::kInvalidArgument, "log.dir must not be empty");
  if (segment_bytes < 1024) {
    return make_error(ErrorCode::kInvalidArgument,
                      "log.segment_bytes must be at least 1024, got " + std::to_string(segment_bytes));
  }
  if (retained_versions == 0) {
    return make_error(ErrorCode::kInvalidArgument, "log.retained_versions must be at least 1, got 0");
  }
  if (group_commit_window < Duration::zero()) {
    return make_error(ErrorCode::kInvalidArgument, "log.group_commit_window must not be negative, got " +
                                                       std::to_string(group_commit_window.count()) + "ns");
  }
  if (max_pending_bytes < 1024) {
    return make_error(ErrorCode::kInvalidArgument,
                      "log.max_pending_bytes must be at least 1024, got " + std::to_string(max_pending_bytes));
  }
  return {};
}

LogProvider::LogProvider(ConstructionKey, env::Disk& disk, const env::Clock& store_clock, env::Executor& executor,
                         LogProviderConfig config)
    : disk_(disk),
      clock_(store_clock),
      executor_(executor),
      config_(std::move(config)),
      state_(config_.retained_versions),
      open_batch_(std::make_shared<Batch>()) {
  while (config_.dir.size() > 1 && config_.dir.back() == '/') config_.dir.pop_back();
}

LogProvider::~LogProvider() { scope_.cancel_all(); }

Task<Result<std::unique_ptr<LogProvider>>> LogProvider::open(env::Disk& disk, const env::Clock& store_clock,
                                                             env::Executor& executor, LogProviderConfig config) {
  if (auto valid = config.validate(); !valid.ok()) co_return valid.error();
  auto provider = std::make_unique<LogProvider>(ConstructionKey{}, disk, store_clock, executor, std::move(config));
  if (auto recovered = co_await provider->recover(); !recovered.ok()) co_return recovered.error();
  co_return std::move(provider);
}

// --- Recovery.

Task<Result<Bytes>> LogProvider::read_whole(env::File& file) {
  auto size = file.size();
  if (!size.ok()) co_return size.error();
  auto data = co_await file.read(0, *size);
  if (!data.ok()) co_return data.error();
  if (data->size() != *size) {
    co_return make_error(ErrorCode::kIo, "short read of " + file.path() + ": " + std::to_string(data->size()) +
                                             " of " + std::to_string(*size) + " bytes");
  }
  co_return std::move(*data);
}

void LogProvider::replay(logfmt::ScannedRecord& record) {
  const uint64_t share = record.changes.empty() ? 0 : record.bytes / record.changes.size();
  for (logfmt::LoggedChange& change : record.changes) {
    switch (change.kind) {
      case StateChange::Kind::kLeaseSet:
        state_.apply_lease(change.lease);
        account(StateChange{change.kind, change.lease.key, 0}, share);
        break;
      case StateChange::Kind::kSnapshotPut: {
        const StateChange done{change.kind, change.stored.snapshot.key, change.stored.snapshot.version};
        state_.apply_snapshot_put(std::move(change.stored));
        account(done, share);
        break;
      }
      case StateChange::Kind::kSnapshotRemove:
        state_.apply_snapshot_remove(change.key, change.version);
        account(StateChange{change.kind, change.key, change.version}, 0);
        break;
      case StateChange::Kind::kVersionFloor:
        state_.apply_version_floor(change.version);
        account(StateChange{change.kind, {}, change.version}, share);
        break;
    }
  }
  ++stats_.records_replayed;
}

Task<Result<void>> LogProvider::recover() {
  const std::string prefix = config_.dir + "/";
  auto listed = co_await disk_.list(prefix);
  if (!listed.ok()) co_return listed.error();
  std::vector<Segment> found;
  for (const std::string& path : *listed) {
    const std::string name = path.substr(prefix.size());
    if (name == kCompactionTemp) {
      // An unfinished compaction: the segments it was copying are all still there.
      auto removed = co_await disk_.remove(path);
      if (!removed.ok() && removed.code() != ErrorCode::kNotFound) co_return removed.error();
      continue;
    }
    uint64_t number = 0;
    if (name.find('/') == std::string::npos && logfmt::parse_segment_name(name, number)) {
      found.push_back(Segment{number, path, 0});
    }
  }
  std::sort(found.begin(), found.end(), [](const Segment& a, const Segment& b) { return a.number < b.number; });

  for (size_t i = 0; i < found.size(); ++i) {
    const bool last = i + 1 == found.size();
    auto file = co_await disk_.open(found[i].path, env::OpenMode::kOpenExisting);
    if (!file.ok()) co_return file.error();
    auto data = co_await read_whole(**file);
    if (!data.ok()) co_return data.error();
    logfmt::SegmentScan scan = logfmt::scan_segment(*data, found[i].number);
    // Damage must be at rest, not in one read's copy (rot on read), before it may cost
    // data: read again until two reads agree, or a read comes back clean.
    for (int reads = 1; !scan.clean(); ++reads) {
      if (reads >= kMaxSegmentReads) {
        co_return make_error(ErrorCode::kIo, "reads of " + found[i].path + " disagree " +
                                                 std::to_string(kMaxSegmentReads) + " times in a row");
      }
      auto again = co_await read_whole(**file);
      if (!again.ok()) co_return again.error();
      ++stats_.recovery_rereads;
      if (*again == *data) break;
      data = std::move(again);
      scan = logfmt::scan_segment(*data, found[i].number);
    }
    if (scan.newer_version != 0) {
      // Written by a newer build: refuse before anything is truncated or rewritten.
      co_return make_error(ErrorCode::kInvalidArgument,
                           found[i].path + " holds a record of log format version " +
                               std::to_string(scan.newer_version) + " at byte " + std::to_string(scan.newer_at) +
                               "; this build reads versions " + std::to_string(logfmt::kJsonFormatVersion) + " to " +
                               std::to_string(logfmt::kFormatVersion) + " (nothing was changed)");
    }
    for (logfmt::ScannedRecord& record : scan.records) replay(record);
    corrupt_records_ += scan.corrupt_regions;
    uint64_t size = data->size();
    if (scan.tail != logfmt::TailState::kClean) {
      // Only the last segment was being appended to; an earlier one that does not end
      // cleanly lost records at rest, and so did the last one when a torn append cannot
      // explain its tail.
      if (!last || scan.tail == logfmt::TailState::kSuspicious) ++corrupt_records_;
      if (last) {
        // Appends resume at the end of the valid prefix.
        auto truncated = co_await (*file)->truncate(scan.valid_end);
        if (!truncated.ok()) co_return truncated.error();
        stats_.torn_bytes_truncated += size - scan.valid_end;
        size = scan.valid_end;
      }
    }
    // What was replayed may have been only in the page cache (a write whose sync failed,
    // then a reopen without a crash): make it durable before serving it.
    auto synced = co_await (*file)->sync();
    if (!synced.ok()) co_return synced.error();
    segments_.push_back(Segment{found[i].number, found[i].path, size});
    stats_.total_bytes += size;
    if (last) active_ = std::move(*file);
  }

  if (segments_.empty()) {
    const std::string path = prefix + logfmt::segment_name(1);
    auto file = co_await disk_.open(path, env::OpenMode::kCreateExclusive);
    if (!file.ok()) co_return file.error();
    active_ = std::move(*file);
    segments_.push_back(Segment{1, path, 0});
  }

  if (corrupt_records_ > 0) {
    // A lost record may have been a lease grant: put every future version above anything
    // that could have been issued, and make that durable before serving.
    const uint64_t floor = ((state_.max_issued_version() >> 32) + 1) << 32;
    state_.apply_version_floor(floor);
    std::vector<StateChange> changes{StateChange{StateChange::Kind::kVersionFloor, {}, floor}};
    queue(changes);
    std::shared_ptr<Batch> batch = std::exchange(open_batch_, std::make_shared<Batch>());
    auto written = co_await write_batch(*batch);
    if (!written.ok()) co_return written.error();
  }
  co_return Result<void>();
}

// --- The write path.

std::optional<Error> LogProvider::refuse_write(uint64_t payload_bound) const {
  if (failure_) return failed_error();
  if (open_batch_->bytes >= config_.max_pending_bytes) {
    return make_error(ErrorCode::kUnavailable, "log write queue full (" + std::to_string(open_batch_->bytes) +
                                                   " bytes waiting for the disk)");
  }
  if (payload_bound + kRecordSlackBytes > kMaxPayloadBytes) {
    return make_error(ErrorCode::kInvalidArgument, "record too large for the log: about " +
                                                       std::to_string(payload_bound) + " bytes, limit " +
                                                       std::to_string(kMaxPayloadBytes - kRecordSlackBytes));
  }
  return std::nullopt;
}

void LogProvider::queue(const std::vector<StateChange>& changes) {
  if (changes.empty()) return;
  logfmt::RecordWriter writer;
  // Each change is charged its own bytes plus an equal share of the record's framing.
  std::vector<uint64_t> change_bytes;
  change_bytes.reserve(changes.size());
  const uint64_t framing = writer.bytes();
  for (const StateChange& change : changes) {
    const size_t before = writer.bytes();
    switch (change.kind) {
      case StateChange::Kind::kLeaseSet: {
        const LeaseRecord* lease = state_.find_lease(change.key);
        assert(lease != nullptr);
        writer.lease(*lease);
        break;
      }
      case StateChange::Kind::kSnapshotPut: {
        // A decision's put is never removed by the same decision (retention drops the
        // oldest, and at least one version is kept), so it is in the index now.
        const StoredSnapshot* stored = state_.find_snapshot(change.key, change.version);
        assert(stored != nullptr);
        writer.put(*stored);
        break;
      }
      case StateChange::Kind::kSnapshotRemove:
        writer.remove(change.key, change.version);
        break;
      case StateChange::Kind::kVersionFloor:
        writer.floor(change.version);
        break;
    }
    change_bytes.push_back(writer.bytes() - before);
  }
  Bytes record = writer.take();
  assert(record.size() - kHeaderBytes <= kMaxPayloadBytes);
  const uint64_t framing_share = framing / changes.size();
  for (size_t i = 0; i < changes.size(); ++i) account(changes[i], change_bytes[i] + framing_share);
  open_batch_->bytes += record.size();
  open_batch_->records.push_back(std::move(record));
}

void LogProvider::account(const StateChange& change, uint64_t bytes) {
  auto replace = [this](uint64_t& slot, uint64_t value) {
    live_bytes_ -= std::min(live_bytes_, slot);
    slot = value;
    live_bytes_ += value;
  };
  switch (change.kind) {
    case StateChange::Kind::kLeaseSet:
      replace(lease_bytes_[change.key], bytes);
      break;
    case StateChange::Kind::kSnapshotPut:
      replace(snapshot_bytes_[{change.key, change.version}], bytes);
      break;
    case StateChange::Kind::kSnapshotRemove: {
      auto it = snapshot_bytes_.find({change.key, change.version});
      if (it != snapshot_bytes_.end()) {
        live_bytes_ -= std::min(live_bytes_, it->second);
        snapshot_bytes_.erase(it);
      }
      break;
    }
    case StateChange::Kind::kVersionFloor:
      replace(floor_bytes_, bytes);
      break;
  }
}

Task<Result<void>> LogProvider::durable_barrier() {
  // The newest queued record is in the open batch, else in the one being written; with
  // neither (a compaction that folded nothing counts as neither), everything is durable.
  std::shared_ptr<Batch> batch;
  if (!open_batch_->records.empty()) {
    batch = open_batch_;
  } else if (inflight_batch_ && !inflight_batch_->records.empty()) {
    batch = inflight_batch_;
  } else {
    co_return Result<void>();
  }
  kick_writer();
  co_return co_await batch->done.wait();
}

void LogProvider::kick_writer() {
  if (writer_running_) return;
  writer_running_ = true;
  scope_.spawn(writer_loop());
}

bool LogProvider::auto_compaction_due() const {
  if (config_.auto_compact_garbage_percent == 0 || failure_) return false;
  if (stats_.total_bytes <= config_.segment_bytes || stats_.total_bytes < auto_compact_after_bytes_) return false;
  const uint64_t garbage = stats_.total_bytes > live_bytes_ ? stats_.total_bytes - live_bytes_ : 0;
  return garbage / 100 > live_bytes_ / config_.auto_compact_garbage_percent;
}

Task<void> LogProvider::writer_loop() {
  // One pass per batch. Each pass takes everything queued so far, so the loop ends once the
  // callers stop queueing; it never waits for work (a new call starts a new writer).
  for (;;) {
    if (config_.group_commit_window > Duration::zero() && !open_batch_->records.empty()) {
      co_await sleep(executor_, config_.group_commit_window);
    }
    const bool compaction = compaction_waiters_ != nullptr || auto_compaction_due();
    if (open_batch_->records.empty() && !compaction) break;
    std::shared_ptr<Batch> batch = std::exchange(open_batch_, std::make_shared<Batch>());
    inflight_batch_ = batch;
    std::shared_ptr<OneShot<Result<void>>> compacted = std::exchange(compaction_waiters_, nullptr);
    Result<void> written;
    Result<void> compaction_result;
    if (failure_) {
      written = compaction_result = failed_error();
    } else if (compaction) {
      bool renamed = false;
      compaction_result = co_await compact_now(renamed);
      if (compaction_result.ok()) {
        written = Result<void>();  // the compacted segment holds the batch's changes too
      } else if (renamed) {
        written = compaction_result;
      } else {
        written = co_await write_batch(*batch);
      }
    } else {
      written = co_await write_batch(*batch);
    }
    if (!written.ok() && !failure_) fail(written.error());
    inflight_batch_.reset();
    // Waiters resume inline and may queue more: the next pass takes it.
    if (compacted) compacted->set(compaction_result);
    batch->done.set(written);
  }
  writer_running_ = false;
}

Task<Result<void>> LogProvider::write_batch(Batch& batch) {
  if (batch.records.empty()) co_return Result<void>();
  if (segments_.back().bytes >= config_.segment_bytes) {
    if (auto rotated = co_await rotate(); !rotated.ok()) co_return rotated.error();
  }
  const uint64_t segment = segments_.back().number;
  const uint64_t offset = segments_.back().bytes;
  // Records were built with room for their headers: one record (the common case of a lone
  // caller) is sealed and appended as it is, several are concatenated.
  Bytes buffer;
  if (batch.records.size() == 1) {
    logfmt::seal_record(batch.records.front(), segment, offset);
    buffer = std::move(batch.records.front());
  } else {
    buffer.reserve(batch.bytes);
    for (Bytes& record : batch.records) {
      logfmt::seal_record(record, segment, offset + buffer.size());
      buffer.insert(buffer.end(), record.begin(), record.end());
    }
  }
  const uint64_t length = buffer.size();
  auto appended = co_await active_->append(std::move(buffer));
  if (!appended.ok()) co_return appended.error();
  if (*appended != offset) {
    // Someone else wrote to the segment, or the size went wrong: the headers are sealed
    // with the wrong offsets, and nothing after this can be trusted.
    co_return make_error(ErrorCode::kIo, "log append to " + segments_.back().path + " landed at " +
                                             std::to_string(*appended) + ", expected " + std::to_string(offset));
  }
  segments_.back().bytes += length;
  stats_.total_bytes += length;
  bytes_appended_ += length;
  auto synced = co_await active_->sync();
  if (!synced.ok()) co_return synced.error();
  ++stats_.batches;
  ++stats_.syncs;
  stats_.records_appended += batch.records.size();
  co_return Result<void>();
}

Task<Result<void>> LogProvider::rotate() {
  const uint64_t number = segments_.back().number + 1;
  const std::string path = config_.dir + "/" + logfmt::segment_name(number);
  auto file = co_await disk_.open(path, env::OpenMode::kCreateExclusive);
  if (!file.ok()) co_return file.error();
  // The previous segment is complete: every batch ends with a sync.
  active_ = std::move(*file);
  segments_.push_back(Segment{number, path, 0});
  ++stats_.rotations;
  co_return Result<void>();
}

Bytes LogProvider::encode_state(uint64_t segment) const {
  Bytes image;
  logfmt::RecordWriter writer;
  auto flush = [&] {
    if (writer.changes() == 0) return;
    Bytes record = writer.take();
    logfmt::seal_record(record, segment, image.size());
    if (image.empty()) {
      image = std::move(record);
    } else {
      image.insert(image.end(), record.begin(), record.end());
    }
  };
  // Starts a new record before a change of at most `bound` bytes would take this one past
  // its target size (a record never exceeds the payload limit: every change fits alone).
  auto make_room = [&](uint64_t bound) {
    if (writer.changes() > 0 &&
        (writer.bytes() + bound > kCompactionRecordBytes || writer.changes() >= kCompactionRecordChanges)) {
      flush();
    }
  };
  // The floor first: replaying it raises only leases that come before it.
  if (state_.version_floor() > 0) {
    make_room(kFloorChangeBound);
    writer.floor(state_.version_floor());
  }
  for (const auto& [key, lease] : state_.leases()) {
    make_room(lease_payload_bound(lease.key, lease.holder, lease.metadata));
    writer.lease(lease);
  }
  for (const auto& [key, versions] : state_.snapshots()) {
    for (const auto& [version, stored] : versions) {
      make_room(logfmt::put_payload_bound(stored.snapshot));
      writer.put(stored);
    }
  }
  flush();
  return image;
}

Task<Result<void>> LogProvider::compact_now(bool& renamed) {
  renamed = false;
  const uint64_t number = segments_.back().number + 1;
  const std::string temp = config_.dir + "/" + kCompactionTemp;
  const std::string path = config_.dir + "/" + logfmt::segment_name(number);
  // The copy is taken now, before the first suspension: calls that run while it is being
  // written change the index and queue their records for after it.
  Bytes image = encode_state(number);
  const uint64_t image_bytes = image.size();
  auto_compact_after_bytes_ = stats_.total_bytes + config_.segment_bytes;

  std::unique_ptr<env::File> file;
  Result<void> written = co_await [](env::Disk& disk, std::string temp_path, Bytes contents,
                                     std::unique_ptr<env::File>& out) -> Task<Result<void>> {
    auto opened = co_await disk.open(temp_path, env::OpenMode::kCreateIfMissing);
    if (!opened.ok()) co_return opened.error();
    out = std::move(*opened);
    if (auto r = co_await out->truncate(0); !r.ok()) co_return r;  // a leftover from a crash
    if (!contents.empty()) {
      auto appended = co_await out->append(std::move(contents));
      if (!appended.ok()) co_return appended.error();
    }
    co_return co_await out->sync();
  }(disk_, temp, std::move(image), file);
  if (!written.ok()) {
    file.reset();
    // Best effort: recovery removes it anyway.
    (void)co_await disk_.remove(temp);
    co_return make_error(written.code(), "compaction: writing " + temp + ": " + written.error().message);
  }
  renamed = true;  // from here on, the rename may have happened even if it reports an error
  auto moved = co_await disk_.rename(temp, path);
  if (!moved.ok()) {
    co_return make_error(moved.code(), "compaction: renaming " + temp + ": " + moved.error().message);
  }
  // The compacted segment is durable and replaces everything before it.
  std::vector<Segment> old = std::move(segments_);
  segments_.clear();
  active_ = std::move(file);  // the handle follows the rename
  ++stats_.compactions;
  // Remove in ascending order: any suffix of the old segments, replayed before the
  // compacted one, still gives the compacted state.
  size_t kept_from = old.size();
  for (size_t i = 0; i < old.size(); ++i) {
    auto removed = co_await disk_.remove(old[i].path);
    if (!removed.ok() && removed.code() != ErrorCode::kNotFound) {
      ++stats_.cleanup_failures;
      kept_from = i;
      break;
    }
  }
  stats_.total_bytes = image_bytes;
  for (size_t i = kept_from; i < old.size(); ++i) {
    segments_.push_back(old[i]);
    stats_.total_bytes += old[i].bytes;
  }
  segments_.push_back(Segment{number, path, image_bytes});
  auto_compact_after_bytes_ = stats_.total_bytes + config_.segment_bytes;
  co_return Result<void>();
}

void LogProvider::fail(const Error& error) {
  if (failure_) return;
  failure_ = make_error(error.code, error.message);
}

Error LogProvider::failed_error() const {
  assert(failure_.has_value());
  const ErrorCode code = failure_->code == ErrorCode::kNoSpace ? ErrorCode::kNoSpace : ErrorCode::kIo;
  return make_error(code, "log provider failed (reopen to recover): " + failure_->message);
}

template <typename T>
Result<T> LogProvider::count(Result<T> result) {
  if (!result.ok() && io_class(result.code())) ++errors_;
  return result;
}

ProviderMetrics LogProvider::metrics() const {
  ProviderMetrics m = state_.metrics();
  m.bytes_written = bytes_appended_;
  m.errors = errors_;
  m.corrupt_records = corrupt_records_;
  return m;
}

Health LogProvider::health() const {
  if (failure_) return Health{HealthState::kUnhealthy, "log write failed: " + failure_->message + "; reopen to recover"};
  if (corrupt_records_ > 0) {
    return Health{HealthState::kDegraded, "recovery found " + std::to_string(corrupt_records_) +
                                              " corrupt records; lease versions raised to " +
                                              std::to_string(state_.version_floor())};
  }
  return Health{};
}

LogStats LogProvider::log_stats() const {
  LogStats s = stats_;
  s.segments = segments_.size();
  s.active_segment = segments_.empty() ? 0 : segments_.back().number;
  s.live_bytes = live_bytes_;
  s.version_floor = state_.version_floor();
  return s;
}

// --- The calls.

Task<Result<LeaseOutcome>> LogProvider::acquire_lease(const ActorKey& key, const std::string& holder,
                                                      Duration duration, const Tags& metadata) {
  return do_acquire(key, holder, duration, metadata);
}
Task<Result<LeaseOutcome>> LogProvider::renew_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                                    Duration duration) {
  return do_renew(key, holder, version, duration);
}
Task<Result<void>> LogProvider::release_lease(const ActorKey& key, const std::string& holder, uint64_t version) {
  return do_release(key, holder, version);
}
Task<Result<LeaseRecord>> LogProvider::read_lease(const ActorKey& key) { return do_read_lease(key); }
Task<Result<std::vector<LeaseRecord>>> LogProvider::list_leases(std::optional<std::string> kind) {
  return do_list_leases(std::move(kind));
}
Task<Result<void>> LogProvider::write_snapshot(const Snapshot& snapshot, uint64_t expected_version) {
  return do_write(snapshot, expected_version);
}
Task<Result<void>> LogProvider::write_snapshot(Snapshot&& snapshot, uint64_t expected_version) {
  return do_write(std::move(snapshot), expected_version);
}
Task<Result<std::vector<Snapshot>>> LogProvider::read_snapshots(const ActorKey& key) { return do_read_snapshots(key); }
Task<Result<std::vector<ActorKey>>> LogProvider::list_snapshot_keys(std::optional<std::string> kind) {
  return do_list_keys(std::move(kind));
}
Task<Result<uint64_t>> LogProvider::sweep_expired() { return do_sweep(); }
Task<Result<void>> LogProvider::compact() { return do_compact(); }

// Every call decides before its first suspension (so concurrent calls are decided in the
// order they start, against an index that already holds every earlier decision), then
// waits until everything it could have observed is durable.

Task<Result<LeaseOutcome>> LogProvider::do_acquire(ActorKey key, std::string holder, Duration duration,
                                                   Tags metadata) {
  if (auto refused = refuse_write(lease_payload_bound(key, holder, metadata))) {
    co_return count(Result<LeaseOutcome>(*refused));
  }
  std::vector<StateChange> changes;
  Result<LeaseOutcome> outcome = state_.acquire_lease(key, holder, duration, metadata, clock_.mono_now(), &changes);
  queue(changes);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Result<LeaseOutcome>(durable.error()));
  co_return outcome;
}

Task<Result<LeaseOutcome>> LogProvider::do_renew(ActorKey key, std::string holder, uint64_t version,
                                                 Duration duration) {
  const LeaseRecord* current = state_.find_lease(key);
  const uint64_t bound = lease_payload_bound(key, holder, current != nullptr ? current->metadata : Tags{});
  if (auto refused = refuse_write(bound)) co_return count(Result<LeaseOutcome>(*refused));
  std::vector<StateChange> changes;
  Result<LeaseOutcome> outcome = state_.renew_lease(key, holder, version, duration, clock_.mono_now(), &changes);
  queue(changes);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Result<LeaseOutcome>(durable.error()));
  co_return outcome;
}

Task<Result<void>> LogProvider::do_release(ActorKey key, std::string holder, uint64_t version) {
  if (auto refused = refuse_write(lease_payload_bound(key, holder, {}))) co_return count(Result<void>(*refused));
  std::vector<StateChange> changes;
  Result<void> outcome = state_.release_lease(key, holder, version, &changes);
  queue(changes);
  if (env::planted(env::bug_sites::kLogAcksLeaseBeforeFsync)) co_return outcome;
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(durable);
  co_return outcome;
}

Task<Result<LeaseRecord>> LogProvider::do_read_lease(ActorKey key) {
  if (failure_) co_return count(Result<LeaseRecord>(failed_error()));
  Result<LeaseRecord> lease = state_.read_lease(key);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Result<LeaseRecord>(durable.error()));
  co_return lease;
}

Task<Result<std::vector<LeaseRecord>>> LogProvider::do_list_leases(std::optional<std::string> kind) {
  using Out = Result<std::vector<LeaseRecord>>;
  if (failure_) co_return count(Out(failed_error()));
  std::vector<LeaseRecord> leases = state_.list_leases(kind);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Out(durable.error()));
  co_return leases;
}

Task<Result<void>> LogProvider::do_write(Snapshot snapshot, uint64_t expected_version) {
  if (auto refused = refuse_write(logfmt::put_payload_bound(snapshot))) co_return count(Result<void>(*refused));
  std::vector<StateChange> changes;
  // The index keeps the snapshot (moved in); the record is encoded from the index's copy.
  Result<void> outcome = state_.write_snapshot(std::move(snapshot), expected_version, clock_.mono_now(), &changes);
  queue(changes);
  if (env::planted(env::bug_sites::kLogAcksSnapshotBeforeFsync)) co_return outcome;
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(durable);
  co_return outcome;
}

Task<Result<std::vector<Snapshot>>> LogProvider::do_read_snapshots(ActorKey key) {
  using Out = Result<std::vector<Snapshot>>;
  if (failure_) co_return count(Out(failed_error()));
  std::vector<Snapshot> snapshots = state_.read_snapshots(key);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Out(durable.error()));
  co_return snapshots;
}

Task<Result<std::vector<ActorKey>>> LogProvider::do_list_keys(std::optional<std::string> kind) {
  using Out = Result<std::vector<ActorKey>>;
  if (failure_) co_return count(Out(failed_error()));
  std::vector<ActorKey> keys = state_.list_snapshot_keys(kind);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Out(durable.error()));
  co_return keys;
}

Task<Result<uint64_t>> LogProvider::do_sweep() {
  if (auto refused = refuse_write(0)) co_return count(Result<uint64_t>(*refused));
  std::vector<StateChange> changes;
  const uint64_t removed = state_.sweep_expired(clock_.mono_now(), &changes);
  queue(changes);
  if (auto durable = co_await durable_barrier(); !durable.ok()) co_return count(Result<uint64_t>(durable.error()));
  co_return removed;
}

Task<Result<void>> LogProvider::do_compact() {
  if (failure_) co_return count(Result<void>(failed_error()));
  if (!compaction_waiters_) compaction_waiters_ = std::make_shared<OneShot<Result<void>>>();
  std::shared_ptr<OneShot<Result<void>>> waiters = compaction_waiters_;
  kick_writer();
  co_return count(co_await waiters->wait());
}

}  // namespace orbit::persistence
