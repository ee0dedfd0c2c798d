// The conformance suite: provider.h's contract as GoogleTest typed tests, run against every
// PersistenceProvider implementation.
//
// To run it against a provider, write a harness type H and instantiate the suite:
//
//   class MyHarness {
//    public:
//     MyHarness();                          // default-constructible: one per test
//     // The provider under test: fresh and empty, with retained_versions() >= 2 (3 is
//     // usual). Valid for the harness's lifetime.
//     PersistenceProvider& provider();
//     // Moves the store's clock (the one lease expiry and snapshot TTL are judged on)
//     // forward by `d`, running whatever work comes due.
//     void advance(Duration d);
//     // Runs `task` to completion and returns its result. When it cannot complete within
//     // the harness's own bound, destroys it and returns an error (kTimeout), which fails
//     // the test at the call site.
//     template <typename T>
//     Result<T> run(Task<Result<T>> task);
//   };
//   using MyHarnesses = ::testing::Types<MyHarness>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, ProviderConformance, MyHarnesses);
//
// (run_to_completion below implements run() over any executor: pass it a step function. It
// starts the task inline, outside any executor callback: a provider that relies on
// env::current_executor() needs a harness that starts it from a callback instead.)
//
// Timing: a call's store time is taken somewhere between run() starting and finishing, so
// a harness whose calls take store time (disk latency, a network hop) is fine as long as
// that is well under a second: the cases keep a margin of at least a second around every
// lease expiry and TTL.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/task_scope.h"
#include "runtime/env/time.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence {

// Runs `task` and calls `step()` (which should advance the executor the provider runs on)
// until it finishes, at most `max_steps` times. A task that has not finished by then is
// destroyed and the result is kTimeout.
template <typename T, typename Step>
Result<T> run_to_completion(Task<Result<T>> task, Step step, size_t max_steps = 100000) {
  std::optional<Result<T>> out;
  TaskScope scope;
  scope.spawn([](Task<Result<T>> t, std::optional<Result<T>>& o) -> Task<void> {
    o.emplace(co_await std::move(t));
  }(std::move(task), out));
  for (size_t i = 0; !out.has_value() && i < max_steps; ++i) step();
  if (!out.has_value()) {
    scope.cancel_all();
    return make_error(ErrorCode::kTimeout, "conformance: the call did not complete in " +
                                               std::to_string(max_steps) + " steps");
  }
  return std::move(*out);
}

template <typename Harness>
class ProviderConformance : public ::testing::Test {
 protected:
  Harness harness_;

  PersistenceProvider& p() { return harness_.provider(); }
  void advance(Duration d) { harness_.advance(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return harness_.run(std::move(task));
  }

  Result<LeaseOutcome> acquire(const ActorKey& key, const std::string& holder, Duration duration = 10s,
                               const Tags& metadata = {}) {
    return run(p().acquire_lease(key, holder, duration, metadata));
  }
  Result<LeaseOutcome> renew(const ActorKey& key, const std::string& holder, uint64_t version,
                             Duration duration = 10s) {
    return run(p().renew_lease(key, holder, version, duration));
  }
  Result<void> release(const ActorKey& key, const std::string& holder, uint64_t version) {
    return run(p().release_lease(key, holder, version));
  }
  Result<void> write(const Snapshot& snapshot, uint64_t expected_version) {
    return run(p().write_snapshot(snapshot, expected_version));
  }
  Result<std::vector<Snapshot>> read(const ActorKey& key) { return run(p().read_snapshots(key)); }

  // Acquires `key` for `holder` and returns the fencing token (0 and a test failure if not granted).
  uint64_t token_for(const ActorKey& key, const std::string& holder) {
    auto r = acquire(key, holder);
    EXPECT_TRUE(r.ok() && r->granted) << key.to_string() << " for " << holder;
    return r.ok() ? r->record.version : 0;
  }

  // A snapshot with every field set, and state bytes that include zeros and high bytes.
  static Snapshot snapshot(const ActorKey& key, uint64_t version, uint64_t token, const std::string& text,
                           std::optional<Duration> ttl = std::nullopt) {
    Snapshot s;
    s.key = key;
    s.version = version;
    s.state = to_bytes(text);
    s.state.push_back(0);
    s.state.push_back(255);
    s.sha256 = sha256_hex(s.state);
    s.fencing_token = token;
    s.created_at_ns = 1'000;
    s.updated_at_ns = 1'000 + static_cast<int64_t>(version);
    s.node = "node-7";
    s.tags = {{"writer", "conformance"}, {"v", std::to_string(version)}};
    s.ttl = ttl;
    return s;
  }
};

TYPED_TEST_SUITE_P(ProviderConformance);

// --- Leases.

TYPED_TEST_P(ProviderConformance, AcquireOfAFreeLeaseGrantsVersionOne) {
  const ActorKey key{"counter", "c1"};
  auto r = this->acquire(key, "node-1#1", 10s, {{"node", "1"}});
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->granted);
  EXPECT_EQ(r->record.key, key);
  EXPECT_EQ(r->record.holder, "node-1#1");
  EXPECT_EQ(r->record.version, 1u);
  EXPECT_EQ(r->record.duration, 10s);
  EXPECT_EQ(r->record.metadata, (Tags{{"node", "1"}}));
  auto read = this->run(this->p().read_lease(key));
  ASSERT_TRUE(read.ok()) << to_string(read.error());
  EXPECT_EQ(*read, r->record);
}

TYPED_TEST_P(ProviderConformance, SecondHolderIsRefusedAndToldTheCurrentHolder) {
  const ActorKey key{"counter", "c1"};
  ASSERT_TRUE(this->acquire(key, "a").ok());
  auto r = this->acquire(key, "b");
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_FALSE(r->granted);
  EXPECT_EQ(r->record.holder, "a");
  EXPECT_EQ(r->record.version, 1u);
  auto read = this->run(this->p().read_lease(key));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->holder, "a") << "a refused acquire changes nothing";
  EXPECT_EQ(read->version, 1u);
}

TYPED_TEST_P(ProviderConformance, ReacquireBySameHolderKeepsVersionAndExtendsExpiry) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a");
  ASSERT_TRUE(first.ok() && first->granted);
  this->advance(5s);
  auto again = this->acquire(key, "a");
  ASSERT_TRUE(again.ok()) << to_string(again.error());
  EXPECT_TRUE(again->granted);
  EXPECT_EQ(again->record.version, first->record.version);
  EXPECT_GT(again->record.expires_at_ns, first->record.expires_at_ns);
  // Still held by a at 12 s after the first grant: the retry extended it.
  this->advance(7s);
  auto other = this->acquire(key, "b");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->granted);
}

TYPED_TEST_P(ProviderConformance, ExpiryOnTheStoreClockLetsANewHolderInWithTheNextVersion) {
  const ActorKey key{"counter", "c1"};
  ASSERT_TRUE(this->acquire(key, "a", 10s).ok());
  this->advance(9s);
  auto early = this->acquire(key, "b");
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->granted) << "not expired yet";
  this->advance(2s);
  auto late = this->acquire(key, "b");
  ASSERT_TRUE(late.ok()) << to_string(late.error());
  EXPECT_TRUE(late->granted);
  EXPECT_EQ(late->record.holder, "b");
  EXPECT_EQ(late->record.version, 2u);
}

TYPED_TEST_P(ProviderConformance, RenewKeepsVersionAndExtendsExpiry) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a", 10s);
  ASSERT_TRUE(first.ok() && first->granted);
  this->advance(5s);
  auto renewed = this->renew(key, "a", first->record.version, 10s);
  ASSERT_TRUE(renewed.ok()) << to_string(renewed.error());
  EXPECT_TRUE(renewed->granted);
  EXPECT_EQ(renewed->record.version, first->record.version);
  EXPECT_EQ(renewed->record.holder, "a");
  EXPECT_GT(renewed->record.expires_at_ns, first->record.expires_at_ns);
  this->advance(7s);  // 12 s after the grant, 7 s after the renewal
  auto other = this->acquire(key, "b");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->granted) << "the renewal must have extended the lease";
}

TYPED_TEST_P(ProviderConformance, RenewAfterExpirySucceedsWhileNobodyElseTookIt) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a", 10s);
  ASSERT_TRUE(first.ok() && first->granted);
  this->advance(30s);
  auto renewed = this->renew(key, "a", first->record.version, 10s);
  ASSERT_TRUE(renewed.ok()) << to_string(renewed.error());
  EXPECT_TRUE(renewed->granted);
  EXPECT_EQ(renewed->record.version, first->record.version);
}

TYPED_TEST_P(ProviderConformance, RenewAfterAnotherHolderTookItIsRefused) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a", 10s);
  ASSERT_TRUE(first.ok() && first->granted);
  this->advance(11s);
  auto taken = this->acquire(key, "b", 10s);
  ASSERT_TRUE(taken.ok() && taken->granted);
  auto renewed = this->renew(key, "a", first->record.version, 10s);
  ASSERT_TRUE(renewed.ok()) << to_string(renewed.error());
  EXPECT_FALSE(renewed->granted);
  EXPECT_EQ(renewed->record.holder, "b");
  EXPECT_EQ(renewed->record.version, 2u);
}

TYPED_TEST_P(ProviderConformance, RenewWithAnotherVersionOrHolderIsRefused) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a", 10s);
  ASSERT_TRUE(first.ok() && first->granted);
  auto wrong_version = this->renew(key, "a", first->record.version + 1);
  ASSERT_TRUE(wrong_version.ok());
  EXPECT_FALSE(wrong_version->granted);
  auto wrong_holder = this->renew(key, "b", first->record.version);
  ASSERT_TRUE(wrong_holder.ok());
  EXPECT_FALSE(wrong_holder->granted);
  EXPECT_EQ(wrong_holder->record.holder, "a");
  // A key that never had a lease: refused, as "not granted" or as kNotFound.
  auto unknown = this->renew(ActorKey{"counter", "nope"}, "a", 1);
  EXPECT_TRUE(unknown.ok() ? !unknown->granted : unknown.code() == ErrorCode::kNotFound);
}

TYPED_TEST_P(ProviderConformance, ReleaseKeepsTheVersionAndTheNextGrantBumpsIt) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a");
  ASSERT_TRUE(first.ok() && first->granted);
  auto released = this->release(key, "a", first->record.version);
  ASSERT_TRUE(released.ok()) << to_string(released.error());
  auto read = this->run(this->p().read_lease(key));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->holder.empty());
  EXPECT_EQ(read->version, 1u);
  // Free now: anyone gets it at once (no waiting for the old expiry), with a new version.
  auto next = this->acquire(key, "b");
  ASSERT_TRUE(next.ok() && next->granted);
  EXPECT_EQ(next->record.version, 2u);
  // Even the old holder gets a new token after its release.
  ASSERT_TRUE(this->release(key, "b", 2).ok());
  auto back = this->acquire(key, "a");
  ASSERT_TRUE(back.ok() && back->granted);
  EXPECT_EQ(back->record.version, 3u);
}

TYPED_TEST_P(ProviderConformance, ReleaseByNonHolderConflictsAndOfAFreeLeaseIsOk) {
  const ActorKey key{"counter", "c1"};
  auto first = this->acquire(key, "a");
  ASSERT_TRUE(first.ok() && first->granted);
  auto by_other = this->release(key, "b", first->record.version);
  ASSERT_FALSE(by_other.ok());
  EXPECT_EQ(by_other.code(), ErrorCode::kConflict);
  auto stale = this->release(key, "a", first->record.version + 7);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.code(), ErrorCode::kConflict);
  auto read = this->run(this->p().read_lease(key));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->holder, "a") << "refused releases change nothing";
  ASSERT_TRUE(this->release(key, "a", first->record.version).ok());
  EXPECT_TRUE(this->release(key, "a", first->record.version).ok()) << "already free";
}

TYPED_TEST_P(ProviderConformance, ReadLeaseOfAnUnknownKeyIsNotFound) {
  auto read = this->run(this->p().read_lease(ActorKey{"counter", "never"}));
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.code(), ErrorCode::kNotFound);
}

TYPED_TEST_P(ProviderConformance, ListLeasesIsSortedAndFilteredByKind) {
  ASSERT_TRUE(this->acquire({"b", "2"}, "x").ok());
  ASSERT_TRUE(this->acquire({"a", "9"}, "x").ok());
  ASSERT_TRUE(this->acquire({"b", "1"}, "y").ok());
  ASSERT_TRUE(this->acquire({"c", "0"}, "y").ok());
  auto all = this->run(this->p().list_leases(std::nullopt));
  ASSERT_TRUE(all.ok()) << to_string(all.error());
  std::vector<ActorKey> keys;
  for (const LeaseRecord& l : *all) keys.push_back(l.key);
  EXPECT_EQ(keys, (std::vector<ActorKey>{{"a", "9"}, {"b", "1"}, {"b", "2"}, {"c", "0"}}));
  auto only_b = this->run(this->p().list_leases(std::string("b")));
  ASSERT_TRUE(only_b.ok());
  ASSERT_EQ(only_b->size(), 2u);
  EXPECT_EQ((*only_b)[0].key, (ActorKey{"b", "1"}));
  EXPECT_EQ((*only_b)[0].holder, "y");
  EXPECT_EQ((*only_b)[1].key, (ActorKey{"b", "2"}));
  auto none = this->run(this->p().list_leases(std::string("zzz")));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// --- Snapshots.

TYPED_TEST_P(ProviderConformance, WriteWithTheCurrentTokenIsStoredExactly) {
  const ActorKey key{"register", "r1"};
  const uint64_t token = this->token_for(key, "a");
  const Snapshot s = this->snapshot(key, 1, token, "{\"value\":1}", 60s);
  auto w = this->write(s, 0);
  ASSERT_TRUE(w.ok()) << to_string(w.error());
  auto r = this->read(key);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0], s);
  EXPECT_TRUE(hash_verifies((*r)[0]));
}

TYPED_TEST_P(ProviderConformance, TheStoreKeepsItsOwnCopyOfAWrittenSnapshot) {
  const ActorKey key{"register", "r2"};
  const uint64_t token = this->token_for(key, "a");
  // Written from a snapshot the caller keeps, and then changes: the stored one is unchanged.
  Snapshot kept = this->snapshot(key, 1, token, "kept");
  const Snapshot original = kept;
  ASSERT_TRUE(this->write(kept, 0).ok());
  kept.state.assign(kept.state.size(), 'x');
  kept.tags.clear();
  // Moved in: the caller gives its snapshot away (the store path never copies its state).
  Snapshot given = this->snapshot(key, 2, token, std::string(64 << 10, 'g'));
  const Snapshot expected = given;
  auto w = this->run(this->p().write_snapshot(std::move(given), 1));
  ASSERT_TRUE(w.ok()) << to_string(w.error());
  auto r = this->read(key);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0], expected);
  EXPECT_EQ((*r)[1], original);
  EXPECT_TRUE(hash_verifies((*r)[0]));
}

TYPED_TEST_P(ProviderConformance, StaleFencingTokenIsRejected) {
  const ActorKey key{"register", "r1"};
  const uint64_t old_token = this->token_for(key, "a");
  ASSERT_TRUE(this->write(this->snapshot(key, 1, old_token, "a1"), 0).ok());
  this->advance(11s);
  const uint64_t new_token = this->token_for(key, "b");
  ASSERT_GT(new_token, old_token);
  const uint64_t rejections_before = this->p().metrics().fencing_rejections;
  auto w = this->write(this->snapshot(key, 2, old_token, "a2"), 1);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.code(), ErrorCode::kRejected);
  EXPECT_EQ(w.error().message.rfind("stale fencing token", 0), 0u) << w.error().message;
  EXPECT_EQ(this->p().metrics().fencing_rejections, rejections_before + 1);
  // A token from the future is no better.
  auto future = this->write(this->snapshot(key, 2, new_token + 1, "?"), 1);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.code(), ErrorCode::kRejected);
  auto r = this->read(key);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].state, this->snapshot(key, 1, old_token, "a1").state) << "nothing was overwritten";
  EXPECT_TRUE(this->write(this->snapshot(key, 2, new_token, "b2"), 1).ok());
}

TYPED_TEST_P(ProviderConformance, WrongExpectedVersionConflicts) {
  const ActorKey key{"register", "r1"};
  const uint64_t token = this->token_for(key, "a");
  ASSERT_TRUE(this->write(this->snapshot(key, 1, token, "v1"), 0).ok());
  const uint64_t conflicts_before = this->p().metrics().version_conflicts;
  auto behind = this->write(this->snapshot(key, 1, token, "again"), 0);
  ASSERT_FALSE(behind.ok());
  EXPECT_EQ(behind.code(), ErrorCode::kConflict);
  auto ahead = this->write(this->snapshot(key, 3, token, "v3"), 2);
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.code(), ErrorCode::kConflict);
  EXPECT_EQ(this->p().metrics().version_conflicts, conflicts_before + 2);
  auto r = this->read(key);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].version, 1u);
}

TYPED_TEST_P(ProviderConformance, VersionMustBeExpectedPlusOne) {
  const ActorKey key{"register", "r1"};
  const uint64_t token = this->token_for(key, "a");
  auto zero = this->write(this->snapshot(key, 0, token, "v0"), 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.code(), ErrorCode::kConflict);
  auto skip = this->write(this->snapshot(key, 2, token, "v2"), 0);
  ASSERT_FALSE(skip.ok());
  EXPECT_EQ(skip.code(), ErrorCode::kConflict);
  ASSERT_TRUE(this->write(this->snapshot(key, 1, token, "v1"), 0).ok());
  auto same = this->write(this->snapshot(key, 1, token, "v1'"), 1);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.code(), ErrorCode::kConflict);
  EXPECT_TRUE(this->write(this->snapshot(key, 2, token, "v2"), 1).ok());
}

TYPED_TEST_P(ProviderConformance, RetentionKeepsTheNewestVersionsNewestFirst) {
  const ActorKey key{"register", "r1"};
  const size_t k = this->p().retained_versions();
  ASSERT_GE(k, 2u) << "the suite needs a provider that retains at least two versions";
  const uint64_t token = this->token_for(key, "a");
  const uint64_t written = k + 2;
  for (uint64_t v = 1; v <= written; ++v) {
    auto w = this->write(this->snapshot(key, v, token, "state-" + std::to_string(v)), v - 1);
    ASSERT_TRUE(w.ok()) << "version " << v << ": " << to_string(w.error());
  }
  auto r = this->read(key);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), k);
  for (size_t i = 0; i < k; ++i) {
    const uint64_t v = written - i;
    EXPECT_EQ((*r)[i], this->snapshot(key, v, token, "state-" + std::to_string(v))) << "position " << i;
  }
}

TYPED_TEST_P(ProviderConformance, ReadOfAnUnknownKeyIsEmpty) {
  auto r = this->read(ActorKey{"register", "never"});
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_TRUE(r->empty());
}

TYPED_TEST_P(ProviderConformance, ListSnapshotKeysIsSortedAndFilteredByKind) {
  for (const ActorKey& key : {ActorKey{"b", "2"}, ActorKey{"a", "1"}, ActorKey{"b", "1"}}) {
    const uint64_t token = this->token_for(key, "w");
    ASSERT_TRUE(this->write(this->snapshot(key, 1, token, key.to_string()), 0).ok());
  }
  ASSERT_TRUE(this->acquire({"c", "lease-only"}, "w").ok());
  auto all = this->run(this->p().list_snapshot_keys(std::nullopt));
  ASSERT_TRUE(all.ok()) << to_string(all.error());
  EXPECT_EQ(*all, (std::vector<ActorKey>{{"a", "1"}, {"b", "1"}, {"b", "2"}}));
  auto only_b = this->run(this->p().list_snapshot_keys(std::string("b")));
  ASSERT_TRUE(only_b.ok());
  EXPECT_EQ(*only_b, (std::vector<ActorKey>{{"b", "1"}, {"b", "2"}}));
}

TYPED_TEST_P(ProviderConformance, SweepRemovesOnlyExpiredSnapshotsAndNeverLeases) {
  const ActorKey short_lived{"session", "s1"};
  const ActorKey forever{"session", "s2"};
  const ActorKey long_lived{"session", "s3"};
  const uint64_t t1 = this->token_for(short_lived, "a");
  const uint64_t t2 = this->token_for(forever, "a");
  const uint64_t t3 = this->token_for(long_lived, "a");
  ASSERT_TRUE(this->write(this->snapshot(short_lived, 1, t1, "s1", 5s), 0).ok());
  ASSERT_TRUE(this->write(this->snapshot(forever, 1, t2, "s2"), 0).ok());
  ASSERT_TRUE(this->write(this->snapshot(long_lived, 1, t3, "s3", 60s), 0).ok());
  auto early = this->run(this->p().sweep_expired());
  ASSERT_TRUE(early.ok()) << to_string(early.error());
  EXPECT_EQ(*early, 0u);
  this->advance(6s);
  auto swept = this->run(this->p().sweep_expired());
  ASSERT_TRUE(swept.ok()) << to_string(swept.error());
  EXPECT_EQ(*swept, 1u);
  auto gone = this->read(short_lived);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->empty());
  auto kept = this->read(forever);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->size(), 1u);
  auto kept_long = this->read(long_lived);
  ASSERT_TRUE(kept_long.ok());
  EXPECT_EQ(kept_long->size(), 1u);
  auto keys = this->run(this->p().list_snapshot_keys(std::nullopt));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<ActorKey>{forever, long_lived}));
  auto lease = this->run(this->p().read_lease(short_lived));
  ASSERT_TRUE(lease.ok()) << "sweeping never removes lease records";
  EXPECT_EQ(lease->version, t1);
}

TYPED_TEST_P(ProviderConformance, MetricsCountGrantsAndRefusals) {
  const ActorKey key{"counter", "c1"};
  const ProviderMetrics before = this->p().metrics();
  auto a = this->acquire(key, "a");
  ASSERT_TRUE(a.ok() && a->granted);
  ASSERT_TRUE(this->acquire(key, "b").ok());                        // refused
  ASSERT_TRUE(this->renew(key, "b", a->record.version).ok());       // refused
  EXPECT_FALSE(this->release(key, "b", a->record.version).ok());    // refused
  ASSERT_TRUE(this->renew(key, "a", a->record.version).ok());
  ASSERT_TRUE(this->write(this->snapshot(key, 1, a->record.version, "x"), 0).ok());
  EXPECT_FALSE(this->write(this->snapshot(key, 2, a->record.version + 1, "x"), 1).ok());
  EXPECT_FALSE(this->write(this->snapshot(key, 5, a->record.version, "x"), 4).ok());
  ASSERT_TRUE(this->read(key).ok());
  ASSERT_TRUE(this->release(key, "a", a->record.version).ok());
  const ProviderMetrics after = this->p().metrics();
  // The refusals are counted exactly; the grants at least once (a provider may count
  // retries or internal calls too).
  EXPECT_EQ(after.lease_conflicts - before.lease_conflicts, 3u);
  EXPECT_EQ(after.fencing_rejections - before.fencing_rejections, 1u);
  EXPECT_EQ(after.version_conflicts - before.version_conflicts, 1u);
  EXPECT_GE(after.lease_acquires - before.lease_acquires, 1u);
  EXPECT_GE(after.lease_renewals - before.lease_renewals, 1u);
  EXPECT_GE(after.lease_releases - before.lease_releases, 1u);
  EXPECT_GE(after.snapshot_writes - before.snapshot_writes, 1u);
  EXPECT_GE(after.snapshot_reads - before.snapshot_reads, 1u);
  EXPECT_EQ(after.errors, before.errors);
}

TYPED_TEST_P(ProviderConformance, LeaseVersionIsNeverReusedAfterReleaseAndSweep) {
  const ActorKey key{"counter", "c1"};
  uint64_t last = 0;
  for (const std::string holder : {"a", "b", "a", "c"}) {
    auto r = this->acquire(key, holder, 1s);
    ASSERT_TRUE(r.ok() && r->granted) << holder;
    EXPECT_GT(r->record.version, last) << holder;
    last = r->record.version;
    ASSERT_TRUE(this->release(key, holder, last).ok());
    this->advance(2s);
    auto swept = this->run(this->p().sweep_expired());
    ASSERT_TRUE(swept.ok());
    auto read = this->run(this->p().read_lease(key));
    ASSERT_TRUE(read.ok()) << "a free lease keeps its record";
    EXPECT_EQ(read->version, last);
  }
  EXPECT_EQ(last, 4u);
}

TYPED_TEST_P(ProviderConformance, IsHealthyAndRetainsAtLeastOneVersion) {
  EXPECT_EQ(this->p().health().state, HealthState::kHealthy) << this->p().health().reason;
  EXPECT_GE(this->p().retained_versions(), 1u);
}

REGISTER_TYPED_TEST_SUITE_P(ProviderConformance, AcquireOfAFreeLeaseGrantsVersionOne,
                            SecondHolderIsRefusedAndToldTheCurrentHolder,
                            ReacquireBySameHolderKeepsVersionAndExtendsExpiry,
                            ExpiryOnTheStoreClockLetsANewHolderInWithTheNextVersion,
                            RenewKeepsVersionAndExtendsExpiry, RenewAfterExpirySucceedsWhileNobodyElseTookIt,
                            RenewAfterAnotherHolderTookItIsRefused, RenewWithAnotherVersionOrHolderIsRefused,
                            ReleaseKeepsTheVersionAndTheNextGrantBumpsIt,
                            ReleaseByNonHolderConflictsAndOfAFreeLeaseIsOk, ReadLeaseOfAnUnknownKeyIsNotFound,
                            ListLeasesIsSortedAndFilteredByKind, WriteWithTheCurrentTokenIsStoredExactly,
                            TheStoreKeepsItsOwnCopyOfAWrittenSnapshot, StaleFencingTokenIsRejected,
                            WrongExpectedVersionConflicts, VersionMustBeExpectedPlusOne,
                            RetentionKeepsTheNewestVersionsNewestFirst, ReadOfAnUnknownKeyIsEmpty,
                            ListSnapshotKeysIsSortedAndFilteredByKind,
                            SweepRemovesOnlyExpiredSnapshotsAndNeverLeases, MetricsCountGrantsAndRefusals,
                            LeaseVersionIsNeverReusedAfterReleaseAndSweep, IsHealthyAndRetainsAtLeastOneVersion);

}  // namespace orbit::persistence
