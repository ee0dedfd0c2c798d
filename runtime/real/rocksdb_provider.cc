#include "runtime/real/rocksdb_provider.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <utility>

// Only the store-format-1 reader uses JSON (types.h's from_json); nothing writes it any more.
#include <nlohmann/json.hpp>

#include "runtime/persistence/record_codec.h"

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
namespace codec = persistence::codec;

namespace {

constexpr uint64_t kJsonStoreFormat = 1;    // values: types.h's JSON forms in MessagePack (read only)
constexpr uint64_t kBinaryStoreFormat = 2;  // values: kValueMark, kValueVersion, typed MessagePack
// MessagePack's never-used byte: no format-1 value starts with it.
constexpr uint8_t kValueMark = 0xc1;
constexpr uint8_t kValueVersion = 2;
// A WriteBatch buffer that grew past this is not kept for the next batch.
constexpr size_t kKeptBatchBytes = 4 << 20;

constexpr char kFormatKey[] = "m:format";
constexpr char kFloorKey[] = "m:floor";
constexpr char kLeasePrefix[] = "l:";
constexpr char kSnapshotPrefix[] = "s:";
constexpr size_t kPrefixBytes = 2;

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
uint64_t get_be(std::string_view bytes) {
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// Writes the key of `key`'s lease (no version) or of its snapshot `version` into `out`.
void lease_key_into(std::string& out, const ActorKey& key) {
  out.assign(kLeasePrefix);
  put_u32(out, static_cast<uint32_t>(key.kind.size()));
  out += key.kind;
  out += key.id;
}
void snapshot_key_into(std::string& out, const ActorKey& key, uint64_t version) {
  out.assign(kSnapshotPrefix);
  put_u32(out, static_cast<uint32_t>(key.kind.size()));
  out += key.kind;
  out += key.id;
  put_u64(out, version);
}
std::string lease_key(const ActorKey& key) {
  std::string out;
  lease_key_into(out, key);
  return out;
}
std::string snapshot_key(const ActorKey& key, uint64_t version) {
  std::string out;
  snapshot_key_into(out, key, version);
  return out;
}

// Bytes as a reader of a message can see them: printable ASCII as is, the rest as \xNN.
std::string printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xf]);
    }
  }
  return out;
}

// A RocksDB key as an error message names it: "lease counter/a", "snapshot counter/a
// version 5", or the key's bytes ("key m:floor") when it is neither.
std::string describe_key(std::string_view key) {
  const bool lease = key.starts_with(kLeasePrefix);
  const bool snapshot = key.starts_with(kSnapshotPrefix);
  const size_t tail = snapshot ? 8 : 0;
  if ((lease || snapshot) && key.size() >= kPrefixBytes + 4 + tail) {
    const uint64_t kind_bytes = get_be(key.substr(kPrefixBytes, 4));
    const std::string_view rest = key.substr(kPrefixBytes + 4);
    if (kind_bytes <= rest.size() - tail) {
      std::string out = std::string(lease ? "lease " : "snapshot ") + printable(rest.substr(0, kind_bytes)) + "/" +
                        printable(rest.substr(kind_bytes, rest.size() - tail - kind_bytes));
      if (snapshot) out += " version " + std::to_string(get_be(rest.substr(rest.size() - tail)));
      return out;
    }
  }
  return "key " + printable(key);
}

ByteView as_bytes(std::string_view s) { return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

// --- Reading values. Each decoder returns the value or a kCorrupt error saying, without the
// key (the caller adds it), which format the value is in and what is wrong with it.

bool is_binary_value(std::string_view value) {
  return !value.empty() && static_cast<uint8_t>(value.front()) == kValueMark;
}

// Value format 2: kValueMark, kValueVersion, then one MessagePack value that `get` reads
// (throwing codec::ShapeError naming the field).
template <typename T, typename Get>
Result<T> decode_binary(std::string_view value, Get&& get) {
  if (value.size() < 2) return make_error(ErrorCode::kCorrupt, "value format 2 cut short after its mark");
  const auto version = static_cast<uint8_t>(value[1]);
  if (version != kValueVersion) {
    // A newer build would have raised the store format too: under a format this build
    // reads, an unknown value version is damage.
    return make_error(ErrorCode::kCorrupt, "unknown value format " + std::to_string(version) +
                                               " (this build reads 1 and 2)");
  }
  Result<const msgpack::object*> parsed = codec::parse(as_bytes(value.substr(2)), "value format 2", ErrorCode::kCorrupt);
  if (!parsed.ok()) return parsed.error();
  try {
    T out{};
    get(**parsed, out);
    return out;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorrupt, std::string("value format 2: ") + e.what());
  }
}

// Value format 1: a JSON value in MessagePack that `get` reads (returning a problem, or
// nothing when it is good).
template <typename T, typename Get>
Result<T> decode_json(std::string_view value, Get&& get) {
  // nlohmann reports through exceptions in a few corners (type errors) even with
  // allow_exceptions=false; none may escape a load.
  try {
    const auto* data = reinterpret_cast<const uint8_t*>(value.data());
    const json j = json::from_msgpack(data, data + value.size(), /*strict=*/true, /*allow_exceptions=*/false);
    if (j.is_discarded()) return make_error(ErrorCode::kCorrupt, "value format 1: not one MessagePack value");
    T out{};
    if (std::optional<std::string> problem = get(j, out)) {
      return make_error(ErrorCode::kCorrupt, "value format 1: " + *problem);
    }
    return out;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kCorrupt, std::string("value format 1: ") + e.what());
  }
}

Result<LeaseRecord> decode_lease(std::string_view value) {
  if (is_binary_value(value)) {
    return decode_binary<LeaseRecord>(value, [](const msgpack::object& o, LeaseRecord& out) { codec::get(o, out); });
  }
  return decode_json<LeaseRecord>(value, [](const json& j, LeaseRecord& out) { return persistence::from_json(j, out); });
}

Result<StoredSnapshot> decode_snapshot(std::string_view value) {
  if (is_binary_value(value)) {
    return decode_binary<StoredSnapshot>(value, [](const msgpack::object& o, StoredSnapshot& out) {
      codec::expect_fields(o, 2);
      try {
        codec::get(o.via.array.ptr[0], out.snapshot);
      } catch (const codec::ShapeError& e) {
        throw e.within("snapshot");
      }
      try {
        codec::get(o.via.array.ptr[1], out.stored_at_ns);
      } catch (const codec::ShapeError& e) {
        throw e.within("stored_at_ns");
      }
    });
  }
  return decode_json<StoredSnapshot>(value, [](const json& j, StoredSnapshot& out) -> std::optional<std::string> {
    if (!j.is_object()) return "expected an object";
    if (!j.contains("snapshot")) return "missing snapshot";
    if (!j.contains("stored_at_ns") || !j["stored_at_ns"].is_number_integer()) return "stored_at_ns: expected an integer";
    if (std::optional<std::string> problem = persistence::from_json(j["snapshot"], out.snapshot)) return problem;
    out.stored_at_ns = j["stored_at_ns"].get<int64_t>();
    return std::nullopt;
  });
}

Result<uint64_t> decode_floor(std::string_view value) {
  if (is_binary_value(value)) {
    return decode_binary<uint64_t>(value, [](const msgpack::object& o, uint64_t& out) { codec::get(o, out); });
  }
  return decode_json<uint64_t>(value, [](const json& j, uint64_t& out) -> std::optional<std::string> {
    if (!j.is_number_unsigned()) return "expected an unsigned integer";
    out = j.get<uint64_t>();
    return std::nullopt;
  });
}

// A MessagePack stream appending to a string.
class StringSink {
 public:
  explicit StringSink(std::string& out) : out_(out) {}
  void write(const char* data, size_t size) { out_.append(data, size); }

 private:
  std::string& out_;
};

// The store format marker: a bare MessagePack uint in every format.
std::string encode_store_format(uint64_t format) {
  std::string out;
  StringSink sink(out);
  msgpack::packer<StringSink> p(sink);
  p.pack_uint64(format);
  return out;
}

// What the marker says, or an error naming what it holds instead.
Result<uint64_t> decode_store_format(std::string_view value) {
  Result<const msgpack::object*> parsed = codec::parse(as_bytes(value), "store format marker", ErrorCode::kInvalidArgument);
  if (!parsed.ok()) return parsed.error();
  uint64_t format = 0;
  try {
    codec::get(**parsed, format);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string("store format marker: ") + e.what());
  }
  return format;
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

// Encodes one value at a time as the slices of a WriteBatch::Put(SliceParts): the value's
// header, MessagePack's headers and short fields are copied into a scratch buffer, long
// string and binary bodies (a snapshot's state, its hash) are referred to where they lie in
// the record, so a state is copied once, into the WriteBatch. The slices stay valid until
// the next value and only while the encoded record lives (the index's copy, which outlives
// the Put that copies them).
class RocksDbProvider::ValueWriter {
 public:
  // `pack(packer)` packs the one MessagePack value that follows the value header.
  template <typename Pack>
  rocksdb::SliceParts value(Pack&& pack) {
    scratch_.clear();
    pieces_.clear();
    const char header[2] = {static_cast<char>(kValueMark), static_cast<char>(kValueVersion)};
    write(header, sizeof header);
    msgpack::packer<ValueWriter> packer(*this);
    pack(packer);
    slices_.clear();
    for (const Piece& piece : pieces_) {
      slices_.emplace_back(piece.borrowed != nullptr ? piece.borrowed : scratch_.data() + piece.offset, piece.size);
    }
    return rocksdb::SliceParts(slices_.data(), static_cast<int>(slices_.size()));
  }

  // MessagePack's stream interface.
  void write(const char* data, size_t size) {
    if (size >= kBorrowBytes) {
      pieces_.push_back(Piece{data, 0, size});
      return;
    }
    if (pieces_.empty() || pieces_.back().borrowed != nullptr) pieces_.push_back(Piece{nullptr, scratch_.size(), 0});
    scratch_.append(data, size);
    pieces_.back().size += size;
  }

 private:
  // The packer writes headers and scalars (at most 9 bytes) from a buffer of its own, and
  // string and binary bodies straight from the record: a write this long is a body.
  static constexpr size_t kBorrowBytes = 64;
  // A stretch of the value: `size` bytes at `borrowed`, or at `offset` in scratch_ (an
  // offset, since scratch_ may move as it grows).
  struct Piece {
    const char* borrowed;
    size_t offset;
    size_t size;
  };
  std::string scratch_;
  std::vector<Piece> pieces_;
  std::vector<rocksdb::Slice> slices_;
};

rocksdb::Options RocksDbProvider::db_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  // Two cores: one background thread for flushes and compactions is plenty.
  options.max_background_jobs = 2;
  // Keep RocksDB's info log small: it sits in the data directory.
  options.keep_log_file_num = 3;
  options.max_log_file_size = 4 << 20;
  return options;
}

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
  const rocksdb::Options db_options = RocksDbProvider::db_options();
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
      state_(options_.retained_versions),
      ops_(std::make_unique<rocksdb::WriteBatch>()),
      values_(std::make_unique<ValueWriter>()) {}

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

Result<void> RocksDbProvider::check_format() {
  rocksdb::WriteOptions synced;
  synced.sync = true;
  std::string marker;
  rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), kFormatKey, &marker);
  if (status.IsNotFound()) {
    status = db_->Put(synced, kFormatKey, encode_store_format(kBinaryStoreFormat));
    if (!status.ok()) return error_from_status(status, "rocksdb: write format marker in '" + options_.dir + "'");
    return {};
  }
  if (!status.ok()) return error_from_status(status, "rocksdb: read format marker in '" + options_.dir + "'");
  Result<uint64_t> format = decode_store_format(marker);
  if (!format.ok() || (*format != kJsonStoreFormat && *format != kBinaryStoreFormat)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "rocksdb: '" + options_.dir + "' holds store format " +
                          (format.ok() ? std::to_string(*format) : "(unreadable: " + format.error().message + ")") +
                          "; this build reads formats 1 (JSON values) and 2 (binary values)");
  }
  if (*format == kJsonStoreFormat) {
    // Its values stay readable; the marker goes up before any format-2 value is written,
    // so that a build reading only format 1 refuses the store from now on.
    status = db_->Put(synced, kFormatKey, encode_store_format(kBinaryStoreFormat));
    if (!status.ok()) return error_from_status(status, "rocksdb: raise format marker in '" + options_.dir + "'");
  }
  return {};
}

Result<void> RocksDbProvider::load() {
  if (Result<void> checked = check_format(); !checked.ok()) return checked;
  const int64_t now_ns = to_nanos(clock_.mono_now());
  uint64_t floor = 0;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key == kFormatKey) continue;
    Result<void> loaded = load_value(key, std::string_view(it->value().data(), it->value().size()), now_ns, floor);
    if (!loaded.ok()) {
      ++corrupt_records_;
      if (!first_corrupt_) first_corrupt_ = loaded.error();
    }
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

Result<void> RocksDbProvider::load_value(const std::string& key, std::string_view value, int64_t now_ns,
                                         uint64_t& floor) {
  auto corrupt = [&](const std::string& problem) {
    return make_error(ErrorCode::kCorrupt,
                      "rocksdb: unreadable value of " + describe_key(key) + " in '" + options_.dir + "': " + problem);
  };
  if (key == kFloorKey) {
    Result<uint64_t> read = decode_floor(value);
    if (!read.ok()) return corrupt(read.error().message);
    floor = std::max(floor, *read);
    return {};
  }
  if (key.starts_with(kLeasePrefix)) {
    Result<LeaseRecord> lease = decode_lease(value);
    if (!lease.ok()) return corrupt(lease.error().message);
    if (lease_key(lease->key) != key) return corrupt("it holds the lease of " + lease->key.to_string());
    // A reboot restarted the monotonic clock: never let a lease outlive its duration.
    if (!lease->holder.empty() && lease->expires_at_ns - now_ns > lease->duration.count()) {
      lease->expires_at_ns = now_ns + lease->duration.count();
    }
    state_.apply_lease(*lease);
    return {};
  }
  if (key.starts_with(kSnapshotPrefix)) {
    Result<StoredSnapshot> stored = decode_snapshot(value);
    if (!stored.ok()) return corrupt(stored.error().message);
    if (snapshot_key(stored->snapshot.key, stored->snapshot.version) != key) {
      return corrupt("it holds the snapshot of " + stored->snapshot.key.to_string() + " version " +
                     std::to_string(stored->snapshot.version));
    }
    stored->stored_at_ns = std::min(stored->stored_at_ns, now_ns);
    state_.apply_snapshot_put(std::move(stored).value());
    return {};
  }
  return make_error(ErrorCode::kCorrupt,
                    "rocksdb: " + describe_key(key) + " in '" + options_.dir + "' is not a key this store writes");
}

Result<void> RocksDbProvider::write_floor(uint64_t floor) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::WriteBatch batch;
  const rocksdb::Slice floor_key(kFloorKey);
  rocksdb::Status status = batch.Put(rocksdb::SliceParts(&floor_key, 1),
                                     values_->value([floor](auto& p) { codec::put(p, floor); }));
  if (status.ok()) status = db_->Write(write_options, &batch);
  if (!status.ok()) return error_from_status(status, "rocksdb: write version floor in '" + options_.dir + "'");
  return {};
}

void RocksDbProvider::stage() {
  if (changes_.empty()) return;
  if (!pending_) {
    pending_ = std::make_shared<Batch>();
    executor_.post([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) flush();
    });
  }
  ++pending_->calls;
  rocksdb::WriteBatch& batch = *ops_;
  // Put and Delete report only size limits this store never reaches (RocksDB's 4 GiB batch);
  // a failure is a programming error, and the flush then writes a batch without it.
  rocksdb::Status status;
  for (const StateChange& change : changes_) {
    switch (change.kind) {
      case StateChange::Kind::kLeaseSet: {
        const LeaseRecord* lease = state_.find_lease(change.key);
        if (lease != nullptr) {
          lease_key_into(key_scratch_, change.key);
          const rocksdb::Slice key(key_scratch_);
          status = batch.Put(rocksdb::SliceParts(&key, 1), values_->value([lease](auto& p) { codec::put(p, *lease); }));
        }
        break;
      }
      case StateChange::Kind::kSnapshotPut: {
        const StoredSnapshot* stored = state_.find_snapshot(change.key, change.version);
        // A put dropped again by retention within the same call is not in the index: its
        // remove follows, so writing nothing is the same.
        if (stored != nullptr) {
          snapshot_key_into(key_scratch_, change.key, change.version);
          const rocksdb::Slice key(key_scratch_);
          status = batch.Put(rocksdb::SliceParts(&key, 1), values_->value([stored](auto& p) {
            p.pack_array(2);
            codec::put(p, stored->snapshot);
            codec::put(p, stored->stored_at_ns);
          }));
        }
        break;
      }
      case StateChange::Kind::kSnapshotRemove:
        snapshot_key_into(key_scratch_, change.key, change.version);
        status = batch.Delete(key_scratch_);
        break;
      case StateChange::Kind::kVersionFloor: {
        const rocksdb::Slice key(kFloorKey);
        const uint64_t floor = change.version;
        status = batch.Put(rocksdb::SliceParts(&key, 1), values_->value([floor](auto& p) { codec::put(p, floor); }));
        break;
      }
    }
    assert(status.ok() && "a WriteBatch refused a record");
  }
  changes_.clear();
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
    rocksdb::Status status = db_->Write(write_options, ops_.get());
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
  // Before any caller resumes: a resumed caller may stage the next batch into ops_.
  if (ops_->GetDataSize() > kKeptBatchBytes) {
    ops_ = std::make_unique<rocksdb::WriteBatch>();
  } else {
    ops_->Clear();
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
  assert(changes_.empty());
  Result<LeaseOutcome> outcome = state_.acquire_lease(key, holder, duration, metadata, clock_.mono_now(), &changes_);
  stage();
  return outcome;
}

Result<LeaseOutcome> RocksDbProvider::renew_now(const ActorKey& key, const std::string& holder, uint64_t version,
                                                Duration duration) {
  if (failed_) return *failed_;
  assert(changes_.empty());
  Result<LeaseOutcome> outcome = state_.renew_lease(key, holder, version, duration, clock_.mono_now(), &changes_);
  stage();
  return outcome;
}

Result<void> RocksDbProvider::release_now(const ActorKey& key, const std::string& holder, uint64_t version) {
  if (failed_) return *failed_;
  assert(changes_.empty());
  Result<void> outcome = state_.release_lease(key, holder, version, &changes_);
  stage();
  return outcome;
}

Result<void> RocksDbProvider::write_now(Snapshot snapshot, uint64_t expected_version) {
  if (failed_) return *failed_;
  assert(changes_.empty());
  Result<void> outcome = state_.write_snapshot(std::move(snapshot), expected_version, clock_.mono_now(), &changes_);
  stage();
  return outcome;
}

Result<uint64_t> RocksDbProvider::sweep_now() {
  if (failed_) return *failed_;
  assert(changes_.empty());
  const uint64_t removed = state_.sweep_expired(clock_.mono_now(), &changes_);
  stage();
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

// Both overloads hold the snapshot in the frame and move it on into the index: the const one
// copies it once into the frame (the caller's may die before the Task first runs), the
// other not at all.
Task<Result<void>> RocksDbProvider::write_snapshot(const Snapshot& snapshot, uint64_t expected_version) {
  return write_snapshot(Snapshot(snapshot), expected_version);
}

Task<Result<void>> RocksDbProvider::write_snapshot(Snapshot&& snapshot, uint64_t expected_version) {
  return [](RocksDbProvider* self, Snapshot s, uint64_t expected) -> Task<Result<void>> {
    Result<void> outcome = self->write_now(std::move(s), expected);
    co_return co_await when_durable(self->pending_, std::move(outcome));
  }(this, std::move(snapshot), expected_version);
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
                                              " unreadable records (the first: " + first_corrupt_->message +
                                              "); lease versions raised to " + std::to_string(state_.version_floor())};
  }
  return Health{};
}

uint64_t RocksDbProvider::live_data_bytes() const {
  uint64_t bytes = 0;
  if (!db_->GetIntProperty("rocksdb.estimate-live-data-size", &bytes)) return 0;
  return bytes;
}

}  // namespace orbit::real
