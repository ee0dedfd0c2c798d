#include "runtime/real/rocksdb_provider.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

namespace orbit::real {

using persistence::ActorKey;
using persistence::Health;
using persistence::HealthState;
using persistence::LeaseOutcome;
using persistence::LeaseRecord;
using persistence::MemoryState;
using persistence::ProviderMetrics;
using persistence::Snapshot;
using persistence::StateChange;
using persistence::StoredSnapshot;
using persistence::Tags;
using json = nlohmann::json;

namespace {

constexpr uint64_t kFormat = 1;
constexpr char kFormatKey[] = "m:format";
constexpr char kFloorKey[] = "m:floor";
constexpr char kLeasePrefix[] = "l:";
constexpr char kSnapshotPrefix[] = "s:";

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string actor_part(const ActorKey& key) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(key.kind.size()));
  out += key.kind;
  out += key.id;
  return out;
}
std::string lease_key(const ActorKey& key) { return kLeasePrefix + actor_part(key); }
std::string snapshot_key(const ActorKey& key, uint64_t version) {
  std::string out = kSnapshotPrefix + actor_part(key);
  put_u64(out, version);
  return out;
}

std::string encode(const json& j) {
  const std::vector<uint8_t> bytes = json::to_msgpack(j);
  return std::string(bytes.begin(), bytes.end());
}

std::optional<json> decode(const rocksdb::Slice& value) {
  json j = json::from_msgpack(reinterpret_cast<const uint8_t*>(value.data()),
                              reinterpret_cast<const uint8_t*>(value.data()) + value.size(),
                              /*strict=*/true, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

Error error_from_status(const rocksdb::Status& status, const std::string& context) {
  const std::string message = context + ": " + status.ToString();
  if (status.IsCorruption()) return make_error(ErrorCode::kCorrupt, message);
  if (status.IsNoSpace()) return make_error(ErrorCode::kNoSpace, message);
  if (status.IsInvalidArgument() || status.IsNotSupported()) {
    return make_error(ErrorCode::kInvalidArgument, message);
  }
  return make_error(ErrorCode::kIo, message);
}

}  // namespace

Result<std::unique_ptr<RocksDbProvider>> RocksDbProvider::open(RocksDbProviderOptions options,
                                                               env::Executor& executor) {
  if (options.dir.empty()) return make_error(ErrorCode::kInvalidArgument, "rocksdb: data dir must not be empty");
  if (options.retained_versions == 0) {
    return make_error(ErrorCode::kInvalidArgument, "rocksdb: retained versions must be at least 1");
  }
  // RocksDB creates only the last path component.
  std::error_code mkdir_error;
  std::filesystem::create_directories(options.dir, mkdir_error);
  if (mkdir_error) {
    return make_error(ErrorCode::kIo, "rocksdb: cannot create data dir '" + options.dir + "': " + mkdir_error.message());
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.paranoid_checks = true;
  // Two cores: one background thread for flushes and compactions is plenty.
  db_options.max_background_jobs = 2;
  // Keep RocksDB's info log small: it sits in the data directory.
  db_options.keep_log_file_num = 3;
  db_options.max_log_file_size = 4 << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(db_options, options.dir, &raw);
  if (!status.ok()) return error_from_status(status, "rocksdb: open '" + options.dir + "'");
  std::unique_ptr<rocksdb::DB> db(raw);
  auto provider = std::make_unique<RocksDbProvider>(PrivateTag{}, std::move(options), executor, std::move(db));
  if (Result<void> loaded = provider->load(); !loaded.ok()) return loaded.error();
  return provider;
}

RocksDbProvider::RocksDbProvider(PrivateTag, RocksDbProviderOptions options, env::Executor& executor,
                                 std::unique_ptr<rocksdb::DB> db)
    : options_(std::move(options)),
      executor_(executor),
      clock_(executor.clock()),
      db_(std::move(db)),
      state_(options_.retained_versions) {}

RocksDbProvider::~RocksDbProvider() {
  // Decided changes are written even though nobody waits for them any more: the index
  // already reflected them, and a later reopen must not hand out what was granted.
  if (pending_) flush();
  alive_.reset();
  if (db_) {
    // Close() reports a background error, if any; nothing acknowledged depends on it (every
    // acknowledged write is in the synced WAL already).
    (void)db_->Close();
  }
}

Result<void> RocksDbProvider::load() {
  const int64_t now_ns = to_nanos(clock_.mono_now());
  std::string format;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  if (status.IsNotFound()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    status = db_->Put(write_options, kFormatKey, encode(json(kFormat)));
    if (!status.ok()) return error_from_status(status, "rocksdb: write format marker in '" + options_.dir + "'");
  } else if (!status.ok()) {
    return error_from_status(status, "rocksdb: read format marker in '" + options_.dir + "'");
  } else {
    std::optional<json> j = decode(format);
    if (!j || !j->is_number_unsigned() || j->get<uint64_t>() != kFormat) {
      return make_error(ErrorCode::kInvalidArgument,
                        "rocksdb: '" + options_.dir + "' holds an unsupported store format " +
                            (j ? j->dump() : std::string("(unreadable)")));
    }
  }

  uint64_t floor = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key == kFormatKey) continue;
    std::optional<json> j = decode(it->value());
    bool good = j.has_value();
    if (good && key == kFloorKey) {
      good = j->is_number_unsigned();
      if (good) floor = std::max(floor, j->get<uint64_t>());
    } else if (good && key.rfind(kLeasePrefix, 0) == 0) {
      LeaseRecord lease;
      good = !persistence::from_json(*j, lease).has_value() && lease_key(lease.key) == key;
      if (good) {
        // A reboot restarted the monotonic clock: never let a lease outlive its duration.
        if (!lease.holder.empty() && lease.expires_at_ns - now_ns > lease.duration.count()) {
          lease.expires_at_ns = now_ns + lease.duration.count();
        }
        state_.apply_lease(lease);
      }
    } else if (good && key.rfind(kSnapshotPrefix, 0) == 0) {
      StoredSnapshot stored;
      good = j->is_object() && j->contains("snapshot") && j->contains("stored_at_ns") &&
             (*j)["stored_at_ns"].is_number_integer() &&
             !persistence::from_json((*j)["snapshot"], stored.snapshot).has_value() &&
             snapshot_key(stored.snapshot.key, stored.snapshot.version) == key;
      if (good) {
        stored.stored_at_ns = std::min((*j)["stored_at_ns"].get<int64_t>(), now_ns);
        state_.apply_snapshot_put(std::move(stored));
      }
    } else if (good) {
      good = false;  // a key this format does not know
    }
    if (!good) ++corrupt_records_;
  }
  if (!it->status().ok()) return error_from_status(it->status(), "rocksdb: scan '" + options_.dir + "'");
  it.reset();

  if (floor > 0) state_.apply_version_floor(floor);
  if (corrupt_records_ > 0) {
    // A lost lease record may have held any version up to what we can see: jump past it.
    const uint64_t raised = ((state_.max_issued_version() >> 32) + 1) << 32;
    state_.apply_version_floor(raised);
    if (Result<void> wrote = write_floor(raised); !wrote.ok()) return wrote;
  }
  return {};
}

Result<void> RocksDbProvider::write_floor(uint64_t floor) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::Status status = db_->Put(write_options, kFloorKey, encode(json(floor)));
  if (!status.ok()) return error_from_status(status, "rocksdb: write version floor in '" + options_.dir + "'");
  return {};
}

void RocksDbProvider::stage(const std::vector<StateChange>& changes) {
  if (changes.empty()) return;
  if (!pending_) {
    pending_ = std::make_shared<Batch>();
    pending_->ops = std::make_unique<rocksdb::WriteBatch>();
    executor_.post([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) flush();
    });
  }
  ++pending_->calls;
  rocksdb::WriteBatch& batch = *pending_->ops;
  for (const StateChange& change : changes) {
    switch (change.kind) {
      case StateChange::Kind::kLeaseSet: {
        const LeaseRecord* lease = state_.find_lease(change.key);
        if (lease != nullptr) batch.Put(lease_key(change.key), encode(persistence::to_json(*lease)));
        break;
      }
      case StateChange::Kind::kSnapshotPut: {
        const StoredSnapshot* stored = state_.find_snapshot(change.key, change.version);
        // A put dropped again by retention within the same call is not in the index: its
        // remove follows, so writing nothing is the same.
        if (stored != nullptr) {
          batch.Put(snapshot_key(change.key, change.version),
                    encode(json{{"snapshot", persistence::to_json(stored->snapshot)},
                                {"stored_at_ns", stored->stored_at_ns}}));
        }
        break;
      }
      case StateChange::Kind::kSnapshotRemove:
        batch.Delete(snapshot_key(change.key, change.version));
        break;
      case StateChange::Kind::kVersionFloor:
        batch.Put(kFloorKey, encode(json(change.version)));
        break;
    }
  }
}

void RocksDbProvider::flush() {
  if (!pending_) return;
  std::shared_ptr<Batch> batch = std::move(pending_);
  pending_.reset();
  Result<void> outcome;
  if (failed_) {
    outcome = *failed_;
  } else {
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    rocksdb::Status status = db_->Write(write_options, batch->ops.get());
    if (status.ok()) {
      ++batches_written_;
      calls_committed_ += batch->calls;
    } else {
      ++errors_;
      Error error = error_from_status(status, "rocksdb: write to '" + options_.dir + "'");
      if (error.code != ErrorCode::kNoSpace) error.code = ErrorCode::kIo;
      failed_ = error;
      outcome = error;
    }
  }
  // Resumes the waiting callers inline, in the order they joined.
  batch->durable.set(std::move(outcome));
}

template <typename T>
Task<Result<T>> RocksDbProvider::when_durable(std::shared_ptr<Batch> batch, Result<T> outcome) {
  if (batch) {
    Result<void> durable = co_await batch->durable.wait();
    if (!durable.ok()) co_return durable.error();
  }
  co_return outcome;
}

Result<LeaseOutcome> RocksDbProvider::acquire_now(const ActorKey& key, const std::string& holder,
                                                  Duration duration, const Tags& metadata) {
  if (failed_) return *failed_;
  std::vector<StateChange> changes;
  Result<LeaseOutcome> outcome = state_.acquire_lease(key, holder, duration, metadata, clock_.mono_now(), &changes);
  stage(changes);
  return outcome;
}

Result<LeaseOutcome> RocksDbProvider::renew_now(const ActorKey& key, const std::string& holder, uint64_t version,
                                                Duration duration) {
  if (failed_) return *failed_;
  std::vector<StateChange> changes;
  Result<LeaseOutcome> outcome = state_.renew_lease(key, holder, version, duration, clock_.mono_now(), &changes);
  stage(changes);
  return outcome;
}

Result<void> RocksDbProvider::release_now(const ActorKey& key, const std::string& holder, uint64_t version) {
  if (failed_) return *failed_;
  std::vector<StateChange> changes;
  Result<void> outcome = state_.release_lease(key, holder, version, &changes);
  stage(changes);
  return outcome;
}

Result<void> RocksDbProvider::write_now(const Snapshot& snapshot, uint64_t expected_version) {
  if (failed_) return *failed_;
  std::vector<StateChange> changes;
  Result<void> outcome = state_.write_snapshot(snapshot, expected_version, clock_.mono_now(), &changes);
  stage(changes);
  return outcome;
}

Result<uint64_t> RocksDbProvider::sweep_now() {
  if (failed_) return *failed_;
  std::vector<StateChange> changes;
  const uint64_t removed = state_.sweep_expired(clock_.mono_now(), &changes);
  stage(changes);
  return removed;
}

// The overrides copy their arguments into a coroutine frame (captureless lambdas: nothing
// lives in a lambda object that could die first), decide when first resumed, then wait for
// the pending batch.
Task<Result<LeaseOutcome>> RocksDbProvider::acquire_lease(const ActorKey& key, const std::string& holder,
                                                          Duration duration, const Tags& metadata) {
  return [](RocksDbProvider* self, ActorKey k, std::string h, Duration d, Tags m) -> Task<Result<LeaseOutcome>> {
    Result<LeaseOutcome> outcome = self->acquire_now(k, h, d, m);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, key, holder, duration, metadata);
}

Task<Result<LeaseOutcome>> RocksDbProvider::renew_lease(const ActorKey& key, const std::string& holder,
                                                        uint64_t version, Duration duration) {
  return [](RocksDbProvider* self, ActorKey k, std::string h, uint64_t v, Duration d) -> Task<Result<LeaseOutcome>> {
    Result<LeaseOutcome> outcome = self->renew_now(k, h, v, d);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, key, holder, version, duration);
}

Task<Result<void>> RocksDbProvider::release_lease(const ActorKey& key, const std::string& holder, uint64_t version) {
  return [](RocksDbProvider* self, ActorKey k, std::string h, uint64_t v) -> Task<Result<void>> {
    Result<void> outcome = self->release_now(k, h, v);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, key, holder, version);
}

Task<Result<LeaseRecord>> RocksDbProvider::read_lease(const ActorKey& key) {
  return [](RocksDbProvider* self, ActorKey k) -> Task<Result<LeaseRecord>> {
    if (self->failed_) co_return *self->failed_;
    Result<LeaseRecord> outcome = self->state_.read_lease(k);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, key);
}

Task<Result<std::vector<LeaseRecord>>> RocksDbProvider::list_leases(std::optional<std::string> kind) {
  return [](RocksDbProvider* self, std::optional<std::string> k) -> Task<Result<std::vector<LeaseRecord>>> {
    if (self->failed_) co_return *self->failed_;
    Result<std::vector<LeaseRecord>> outcome = self->state_.list_leases(k);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, std::move(kind));
}

Task<Result<void>> RocksDbProvider::write_snapshot(const Snapshot& snapshot, uint64_t expected_version) {
  return [](RocksDbProvider* self, Snapshot s, uint64_t expected) -> Task<Result<void>> {
    Result<void> outcome = self->write_now(s, expected);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, snapshot, expected_version);
}

Task<Result<std::vector<Snapshot>>> RocksDbProvider::read_snapshots(const ActorKey& key) {
  return [](RocksDbProvider* self, ActorKey k) -> Task<Result<std::vector<Snapshot>>> {
    if (self->failed_) co_return *self->failed_;
    Result<std::vector<Snapshot>> outcome = self->state_.read_snapshots(k);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, key);
}

Task<Result<std::vector<ActorKey>>> RocksDbProvider::list_snapshot_keys(std::optional<std::string> kind) {
  return [](RocksDbProvider* self, std::optional<std::string> k) -> Task<Result<std::vector<ActorKey>>> {
    if (self->failed_) co_return *self->failed_;
    Result<std::vector<ActorKey>> outcome = self->state_.list_snapshot_keys(k);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, std::move(kind));
}

Task<Result<uint64_t>> RocksDbProvider::sweep_expired() {
  return [](RocksDbProvider* self) -> Task<Result<uint64_t>> {
    Result<uint64_t> outcome = self->sweep_now();
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this);
}

ProviderMetrics RocksDbProvider::metrics() const {
  ProviderMetrics m = state_.metrics();
  m.errors = errors_;
  m.corrupt_records = corrupt_records_;
  return m;
}

Health RocksDbProvider::health() const {
  if (failed_) {
    return Health{HealthState::kUnhealthy, "a write failed (" + failed_->message + "); the store must be reopened"};
  }
  uint64_t background_errors = 0;
  if (db_->GetIntProperty("rocksdb.background-errors", &background_errors) && background_errors > 0) {
    return Health{HealthState::kDegraded,
                  "rocksdb reports " + std::to_string(background_errors) + " background errors"};
  }
  if (corrupt_records_ > 0) {
    return Health{HealthState::kDegraded, "open found " + std::to_string(corrupt_records_) +
                                              " unreadable records; lease versions raised to " +
                                              std::to_string(state_.version_floor())};
  }
  return Health{};
}

uint64_t RocksDbProvider::live_data_bytes() const {
  uint64_t bytes = 0;
  if (!db_->GetIntProperty("rocksdb.estimate-live-data-size", &bytes)) return 0;
  return bytes;
}

}  // namespace orbit::real
