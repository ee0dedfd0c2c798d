// Model-based (stateful) tests of every PersistenceProvider (memory, log over the simulated
// disk, remote over the simulated network to a StorageServer backed by a log store) with
// RapidCheck's state machine testing: random sequences of acquire, renew, release, write
// with a fencing token and an expected version (compare-and-set), read, lease read, time
// passing, crash (the store's process and disk, then recovery), clean reopen and compaction,
// each checked against a small model of provider.h's contract. RapidCheck shrinks a failing
// sequence to the fewest commands.
//
// The same source builds two kinds of test (BUILD): provider_model_test runs the property
// on every provider and requires it to hold; provider_model_test_cas_ignores_version links
// //bugs:cas_ignores_version (a MemoryProvider whose CAS ignores the expected version) and
// requires the property to be FALSIFIED on the memory provider.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/env/manual_executor.h"
#include "runtime/env/planted_bugs.h"
#include "runtime/env/time.h"
#include "runtime/persistence/log_provider.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/provider_conformance.h"
#include "runtime/persistence/remote_store_world.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/persistence/types.h"
#include "sim/sim_disk.h"

namespace orbit::persistence {
// Only run_to_completion is used from the conformance header, not its typed suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ProviderConformance);
}  // namespace orbit::persistence

namespace orbit::persistence::model {

inline constexpr Duration kLease = std::chrono::seconds(10);
inline constexpr Duration kStep = std::chrono::seconds(4);  // never lands near a lease expiry
inline constexpr size_t kRetained = 3;

inline const std::vector<ActorKey>& keys() {
  static const std::vector<ActorKey> k = {{"counter", "a"}, {"counter", "b"}};
  return k;
}
inline const std::vector<std::string>& holders() {
  static const std::vector<std::string> h = {"n1#1", "n2#1", "n3#1"};
  return h;
}

struct LeaseModel {
  std::string holder;  // empty: free
  uint64_t version = 0;
  int64_t granted_at_s = 0;
};

struct Model {
  int64_t now_s = 0;  // seconds of advance() so far
  std::map<ActorKey, LeaseModel> leases;
  std::map<ActorKey, std::vector<std::pair<uint64_t, std::string>>> snapshots;  // ascending, retained

  bool expired(const LeaseModel& l) const { return now_s - l.granted_at_s >= std::chrono::duration_cast<std::chrono::seconds>(kLease).count(); }
  uint64_t latest(const ActorKey& k) const {
    auto it = snapshots.find(k);
    return it == snapshots.end() || it->second.empty() ? 0 : it->second.back().first;
  }
  uint64_t lease_version(const ActorKey& k) const {
    auto it = leases.find(k);
    return it == leases.end() ? 0 : it->second.version;
  }
};

inline Snapshot make_snapshot(const ActorKey& key, uint64_t version, uint64_t token, const std::string& text) {
  Snapshot s;
  s.key = key;
  s.version = version;
  s.state = to_bytes(text);
  s.sha256 = sha256_hex(s.state);
  s.fencing_token = token;
  s.created_at_ns = 1;
  s.updated_at_ns = 1 + static_cast<int64_t>(version);
  s.node = "model";
  return s;
}

template <typename H>
using Cmd = rc::state::Command<Model, H>;

template <typename H>
struct Acquire : Cmd<H> {
  ActorKey key = *rc::gen::elementOf(keys());
  std::string holder = *rc::gen::elementOf(holders());
  void apply(Model& m) const override {
    LeaseModel& l = m.leases[key];
    const bool same = l.holder == holder;
    if (!same && !l.holder.empty() && !m.expired(l)) return;
    if (!same) l.version += 1;
    l.holder = holder;
    l.granted_at_s = m.now_s;
  }
  void run(const Model& m, H& h) const override {
    auto it = m.leases.find(key);
    const bool expect = it == m.leases.end() || it->second.holder.empty() || it->second.holder == holder ||
                        m.expired(it->second);
    auto r = h.run(h.provider().acquire_lease(key, holder, kLease, {}));
    RC_ASSERT(r.ok());
    RC_ASSERT(r->granted == expect);
    Model next = m;
    apply(next);
    RC_ASSERT(r->record.version == next.leases[key].version);
    RC_ASSERT(r->record.holder == next.leases[key].holder);
  }
  void show(std::ostream& os) const override { os << "acquire(" << key.to_string() << ", " << holder << ")"; }
};

template <typename H>
struct Renew : Cmd<H> {
  ActorKey key = *rc::gen::elementOf(keys());
  std::string holder = *rc::gen::elementOf(holders());
  int version_offset = *rc::gen::element(0, 0, -1, 1);  // mostly the current version
  uint64_t version(const Model& m) const {
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(m.lease_version(key)) + version_offset));
  }
  bool grants(const Model& m) const {
    auto it = m.leases.find(key);
    return it != m.leases.end() && !it->second.holder.empty() && it->second.holder == holder &&
           it->second.version == version(m);
  }
  void apply(Model& m) const override {
    if (grants(m)) m.leases[key].granted_at_s = m.now_s;
  }
  void run(const Model& m, H& h) const override {
    auto r = h.run(h.provider().renew_lease(key, holder, version(m), kLease));
    RC_ASSERT(r.ok());
    RC_ASSERT(r->granted == grants(m));
  }
  void show(std::ostream& os) const override {
    os << "renew(" << key.to_string() << ", " << holder << ", current" << (version_offset >= 0 ? "+" : "") << version_offset << ")";
  }
};

template <typename H>
struct Release : Cmd<H> {
  ActorKey key = *rc::gen::elementOf(keys());
  std::string holder = *rc::gen::elementOf(holders());
  int version_offset = *rc::gen::element(0, 0, -1);
  uint64_t version(const Model& m) const {
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(m.lease_version(key)) + version_offset));
  }
  void apply(Model& m) const override {
    auto it = m.leases.find(key);
    if (it != m.leases.end() && it->second.holder == holder && it->second.version == version(m)) it->second.holder.clear();
  }
  void run(const Model& m, H& h) const override {
    auto it = m.leases.find(key);
    const bool free = it == m.leases.end() || it->second.holder.empty();
    const bool mine = !free && it->second.holder == holder && it->second.version == version(m);
    auto r = h.run(h.provider().release_lease(key, holder, version(m)));
    if (free || mine) {
      RC_ASSERT(r.ok());
    } else {
      RC_ASSERT(!r.ok());
      RC_ASSERT(r.code() == ErrorCode::kConflict);
    }
  }
  void show(std::ostream& os) const override {
    os << "release(" << key.to_string() << ", " << holder << ", current" << (version_offset >= 0 ? "+" : "") << version_offset << ")";
  }
};

// A write with a fencing token (the lease's, or a stale one) and an expected version (the
// latest, or a wrong one: the compare-and-set must refuse it).
template <typename H>
struct Write : Cmd<H> {
  ActorKey key = *rc::gen::elementOf(keys());
  int token_offset = *rc::gen::element(0, 0, 0, -1);
  int expected_offset = *rc::gen::element(0, 0, 0, -1, 1);
  std::string text = *rc::gen::container<std::string>(rc::gen::inRange('a', 'z'));
  uint64_t token(const Model& m) const {
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(m.lease_version(key)) + token_offset));
  }
  uint64_t expected(const Model& m) const {
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(m.latest(key)) + expected_offset));
  }
  bool fenced_ok(const Model& m) const { return token(m) == m.lease_version(key); }
  bool cas_ok(const Model& m) const { return expected(m) == m.latest(key); }
  void apply(Model& m) const override {
    if (!fenced_ok(m) || !cas_ok(m)) return;
    auto& versions = m.snapshots[key];
    versions.emplace_back(expected(m) + 1, text);
    while (versions.size() > kRetained) versions.erase(versions.begin());
  }
  void run(const Model& m, H& h) const override {
    auto r = h.run(h.provider().write_snapshot(make_snapshot(key, expected(m) + 1, token(m), text), expected(m)));
    if (!fenced_ok(m)) {
      RC_ASSERT(!r.ok());
      RC_ASSERT(r.code() == ErrorCode::kRejected);
    } else if (!cas_ok(m)) {
      RC_ASSERT(!r.ok());
      RC_ASSERT(r.code() == ErrorCode::kConflict);
    } else {
      RC_ASSERT(r.ok());
    }
  }
  void show(std::ostream& os) const override {
    os << "write(" << key.to_string() << ", token current" << (token_offset >= 0 ? "+" : "") << token_offset
       << ", expected latest" << (expected_offset >= 0 ? "+" : "") << expected_offset << ", \"" << text << "\")";
  }
};

template <typename H>
struct Read : Cmd<H> {
  ActorKey key = *rc::gen::elementOf(keys());
  void run(const Model& m, H& h) const override {
    auto r = h.run(h.provider().read_snapshots(key));
    RC_ASSERT(r.ok());
    auto it = m.snapshots.find(key);
    const size_t n = it == m.snapshots.end() ? 0 : it->second.size();
    RC_ASSERT(r->size() == n);
    for (size_t i = 0; i < n; ++i) {
      const auto& [version, text] = it->second[n - 1 - i];  // newest first
      RC_ASSERT((*r)[i].version == version);
      RC_ASSERT((*r)[i].state == to_bytes(text));
      RC_ASSERT(hash_verifies((*r)[i]));
    }
  }
  void show(std::ostream& os) const override { os << "read(" << key.to_string() << ")"; }
};

template <typename H>
struct ReadLease : Cmd<H> {
  ActorKey key = *rc::gen::elementOf(keys());
  void run(const Model& m, H& h) const override {
    auto r = h.run(h.provider().read_lease(key));
    auto it = m.leases.find(key);
    if (it == m.leases.end()) {
      RC_ASSERT(!r.ok());
      RC_ASSERT(r.code() == ErrorCode::kNotFound);
      return;
    }
    RC_ASSERT(r.ok());
    RC_ASSERT(r->holder == it->second.holder);
    RC_ASSERT(r->version == it->second.version);
  }
  void show(std::ostream& os) const override { os << "read_lease(" << key.to_string() << ")"; }
};

template <typename H>
struct Advance : Cmd<H> {
  void apply(Model& m) const override { m.now_s += std::chrono::duration_cast<std::chrono::seconds>(kStep).count(); }
  void run(const Model&, H& h) const override { h.advance(kStep); }
  void show(std::ostream& os) const override { os << "advance(" << std::chrono::duration_cast<std::chrono::seconds>(kStep).count() << "s)"; }
};

// The store's process and disk crash, then it recovers. A durable store keeps everything it
// acknowledged; the memory store keeps nothing (its documented fault model).
template <typename H>
struct Crash : Cmd<H> {
  void apply(Model& m) const override {
    if (!H::kDurable) {
      m.leases.clear();
      m.snapshots.clear();
    }
  }
  void run(const Model&, H& h) const override { h.crash(); }
  void show(std::ostream& os) const override { os << "crash+recover"; }
};

template <typename H>
struct Reopen : Cmd<H> {
  explicit Reopen(const Model&) { RC_PRE(H::kDurable); }
  void run(const Model&, H& h) const override { h.recover(); }
  void show(std::ostream& os) const override { os << "close+reopen"; }
};

template <typename H>
struct Compact : Cmd<H> {
  explicit Compact(const Model&) { RC_PRE(H::kCompacts); }
  void run(const Model&, H& h) const override { RC_ASSERT(h.compact().ok()); }
  void show(std::ostream& os) const override { os << "compact"; }
};

// The property: any sequence of commands on a fresh store agrees with the model.
template <typename H>
void check_against_model() {
  H harness;
  rc::state::check(Model{}, harness,
                   rc::state::gen::execOneOfWithArgs<Acquire<H>, Acquire<H>, Renew<H>, Release<H>, Write<H>, Write<H>,
                                                     Write<H>, Read<H>, ReadLease<H>, Advance<H>, Crash<H>, Reopen<H>,
                                                     Compact<H>>());
}


// --- Harnesses.

class MemoryHarness {
 public:
  static constexpr bool kDurable = false;  // nothing survives the object
  static constexpr bool kCompacts = false;
  MemoryHarness() { fresh(); }
  PersistenceProvider& provider() { return *provider_; }
  void advance(Duration d) { exec_.advance(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return run_to_completion(std::move(task), [this] { exec_.advance(std::chrono::milliseconds(1)); });
  }
  void crash() { fresh(); }
  void recover() {}
  Result<void> compact() { return {}; }

 private:
  void fresh() { provider_ = std::make_unique<MemoryProvider>(exec_, kRetained); }
  env::ManualExecutor exec_;
  std::unique_ptr<MemoryProvider> provider_;
};

// One log store on one simulated disk (torn last writes on crash), a manual executor as its
// executor and clock.
class LogHarness {
 public:
  static constexpr bool kDurable = true;
  static constexpr bool kCompacts = true;
  LogHarness() : disk_(std::make_unique<sim::SimDisk>(exec_, 7, nullptr)) {
    sim::DiskConfig config;
    config.tear_last_write_on_crash = true;
    if (!disk_->configure(config).ok()) throw std::runtime_error("disk config");
    open();
  }
  ~LogHarness() { provider_.reset(); }
  PersistenceProvider& provider() { return *provider_; }
  void advance(Duration d) { exec_.advance(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    return run_to_completion(std::move(task), [this] { exec_.advance(std::chrono::milliseconds(1)); });
  }
  void crash() {
    provider_.reset();
    disk_->crash();
    open();
  }
  void recover() {
    provider_.reset();
    open();
  }
  Result<void> compact() { return run(provider_->compact()); }

 private:
  void open() {
    LogProviderConfig config;
    config.dir = "store";
    config.retained_versions = kRetained;
    config.segment_bytes = 1024;  // rotate often: recovery replays several segments
    auto opened = run(LogProvider::open(*disk_, exec_, exec_, config));
    if (!opened.ok()) throw std::runtime_error("open: " + opened.error().message);
    provider_ = std::move(*opened);
  }
  env::ManualExecutor exec_;
  std::unique_ptr<sim::SimDisk> disk_;
  std::unique_ptr<LogProvider> provider_;
};

// The store node's provider: a LogProvider on the node's disk, opened (recovered) on the first
// call after each boot, since a StoreProviderFactory is synchronous and open() is not.
class LazyLogProvider final : public PersistenceProvider {
 public:
  explicit LazyLogProvider(sim::NodeContext& ctx) : disk_(ctx.disk()), clock_(ctx.clock()), executor_(ctx.executor()) {}

  Task<Result<LeaseOutcome>> acquire_lease(const ActorKey& key, const std::string& holder, Duration duration,
                                           const Tags& metadata) override {
    return call<LeaseOutcome>([=](PersistenceProvider& p) { return p.acquire_lease(key, holder, duration, metadata); });
  }
  Task<Result<LeaseOutcome>> renew_lease(const ActorKey& key, const std::string& holder, uint64_t version,
                                         Duration duration) override {
    return call<LeaseOutcome>([=](PersistenceProvider& p) { return p.renew_lease(key, holder, version, duration); });
  }
  Task<Result<void>> release_lease(const ActorKey& key, const std::string& holder, uint64_t version) override {
    return call<void>([=](PersistenceProvider& p) { return p.release_lease(key, holder, version); });
  }
  Task<Result<LeaseRecord>> read_lease(const ActorKey& key) override {
    return call<LeaseRecord>([=](PersistenceProvider& p) { return p.read_lease(key); });
  }
  Task<Result<std::vector<LeaseRecord>>> list_leases(std::optional<std::string> kind) override {
    return call<std::vector<LeaseRecord>>([=](PersistenceProvider& p) { return p.list_leases(kind); });
  }
  Task<Result<void>> write_snapshot(const Snapshot& snapshot, uint64_t expected_version) override {
    return call<void>([=](PersistenceProvider& p) { return p.write_snapshot(snapshot, expected_version); });
  }
  using PersistenceProvider::write_snapshot;  // the moving overload copies, through the one above
  Task<Result<std::vector<Snapshot>>> read_snapshots(const ActorKey& key) override {
    return call<std::vector<Snapshot>>([=](PersistenceProvider& p) { return p.read_snapshots(key); });
  }
  Task<Result<std::vector<ActorKey>>> list_snapshot_keys(std::optional<std::string> kind) override {
    return call<std::vector<ActorKey>>([=](PersistenceProvider& p) { return p.list_snapshot_keys(kind); });
  }
  Task<Result<uint64_t>> sweep_expired() override {
    return call<uint64_t>([](PersistenceProvider& p) { return p.sweep_expired(); });
  }
  Task<Result<void>> compact() {
    return call<void>([](PersistenceProvider& p) { return static_cast<LogProvider&>(p).compact(); });
  }
  size_t retained_versions() const override { return kRetained; }
  ProviderMetrics metrics() const override { return inner_ ? inner_->metrics() : ProviderMetrics{}; }
  Health health() const override { return inner_ ? inner_->health() : Health{}; }

 private:
  template <typename T, typename F>
  Task<Result<T>> call(F f) {
    if (!inner_) {
      LogProviderConfig config;
      config.dir = "store";
      config.retained_versions = kRetained;
      config.segment_bytes = 1024;
      auto opened = co_await LogProvider::open(disk_, clock_, executor_, config);
      if (!opened.ok()) co_return opened.error();
      if (!inner_) inner_ = std::move(*opened);
    }
    co_return co_await f(*inner_);
  }
  env::Disk& disk_;
  const env::Clock& clock_;
  env::Executor& executor_;
  std::unique_ptr<LogProvider> inner_;
};

class RemoteHarness {
 public:
  static constexpr bool kDurable = true;
  static constexpr bool kCompacts = true;
  RemoteHarness() : world_(options()) {}
  PersistenceProvider& provider() { return world_.client()->provider; }
  void advance(Duration d) { world_.world().run_for(d); }
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    auto pending = world_.start_on_client(
        0, [t = std::move(task)](testing::RemoteStoreWorld::ClientProcess&) mutable { return std::move(t); });
    auto out = world_.wait(pending, std::chrono::seconds(60));
    if (!out) return make_error(ErrorCode::kTimeout, "RemoteHarness: the call did not complete in 60 s");
    return std::move(*out);
  }
  // The store node crashes (its disk loses what was not synced, the last write may tear) and
  // boots again; the client's calls go to the recovered store.
  void crash() {
    if (!world_.world().crash(testing::RemoteStoreWorld::kStore).ok()) throw std::runtime_error("crash");
    world_.world().run_for(std::chrono::milliseconds(10));
    if (!world_.world().restart(testing::RemoteStoreWorld::kStore).ok()) throw std::runtime_error("restart");
    world_.world().run_for(std::chrono::milliseconds(10));
  }
  // A clean store restart is not a thing a remote client can ask for: the store reopens its
  // log after a crash instead (crash() covers recovery).
  void recover() { crash(); }
  Result<void> compact() {
    auto out = world_.run_on_store([](PersistenceProvider& p) { return static_cast<LazyLogProvider&>(p).compact(); });
    if (!out) return make_error(ErrorCode::kTimeout, "compact did not complete");
    return std::move(*out);
  }

 private:
  static testing::RemoteStoreWorldOptions options() {
    testing::RemoteStoreWorldOptions o;
    o.world.disk.tear_last_write_on_crash = true;
    o.make_store_provider = [](sim::NodeContext& ctx) -> std::unique_ptr<PersistenceProvider> {
      return std::make_unique<LazyLogProvider>(ctx);
    };
    return o;
  }
  testing::RemoteStoreWorld world_;
};

// Runs the state machine property with RC_PARAMS' settings and returns RapidCheck's result.
template <typename H>
rc::detail::TestResult check_model(const std::string& id) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = id;
  return rc::detail::checkTestable([] { check_against_model<H>(); }, metadata);
}

std::string message(const rc::detail::TestResult& result) {
  std::ostringstream ss;
  rc::detail::printResultMessage(result, ss);
  return ss.str();
}

bool bug_build() { return env::planted_bug(env::PlantedBug::kCasIgnoresVersion); }

TEST(ProviderModel, MemoryProviderAgreesWithTheModel) {
  if (bug_build()) {
    // The planted CAS bug: writes with a wrong expected version are accepted. The property
    // must be falsified, and the shrunk sequence must show it: a write with a wrong expected
    // version that the model refuses.
    auto result = check_model<MemoryHarness>("ProviderModel/MemoryPlantedCas");
    ASSERT_TRUE(result.template is<rc::detail::FailureResult>()) << "the planted CAS bug was not caught: " << message(result);
    const std::string text = message(result);
    std::printf("falsified as expected:\n%s\n", text.c_str());
    EXPECT_NE(text.find("expected latest"), std::string::npos) << text;
    return;
  }
  auto result = check_model<MemoryHarness>("ProviderModel/Memory");
  EXPECT_TRUE(result.template is<rc::detail::SuccessResult>()) << message(result);
}

TEST(ProviderModel, LogProviderAgreesWithTheModel) {
  auto result = check_model<LogHarness>("ProviderModel/Log");
  EXPECT_TRUE(result.template is<rc::detail::SuccessResult>()) << message(result);
}

TEST(ProviderModel, RemoteProviderAgreesWithTheModel) {
  auto result = check_model<RemoteHarness>("ProviderModel/Remote");
  EXPECT_TRUE(result.template is<rc::detail::SuccessResult>()) << message(result);
}

}  // namespace orbit::persistence::model
