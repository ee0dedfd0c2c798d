// orbit-store's HTTP endpoints on a real RocksDbProvider (temp dir), called directly: status
// codes, JSON shapes, the Prometheus page, hash verification, filters, a degraded store's 503.
#include "tools/store_endpoints.h"

#include <gtest/gtest.h>

#include <rocksdb/db.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/env/manual_executor.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/snapshot_hash.h"

namespace orbit::tools {
namespace {

using Json = nlohmann::json;
using persistence::ActorKey;
using persistence::Snapshot;

class StoreEndpointsTest : public ::testing::Test {
 protected:
  StoreEndpointsTest() {
    static std::atomic<int> counter{0};
    const char* base = std::getenv("TEST_TMPDIR");
    dir_ = std::string(base != nullptr ? base : "/tmp") + "/endpoints-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter++);
    std::filesystem::remove_all(dir_);
  }
  ~StoreEndpointsTest() override {
    provider_.reset();
    std::filesystem::remove_all(dir_);
  }

  void open() {
    auto opened = real::RocksDbProvider::open(real::RocksDbProviderOptions{dir_, 3, true}, ex_);
    ASSERT_TRUE(opened.ok()) << to_string(opened.error());
    provider_ = std::move(opened).value();
  }

  // Runs a provider call to completion (its flush is posted to ex_).
  template <typename T>
  Result<T> run(Task<Result<T>> task) {
    std::optional<Result<T>> out;
    TaskScope scope;
    scope.spawn([](Task<Result<T>> t, std::optional<Result<T>>* o) -> Task<void> {
      o->emplace(co_await std::move(t));
    }(std::move(task), &out));
    for (int i = 0; i < 10 && !out; ++i) ex_.run_ready();
    if (!out) return make_error(ErrorCode::kTimeout, "the call did not complete");
    return std::move(*out);
  }

  real::HttpResponse get(const std::string& target, const std::string& method = "GET") {
    std::optional<real::HttpResponse> out;
    TaskScope scope;
    scope.spawn([](Task<real::HttpResponse> t, std::optional<real::HttpResponse>* o) -> Task<void> {
      o->emplace(co_await std::move(t));
    }(store_route(real::HttpRequest{method, target, ""}, provider_.get(), &ex_, 7), &out));
    for (int i = 0; i < 10 && !out; ++i) ex_.run_ready();
    EXPECT_TRUE(out.has_value()) << target;
    return out.value_or(real::HttpResponse{0, "", ""});
  }

  Json get_json(const std::string& target, int want_status = 200) {
    real::HttpResponse r = get(target);
    EXPECT_EQ(r.status, want_status) << target << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json") << target;
    Json j = Json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // Acquires `key` for `holder` and writes `text` as the next version (bad_hash: a wrong sha256).
  void write(const ActorKey& key, const std::string& holder, const std::string& text, bool bad_hash = false) {
    auto lease = run(provider_->acquire_lease(key, holder, 10s, {{"node", "n"}}));
    ASSERT_TRUE(lease.ok() && lease->granted);
    auto existing = run(provider_->read_snapshots(key));
    ASSERT_TRUE(existing.ok());
    Snapshot s;
    s.key = key;
    s.version = existing->empty() ? 1 : existing->front().version + 1;
    s.state = to_bytes(text);
    s.sha256 = persistence::sha256_hex(s.state);
    if (bad_hash) s.sha256[0] = s.sha256[0] == 'a' ? 'b' : 'a';
    s.fencing_token = lease->record.version;
    s.node = "3";
    s.tags = {{"t", "x"}};
    ASSERT_TRUE(run(provider_->write_snapshot(s, s.version - 1)).ok());
  }

  env::ManualExecutor ex_;
  std::string dir_;
  std::unique_ptr<real::RocksDbProvider> provider_;
};

TEST_F(StoreEndpointsTest, HealthOfAHealthyStore) {
  open();
  write({"counter", "a"}, "h1", R"({"value":1})");
  Json j = get_json("/health");
  EXPECT_EQ(j["state"], "healthy");
  EXPECT_EQ(j["reason"], "");
  EXPECT_EQ(j["node"], 7);
  EXPECT_EQ(j["role"], "store");
  EXPECT_EQ(j["lease_records"], 1);
  EXPECT_EQ(j["snapshot_keys"], 1);
  EXPECT_EQ(j["retained_versions"], 3);
}

TEST_F(StoreEndpointsTest, ADegradedStoreAnswers503WithTheReason) {
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), std::string("l:\0\0\0\1kx", 8), "\xc1 not msgpack").ok());
  }
  open();
  Json j = get_json("/health", 503);
  EXPECT_EQ(j["state"], "degraded");
  EXPECT_NE(j["reason"].get<std::string>().find("unreadable"), std::string::npos) << j.dump();
  real::HttpResponse metrics = get("/metrics");
  EXPECT_NE(metrics.body.find("\norbit_store_health 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("\norbit_store_corrupt_records_total 1\n"), std::string::npos);
}

TEST_F(StoreEndpointsTest, MetricsArePrometheusText) {
  open();
  write({"counter", "a"}, "h1", "1");
  write({"counter", "a"}, "h1", "2");
  real::HttpResponse r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line : {"# TYPE orbit_store_snapshot_writes_total counter\norbit_store_snapshot_writes_total 2\n",
                           "orbit_store_lease_acquires_total 2\n",  // the same holder's re-acquire counts too
                           "# TYPE orbit_store_held_leases gauge\norbit_store_held_leases 1\n",
                           "orbit_store_snapshots 2\n", "orbit_store_snapshot_keys 1\n", "orbit_store_health 0\n",
                           "# HELP orbit_store_fencing_rejections_total "}) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line << "\n" << r.body;
  }
}

TEST_F(StoreEndpointsTest, LeasesAreSortedFilteredAndJudgedOnTheStoreClock) {
  open();
  write({"register", "b"}, "h2", "x");
  write({"counter", "z"}, "h1", "x");
  write({"counter", "a"}, "h3", "x");
  Json all = get_json("/leases");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["key"], (Json{{"kind", "counter"}, {"id", "a"}}));
  EXPECT_EQ(all[1]["key"]["id"], "z");
  EXPECT_EQ(all[2]["key"]["kind"], "register");
  EXPECT_EQ(all[0]["holder"], "h3");
  EXPECT_EQ(all[0]["held"], true);
  EXPECT_EQ(all[0]["expires_in_ms"], 10000);
  EXPECT_EQ(all[0]["metadata"], (Json{{"node", "n"}}));
  Json counters = get_json("/leases?kind=counter");
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(get_json("/leases?kind=nothing").size(), 0u);
  ex_.advance(11s);
  Json later = get_json("/leases?kind=register");
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0]["held"], false);
  EXPECT_EQ(later[0]["expires_in_ms"], -1000);
}

TEST_F(StoreEndpointsTest, StateShowsTheLatestSnapshotAndVerifiesHashes) {
  open();
  write({"counter", "a"}, "h1", R"({"value":1})");
  write({"counter", "a"}, "h1", R"({"value":2})");
  Json j = get_json("/state/counter/a");
  EXPECT_EQ(j["key"], (Json{{"kind", "counter"}, {"id", "a"}}));
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["hash_verified"], true);
  EXPECT_EQ(j["sha256"], persistence::sha256_hex(to_bytes(R"({"value":2})")));
  EXPECT_EQ(j["state"], (Json{{"value", 2}}));
  EXPECT_EQ(j["state_text"], R"({"value":2})");
  EXPECT_EQ(j["fencing_token"], 1);
  EXPECT_EQ(j["node"], "3");
  EXPECT_EQ(j["tags"], (Json{{"t", "x"}}));
  ASSERT_EQ(j["versions"].size(), 2u);
  EXPECT_EQ(j["versions"][1]["version"], 1);
  EXPECT_EQ(j["lease"]["holder"], "h1");

  // A stored hash that does not match: reported, not repaired; state that is not JSON: null.
  write({"counter", "rot"}, "h1", "not json", /*bad_hash=*/true);
  Json rot = get_json("/state/counter/rot");
  EXPECT_EQ(rot["hash_verified"], false);
  EXPECT_EQ(rot["versions"][0]["hash_verified"], false);
  EXPECT_TRUE(rot["state"].is_null());
  EXPECT_EQ(rot["state_text"], "not json");

  // Ids may hold '/' and escaped characters.
  write({"counter", "a/b c"}, "h1", "1");
  EXPECT_EQ(get_json("/state/counter/a%2Fb%20c")["key"]["id"], "a/b c");
  EXPECT_EQ(get_json("/state/counter/a/b%20c")["key"]["id"], "a/b c");

  EXPECT_EQ(get("/state/counter/none").status, 404);
  EXPECT_EQ(get("/state/counter").status, 400);
  EXPECT_EQ(get("/state/counter/").status, 400);
}

TEST_F(StoreEndpointsTest, UnknownPathsAndMethods) {
  open();
  real::HttpResponse missing = get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("/leases"), std::string::npos) << "the 404 names the endpoints";
  EXPECT_EQ(get("/leases", "POST").status, 405);
  EXPECT_EQ(get("/health", "DELETE").status, 405);
}

}  // namespace
}  // namespace orbit::tools
