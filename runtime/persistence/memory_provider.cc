#include "runtime/persistence/memory_provider.h"
#include "runtime/env/planted_bugs.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

namespace orbit::persistence {
namespace {

void note(std::vector<StateChange>* changes, StateChange::Kind kind, const ActorKey& key, uint64_t version) {
  if (changes != nullptr) changes->push_back(StateChange{kind, key, version});
}

// now >= start + length, without overflowing for a huge TTL or lease (which then never ends).
bool has_passed(int64_t now_ns, int64_t start_ns, int64_t length_ns) {
  if (length_ns > 0 && start_ns > std::numeric_limits<int64_t>::max() - length_ns) return false;
  return now_ns >= start_ns + length_ns;
}

int64_t deadline(MonoTime now, Duration length) {
  const int64_t now_ns = to_nanos(now);
  if (length.count() > std::numeric_limits<int64_t>::max() - now_ns) return std::numeric_limits<int64_t>::max();
  return now_ns + length.count();
}

Result<void> check_lease_args(const std::string& holder, Duration duration) {
  if (holder.empty()) return make_error(ErrorCode::kInvalidArgument, "lease holder must not be empty");
  if (duration <= Duration::zero()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "lease duration must be positive, got " + std::to_string(duration.count()) + "ns");
  }
  return {};
}

bool kind_matches(const std::optional<std::string>& kind, const ActorKey& key) {
  return !kind.has_value() || key.kind == *kind;
}

}  // namespace

MemoryState::MemoryState(size_t retained_versions) : retained_versions_(retained_versions) {
  if (retained_versions_ == 0) {
    throw std::invalid_argument("persistence: retained_versions must be at least 1");
  }
}

Result<LeaseOutcome> MemoryState::acquire_lease(const ActorKey& key, const std::string& holder, Duration duration,
                                                const Tags& metadata, MonoTime now,
                                                std::vector<StateChange>* changes) {
  if (auto r = check_lease_args(holder, duration); !r.ok()) return r.error();
  auto it = leases_.find(key);
  LeaseRecord current = it != leases_.end() ? it->second : LeaseRecord{key, "", 0, 0, Duration::zero(), {}};
  const bool same_holder = current.holder == holder;
  const bool free = current.holder.empty() || has_passed(to_nanos(now), current.expires_at_ns, 0);
  if (!same_holder && !free) {
    ++metrics_.lease_conflicts;
    return LeaseOutcome{false, std::move(current)};
  }
  LeaseRecord granted = current;
  // The same holder retrying keeps its token (its writes stay valid); anyone else gets a new
  // one, above every token issued before (and above the floor left by lost records).
  if (!same_holder) granted.version = std::max(current.version, version_floor_) + 1;
  granted.holder = holder;
  granted.duration = duration;
  granted.expires_at_ns = deadline(now, duration);
  granted.metadata = metadata;
  leases_[key] = granted;
  ++metrics_.lease_acquires;
  note(changes, StateChange::Kind::kLeaseSet, key, 0);
  return LeaseOutcome{true, std::move(granted)};
}

Result<LeaseOutcome> MemoryState::renew_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                              Duration duration, MonoTime now,
                                              std::vector<StateChange>* changes) {
  if (auto r = check_lease_args(holder, duration); !r.ok()) return r.error();
  auto it = leases_.find(key);
  if (it == leases_.end() || it->second.holder != holder || it->second.version != version) {
    ++metrics_.lease_conflicts;
    LeaseRecord current = it != leases_.end() ? it->second : LeaseRecord{key, "", 0, 0, Duration::zero(), {}};
    return LeaseOutcome{false, std::move(current)};
  }
  // Granted even when expired: nobody else took it, so nobody else wrote under a newer token.
  it->second.duration = duration;
  it->second.expires_at_ns = deadline(now, duration);
  ++metrics_.lease_renewals;
  note(changes, StateChange::Kind::kLeaseSet, key, 0);
  return LeaseOutcome{true, it->second};
}

Result<void> MemoryState::release_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                        std::vector<StateChange>* changes) {
  auto it = leases_.find(key);
  if (it == leases_.end() || it->second.holder.empty()) return {};  // already free
  LeaseRecord& lease = it->second;
  if (lease.holder != holder || lease.version != version) {
    ++metrics_.lease_conflicts;
    return make_error(ErrorCode::kConflict, "lease " + key.to_string() + " is held by " + lease.holder +
                                                " at version " + std::to_string(lease.version) + ", not by " +
                                                holder + " at version " + std::to_string(version));
  }
  // The version stays: the next grant bumps it, so this holder's token is never reissued.
  lease.holder.clear();
  lease.expires_at_ns = 0;
  lease.duration = Duration::zero();
  lease.metadata.clear();
  ++metrics_.lease_releases;
  note(changes, StateChange::Kind::kLeaseSet, key, 0);
  return {};
}

Result<LeaseRecord> MemoryState::read_lease(const ActorKey& key) const {
  auto it = leases_.find(key);
  if (it == leases_.end()) return make_error(ErrorCode::kNotFound, "no lease record for " + key.to_string());
  return it->second;
}

std::vector<LeaseRecord> MemoryState::list_leases(const std::optional<std::string>& kind) const {
  std::vector<LeaseRecord> out;
  auto it = kind ? leases_.lower_bound(ActorKey{*kind, ""}) : leases_.begin();
  for (; it != leases_.end() && kind_matches(kind, it->first); ++it) out.push_back(it->second);
  return out;
}

Result<void> MemoryState::write_snapshot(Snapshot snapshot, uint64_t expected_version, MonoTime now,
                                         std::vector<StateChange>* changes) {
  const ActorKey& key = snapshot.key;
  if (snapshot.ttl && *snapshot.ttl < Duration::zero()) {
    return make_error(ErrorCode::kInvalidArgument, "snapshot ttl must not be negative");
  }
  const LeaseRecord* lease = find_lease(key);
  const uint64_t lease_version = lease != nullptr ? lease->version : 0;
  if (snapshot.fencing_token != lease_version && !env::planted(env::bug_sites::kStoreIgnoresFencingToken)) {
    ++metrics_.fencing_rejections;
    return make_error(ErrorCode::kRejected, "stale fencing token: snapshot of " + key.to_string() + " carries " +
                                                std::to_string(snapshot.fencing_token) + ", the lease is at version " +
                                                std::to_string(lease_version));
  }
  auto it = snapshots_.find(key);
  const uint64_t latest = it != snapshots_.end() ? it->second.rbegin()->first : 0;
  if (latest != expected_version) {
    ++metrics_.version_conflicts;
    return make_error(ErrorCode::kConflict, "snapshot version conflict: " + key.to_string() + " is at version " +
                                                std::to_string(latest) + ", the writer expected " +
                                                std::to_string(expected_version));
  }
  if (snapshot.version != expected_version + 1) {
    ++metrics_.version_conflicts;
    return make_error(ErrorCode::kConflict, "snapshot version conflict: " + key.to_string() + " version " +
                                                std::to_string(snapshot.version) + " does not follow " +
                                                std::to_string(expected_version));
  }
  const uint64_t version = snapshot.version;
  const uint64_t state_bytes = snapshot.state.size();
  auto& versions = snapshots_[key];
  note(changes, StateChange::Kind::kSnapshotPut, key, version);
  versions.emplace(version, StoredSnapshot{std::move(snapshot), to_nanos(now)});
  while (versions.size() > retained_versions_) {
    note(changes, StateChange::Kind::kSnapshotRemove, versions.begin()->second.snapshot.key, versions.begin()->first);
    versions.erase(versions.begin());
  }
  ++metrics_.snapshot_writes;
  metrics_.bytes_written += state_bytes;
  return {};
}

std::vector<Snapshot> MemoryState::read_snapshots(const ActorKey& key) {
  std::vector<Snapshot> out;
  ++metrics_.snapshot_reads;
  auto it = snapshots_.find(key);
  if (it == snapshots_.end()) return out;
  for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
    out.push_back(v->second.snapshot);
    metrics_.bytes_read += v->second.snapshot.state.size();
  }
  return out;
}

std::vector<ActorKey> MemoryState::list_snapshot_keys(const std::optional<std::string>& kind) const {
  std::vector<ActorKey> out;
  auto it = kind ? snapshots_.lower_bound(ActorKey{*kind, ""}) : snapshots_.begin();
  for (; it != snapshots_.end() && kind_matches(kind, it->first); ++it) out.push_back(it->first);
  return out;
}

uint64_t MemoryState::sweep_expired(MonoTime now, std::vector<StateChange>* changes) {
  uint64_t removed = 0;
  const int64_t now_ns = to_nanos(now);
  for (auto key_it = snapshots_.begin(); key_it != snapshots_.end();) {
    auto& versions = key_it->second;
    for (auto v = versions.begin(); v != versions.end();) {
      const StoredSnapshot& stored = v->second;
      if (stored.snapshot.ttl && has_passed(now_ns, stored.stored_at_ns, stored.snapshot.ttl->count())) {
        note(changes, StateChange::Kind::kSnapshotRemove, key_it->first, v->first);
        v = versions.erase(v);
        ++removed;
      } else {
        ++v;
      }
    }
    key_it = versions.empty() ? snapshots_.erase(key_it) : std::next(key_it);
  }
  return removed;
}

void MemoryState::apply_lease(const LeaseRecord& lease) { leases_[lease.key] = lease; }

void MemoryState::apply_snapshot_put(StoredSnapshot stored) {
  ActorKey key = stored.snapshot.key;
  const uint64_t version = stored.snapshot.version;
  snapshots_[key].insert_or_assign(version, std::move(stored));
}

void MemoryState::apply_snapshot_remove(const ActorKey& key, uint64_t version) {
  auto it = snapshots_.find(key);
  if (it == snapshots_.end()) return;
  it->second.erase(version);
  if (it->second.empty()) snapshots_.erase(it);
}

void MemoryState::apply_version_floor(uint64_t floor) {
  version_floor_ = std::max(version_floor_, floor);
  for (auto& [key, lease] : leases_) lease.version = std::max(lease.version, version_floor_);
}

const LeaseRecord* MemoryState::find_lease(const ActorKey& key) const {
  auto it = leases_.find(key);
  return it != leases_.end() ? &it->second : nullptr;
}

const StoredSnapshot* MemoryState::find_snapshot(const ActorKey& key, uint64_t version) const {
  auto it = snapshots_.find(key);
  if (it == snapshots_.end()) return nullptr;
  auto v = it->second.find(version);
  return v != it->second.end() ? &v->second : nullptr;
}

uint64_t MemoryState::max_issued_version() const {
  uint64_t max = version_floor_;
  for (const auto& [key, lease] : leases_) max = std::max(max, lease.version);
  for (const auto& [key, versions] : snapshots_) {
    for (const auto& [version, stored] : versions) max = std::max(max, stored.snapshot.fencing_token);
  }
  return max;
}

// --- MemoryProvider.

MemoryProvider::MemoryProvider(const env::Clock& store_clock, size_t retained_versions)
    : clock_(store_clock), state_(retained_versions) {}

MemoryProvider::MemoryProvider(const env::Clock& store_clock, MemoryState initial)
    : clock_(store_clock), state_(std::move(initial)) {}

Task<Result<LeaseOutcome>> MemoryProvider::acquire_lease(const ActorKey& key, const std::string& holder,
                                                         Duration duration, const Tags& metadata) {
  return do_acquire(key, holder, duration, metadata);
}
Task<Result<LeaseOutcome>> MemoryProvider::renew_lease(const ActorKey& key, const std::string& holder,
                                                       uint64_t version, Duration duration) {
  return do_renew(key, holder, version, duration);
}
Task<Result<void>> MemoryProvider::release_lease(const ActorKey& key, const std::string& holder, uint64_t version) {
  return do_release(key, holder, version);
}
Task<Result<LeaseRecord>> MemoryProvider::read_lease(const ActorKey& key) { return do_read_lease(key); }
Task<Result<std::vector<LeaseRecord>>> MemoryProvider::list_leases(std::optional<std::string> kind) {
  return do_list_leases(std::move(kind));
}
Task<Result<void>> MemoryProvider::write_snapshot(const Snapshot& snapshot, uint64_t expected_version) {
  return do_write(snapshot, expected_version);
}
Task<Result<void>> MemoryProvider::write_snapshot(Snapshot&& snapshot, uint64_t expected_version) {
  return do_write(std::move(snapshot), expected_version);
}
Task<Result<std::vector<Snapshot>>> MemoryProvider::read_snapshots(const ActorKey& key) {
  return do_read_snapshots(key);
}
Task<Result<std::vector<ActorKey>>> MemoryProvider::list_snapshot_keys(std::optional<std::string> kind) {
  return do_list_keys(std::move(kind));
}
Task<Result<uint64_t>> MemoryProvider::sweep_expired() { return do_sweep(); }

Task<Result<LeaseOutcome>> MemoryProvider::do_acquire(ActorKey key, std::string holder, Duration duration,
                                                      Tags metadata) {
  co_return state_.acquire_lease(key, holder, duration, metadata, clock_.mono_now(), nullptr);
}
Task<Result<LeaseOutcome>> MemoryProvider::do_renew(ActorKey key, std::string holder, uint64_t version,
                                                    Duration duration) {
  co_return state_.renew_lease(key, holder, version, duration, clock_.mono_now(), nullptr);
}
Task<Result<void>> MemoryProvider::do_release(ActorKey key, std::string holder, uint64_t version) {
  co_return state_.release_lease(key, holder, version, nullptr);
}
Task<Result<LeaseRecord>> MemoryProvider::do_read_lease(ActorKey key) { co_return state_.read_lease(key); }
Task<Result<std::vector<LeaseRecord>>> MemoryProvider::do_list_leases(std::optional<std::string> kind) {
  co_return state_.list_leases(kind);
}
Task<Result<void>> MemoryProvider::do_write(Snapshot snapshot, uint64_t expected_version) {
  if (env::planted(env::bug_sites::kStoreIgnoresExpectedVersion)) {
    // Planted bug (test-only builds): last writer wins, whatever version the writer expected.
    auto it = state_.snapshots().find(snapshot.key);
    expected_version = it == state_.snapshots().end() ? 0 : it->second.rbegin()->first;
    snapshot.version = expected_version + 1;
  }
  co_return state_.write_snapshot(std::move(snapshot), expected_version, clock_.mono_now(), nullptr);
}
Task<Result<std::vector<Snapshot>>> MemoryProvider::do_read_snapshots(ActorKey key) {
  co_return state_.read_snapshots(key);
}
Task<Result<std::vector<ActorKey>>> MemoryProvider::do_list_keys(std::optional<std::string> kind) {
  co_return state_.list_snapshot_keys(kind);
}
Task<Result<uint64_t>> MemoryProvider::do_sweep() { co_return state_.sweep_expired(clock_.mono_now(), nullptr); }

}  // namespace orbit::persistence
