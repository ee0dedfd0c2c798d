// orbit_store_test_client (test-only): one provider call against a running orbit-store, made
// the way members make them: RemoteProvider over RpcNode over the real TCP transport. The
// orbit-store/orbit-cli test uses it to put leases and snapshots into a store.
//
//   orbit_store_test_client --id 100 --listen 127.0.0.1:P --store 1=127.0.0.1:SP <op>
//     acquire --key KIND/ID --holder H [--duration 30s]    prints {"granted":..,"version":..}
//     write   --key KIND/ID --holder H --state TEXT [--bad-hash]
//             acquires the lease for H (idempotent for the same holder), writes the next
//             version under its token; --bad-hash stores a sha256 that does not match TEXT
//     release --key KIND/ID --holder H
// The store must list this client as a --peer (replies travel on the client's listener).
// Exit 0 when the call succeeded, 1 when it failed (the message names it), 2 for bad flags.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runtime/config/duration.h"
#include "runtime/env/env.h"
#include "runtime/env/fault_points.h"
#include "runtime/env/random.h"
#include "runtime/env/recorder.h"
#include "runtime/env/task_scope.h"
#include "runtime/persistence/remote_provider.h"
#include "runtime/persistence/snapshot_hash.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/http_client.h"
#include "runtime/real/posix_disk.h"
#include "runtime/real/tcp_transport.h"
#include "runtime/rpc/rpc_node.h"

namespace orbit::tools {
namespace {

using Json = nlohmann::json;
using persistence::ActorKey;
using persistence::RemoteProvider;

struct Flags {
  uint32_t id = 100;
  std::string listen = "127.0.0.1:0";
  std::string store;
  std::string key;
  std::string holder;
  std::string duration = "30s";
  std::string state;
  bool bad_hash = false;
};

// Outcome of the one call: exit code and the line to print.
struct Outcome {
  int code = 1;
  std::string text;
};

Task<void> acquire(RemoteProvider* p, ActorKey key, std::string holder, Duration duration, Outcome* out) {
  const persistence::Tags metadata{{"client", "test"}};  // no braced lists inside co_await (GCC 12)
  auto r = co_await p->acquire_lease(key, holder, duration, metadata);
  if (!r) {
    out->text = "acquire " + key.to_string() + ": " + to_string(r.error());
    co_return;
  }
  out->code = r->granted ? 0 : 1;
  out->text = Json{{"granted", r->granted}, {"version", r->record.version}, {"holder", r->record.holder}}.dump();
}

Task<void> write(RemoteProvider* p, ActorKey key, std::string holder, Duration duration, std::string text,
                 bool bad_hash, Outcome* out) {
  const persistence::Tags metadata{{"client", "test"}};
  auto lease = co_await p->acquire_lease(key, holder, duration, metadata);
  if (!lease || !lease->granted) {
    out->text = "write " + key.to_string() + ": lease not granted" + (lease ? "" : ": " + to_string(lease.error()));
    co_return;
  }
  auto existing = co_await p->read_snapshots(key);
  if (!existing) {
    out->text = "write " + key.to_string() + ": read snapshots: " + to_string(existing.error());
    co_return;
  }
  const uint64_t latest = existing->empty() ? 0 : existing->front().version;
  persistence::Snapshot s;
  s.key = key;
  s.version = latest + 1;
  s.state = to_bytes(text);
  s.sha256 = persistence::sha256_hex(s.state);
  if (bad_hash) s.sha256[0] = s.sha256[0] == '0' ? '1' : '0';
  s.fencing_token = lease->record.version;
  s.updated_at_ns = to_nanos(env::current_executor()->clock().wall_now());
  s.created_at_ns = s.updated_at_ns;
  s.node = "test-client";
  s.tags = {{"writer", "orbit_store_test_client"}};
  auto wrote = co_await p->write_snapshot(s, latest);
  if (!wrote) {
    out->text = "write " + key.to_string() + ": " + to_string(wrote.error());
    co_return;
  }
  out->code = 0;
  out->text = Json{{"version", s.version}, {"fencing_token", s.fencing_token}, {"sha256", s.sha256}}.dump();
}

Task<void> release(RemoteProvider* p, ActorKey key, std::string holder, Outcome* out) {
  auto lease = co_await p->read_lease(key);
  if (!lease) {
    out->text = "release " + key.to_string() + ": " + to_string(lease.error());
    co_return;
  }
  auto r = co_await p->release_lease(key, holder, lease->version);
  if (!r) {
    out->text = "release " + key.to_string() + ": " + to_string(r.error());
    co_return;
  }
  out->code = 0;
  out->text = Json{{"released", true}, {"version", lease->version}}.dump();
}

int run(int argc, char** argv) {
  Flags f;
  CLI::App app{"orbit_store_test_client: one RemoteProvider call against orbit-store (tests only)"};
  app.add_option("--id", f.id, "this client's node id");
  app.add_option("--listen", f.listen, "this client's transport address (the store must know it)");
  app.add_option("--store", f.store, "ID=HOST:PORT of the store's transport")->required();
  app.require_subcommand(1);
  for (const char* name : {"acquire", "write", "release"}) {
    CLI::App* op = app.add_subcommand(name);
    op->add_option("--key", f.key, "KIND/ID")->required();
    op->add_option("--holder", f.holder, "lease holder")->required();
    if (std::string(name) != "release") op->add_option("--duration", f.duration, "lease duration");
    if (std::string(name) == "write") {
      op->add_option("--state", f.state, "state text")->required();
      op->add_flag("--bad-hash", f.bad_hash, "store a sha256 that does not match the state");
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const std::string op = app.get_subcommands().front()->get_name();
  const size_t eq = f.store.find('=');
  Result<real::HostPort> store_address = real::parse_host_port(eq == std::string::npos ? "" : f.store.substr(eq + 1));
  Result<real::HostPort> listen = real::parse_host_port(f.listen);
  const size_t slash = f.key.find('/');
  Result<Duration> duration = config::parse_duration(f.duration);
  if (eq == std::string::npos || !store_address || !listen || slash == std::string::npos || !duration) {
    std::fprintf(stderr, "orbit_store_test_client: bad --store, --listen, --key or --duration\n");
    return 2;
  }
  const env::NodeId store_id = static_cast<env::NodeId>(std::stoul(f.store.substr(0, eq)));
  const ActorKey key{f.key.substr(0, slash), f.key.substr(slash + 1)};

  real::AsioExecutor executor;
  // Seeded per run: the RpcNode's session comes from it, and the store drops requests whose
  // (sender, session, id) it has seen, so two runs must not share a session.
  std::random_device entropy;
  env::Random random((uint64_t{entropy()} << 32) ^ entropy());
  real::TcpTransportOptions options;
  options.self = f.id;
  options.listen = *listen;
  options.peers = {{store_id, *store_address}};
  auto transport = real::TcpTransport::open(executor, options, random.fork());
  if (!transport) {
    std::fprintf(stderr, "orbit_store_test_client: %s\n", transport.error().message.c_str());
    return 1;
  }
  auto disk = real::PosixDisk::open_root(std::filesystem::temp_directory_path().string());
  if (!disk) return 1;
  env::NullRecorder recorder;
  env::NoFaultPoints faults;
  env::Env env{f.id, executor, executor.clock(), **transport, **disk, random, recorder, faults};
  Outcome outcome{1, "the call did not finish within 15s"};
  bool done = false;
  {
    rpc::RpcNode rpc(env);
    persistence::RemoteProviderConfig config;
    config.store = store_id;
    config.call_timeout = std::chrono::seconds(3);
    RemoteProvider provider(rpc, config);
    TaskScope scope;
    executor.post([&] {
      Task<void> call = op == "acquire" ? acquire(&provider, key, f.holder, *duration, &outcome)
                        : op == "write" ? write(&provider, key, f.holder, *duration, f.state, f.bad_hash, &outcome)
                                        : release(&provider, key, f.holder, &outcome);
      scope.spawn([](Task<void> t, bool* flag) -> Task<void> {
        co_await std::move(t);
        *flag = true;
      }(std::move(call), &done));
    });
    (void)executor.run_until([&] { return done; }, std::chrono::seconds(15));
    scope.cancel_all();
    rpc.shutdown();
  }
  (*transport)->close();
  executor.run_for(std::chrono::milliseconds(10));
  std::fprintf(outcome.code == 0 ? stdout : stderr, "%s\n", outcome.text.c_str());
  return outcome.code;
}

}  // namespace
}  // namespace orbit::tools

int main(int argc, char** argv) { return orbit::tools::run(argc, argv); }
