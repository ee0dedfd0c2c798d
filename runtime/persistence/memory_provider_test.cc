// MemoryProvider against the conformance suite, and MemoryState's own promises: the changes
// it reports (what the log-structured provider writes) and the version floor.
#include "runtime/persistence/memory_provider.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "runtime/env/manual_executor.h"
#include "runtime/persistence/provider_conformance.h"

namespace orbit::persistence {
namespace {

// The store clock is a ManualExecutor used only as a Clock: MemoryProvider never suspends.
class MemoryHarness {
 public:
  PersistenceProvider& provider() { return provider_; }
  void advance(Duration d) { clock_.advance(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    // Completes at its first resumption: no step may be needed.
    return run_to_completion(std::move(task), [] {}, 1);
  }

 private:
  env::ManualExecutor clock_;
  MemoryProvider provider_{clock_, 3};
};

using MemoryHarnesses = ::testing::Types<MemoryHarness>;
INSTANTIATE_TYPED_TEST_SUITE_P(Memory, ProviderConformance, MemoryHarnesses);

using Kind = StateChange::Kind;

MonoTime at(Duration d) { return MonoTime(d); }

Snapshot snap(const ActorKey& key, uint64_t version, uint64_t token, std::optional<Duration> ttl = std::nullopt) {
  Snapshot s;
  s.key = key;
  s.version = version;
  s.state = to_bytes("v" + std::to_string(version));
  s.fencing_token = token;
  s.ttl = ttl;
  return s;
}

TEST(MemoryStateTest, DecisionsReportExactlyTheChangesTheyMade) {
  MemoryState state(2);
  const ActorKey key{"k", "1"};
  std::vector<StateChange> changes;
  ASSERT_TRUE(state.acquire_lease(key, "a", 10s, {}, at(0s), &changes).ok());
  EXPECT_EQ(changes, (std::vector<StateChange>{{Kind::kLeaseSet, key, 0}}));

  changes.clear();
  auto refused = state.acquire_lease(key, "b", 10s, {}, at(1s), &changes);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->granted);
  EXPECT_TRUE(changes.empty()) << "a refusal changes nothing";

  for (uint64_t v = 1; v <= 2; ++v) ASSERT_TRUE(state.write_snapshot(snap(key, v, 1), v - 1, at(2s), nullptr).ok());
  changes.clear();
  ASSERT_TRUE(state.write_snapshot(snap(key, 3, 1), 2, at(3s), &changes).ok());
  EXPECT_EQ(changes, (std::vector<StateChange>{{Kind::kSnapshotPut, key, 3}, {Kind::kSnapshotRemove, key, 1}}))
      << "the put first, then the retention removal of the oldest";

  changes.clear();
  EXPECT_FALSE(state.write_snapshot(snap(key, 4, 9), 3, at(3s), &changes).ok());
  EXPECT_TRUE(changes.empty());
}

TEST(MemoryStateTest, ReplayingTheReportedChangesRebuildsTheState) {
  MemoryState live(3);
  MemoryState replica(3);
  const ActorKey a{"k", "a"};
  const ActorKey b{"k", "b"};
  std::vector<StateChange> changes;
  auto copy_changes = [&] {
    for (const StateChange& c : changes) {
      switch (c.kind) {
        case Kind::kLeaseSet: replica.apply_lease(*live.find_lease(c.key)); break;
        case Kind::kSnapshotPut: replica.apply_snapshot_put(*live.find_snapshot(c.key, c.version)); break;
        case Kind::kSnapshotRemove: replica.apply_snapshot_remove(c.key, c.version); break;
        case Kind::kVersionFloor: replica.apply_version_floor(c.version); break;
      }
    }
    changes.clear();
  };
  ASSERT_TRUE(live.acquire_lease(a, "x", 5s, {{"m", "1"}}, at(0s), &changes).ok());
  copy_changes();
  ASSERT_TRUE(live.acquire_lease(b, "y", 5s, {}, at(0s), &changes).ok());
  copy_changes();
  for (uint64_t v = 1; v <= 5; ++v) {
    ASSERT_TRUE(live.write_snapshot(snap(a, v, 1, 2s), v - 1, at(Duration(v)), &changes).ok());
    copy_changes();
  }
  ASSERT_TRUE(live.write_snapshot(snap(b, 1, 1), 0, at(1s), &changes).ok());
  copy_changes();
  ASSERT_TRUE(live.release_lease(a, "x", 1, &changes).ok());
  copy_changes();
  EXPECT_EQ(live.sweep_expired(at(10s), &changes), 3u);
  copy_changes();
  EXPECT_TRUE(same_contents(live, replica));
  EXPECT_EQ(replica.read_snapshots(a).size(), 0u);
  EXPECT_EQ(replica.read_snapshots(b).size(), 1u);
}

TEST(MemoryStateTest, VersionFloorRaisesEveryLeaseAndEveryLaterGrant) {
  MemoryState state(3);
  const ActorKey held{"k", "held"};
  ASSERT_TRUE(state.acquire_lease(held, "a", 10s, {}, at(0s), nullptr).ok());
  state.apply_version_floor(1ull << 32);
  EXPECT_EQ(state.find_lease(held)->version, 1ull << 32);
  EXPECT_EQ(state.find_lease(held)->holder, "a") << "the holder stays; its old token does not";
  EXPECT_FALSE(state.renew_lease(held, "a", 1, 10s, at(1s), nullptr)->granted);
  auto fresh = state.acquire_lease(ActorKey{"k", "new"}, "b", 10s, {}, at(1s), nullptr);
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->record.version, (1ull << 32) + 1) << "a key never seen still starts above the floor";
  EXPECT_EQ(state.max_issued_version(), (1ull << 32) + 1);
}

TEST(MemoryStateTest, InvalidArgumentsChangeNothing) {
  MemoryState state(3);
  const ActorKey key{"k", "1"};
  EXPECT_EQ(state.acquire_lease(key, "", 10s, {}, at(0s), nullptr).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(state.acquire_lease(key, "a", 0s, {}, at(0s), nullptr).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(state.find_lease(key), nullptr);
  EXPECT_EQ(state.write_snapshot(snap(key, 1, 0, -1s), 0, at(0s), nullptr).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(state.snapshots().empty());
  EXPECT_THROW(MemoryState(0), std::invalid_argument);
}

TEST(MemoryStateTest, HugeDurationsNeverOverflowIntoThePast) {
  MemoryState state(3);
  const ActorKey key{"k", "1"};
  auto r = state.acquire_lease(key, "a", Duration::max(), {}, at(5s), nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->record.expires_at_ns, std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(state.acquire_lease(key, "b", 1s, {}, at(1000h), nullptr)->granted);
  ASSERT_TRUE(state.write_snapshot(snap(key, 1, 1, Duration::max()), 0, at(5s), nullptr).ok());
  EXPECT_EQ(state.sweep_expired(at(1000h), nullptr), 0u);
}

TEST(MemoryProviderTest, CallsAreDecidedWhenStartedNotWhenCreated) {
  env::ManualExecutor clock;
  MemoryProvider provider(clock);
  const ActorKey key{"k", "1"};
  Task<Result<LeaseOutcome>> pending = provider.acquire_lease(key, "a", 10s, {});
  EXPECT_EQ(provider.state().find_lease(key), nullptr) << "a Task is lazy";
  clock.advance(3s);
  auto r = run_to_completion(std::move(pending), [] {}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->record.expires_at_ns, to_nanos(13s));
}

}  // namespace
}  // namespace orbit::persistence
