// orbit-store: the storage server as an OS process. A StorageNode (runtime/node: RpcNode +
// StorageServer) serves a RocksDbProvider to the cluster over the TCP transport, so leases
// and snapshots survive any member's restart and the store's own (every acknowledged write
// is in RocksDB's fsynced WAL before the reply leaves).
//
// Operations: spdlog logs on stderr (logfmt: ts, level, node, msg); an HTTP endpoint for
// orbit-cli and scrapers (/health, /metrics, /leases, /state/<kind>/<id>: store_endpoints.h).
// SIGTERM or SIGINT: stop serving (HTTP, then RPC), close RocksDB, exit 0.
//
// Exit codes: 0 clean shutdown; 1 a runtime failure (cannot bind, cannot open the data
// directory); 2 bad flags (the message names the flag).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "runtime/config/duration.h"
#include "runtime/env/env.h"
#include "runtime/env/fault_points.h"
#include "runtime/env/random.h"
#include "runtime/env/recorder.h"
#include "runtime/env/sleep.h"
#include "runtime/env/task_scope.h"
#include "runtime/node/orbit_node.h"
#include "runtime/persistence/storage_server.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/http_client.h"
#include "runtime/real/http_server.h"
#include "runtime/real/jsonl_recorder.h"
#include "runtime/real/posix_disk.h"
#include "runtime/real/rocksdb_provider.h"
#include "runtime/real/tcp_transport.h"
#include "tools/real/process_setup.h"
#include "tools/store_endpoints.h"

namespace orbit::tools {
namespace {

using Json = nlohmann::json;
using persistence::ActorKey;
using persistence::HealthState;
using persistence::LeaseRecord;
using persistence::Snapshot;

struct Flags {
  uint32_t id = 0;
  std::string listen = "127.0.0.1:0";
  std::string http = "127.0.0.1:0";
  std::string data_dir;
  std::vector<std::string> peers;
  size_t retained_versions = 3;
  std::string log_level = "info";
  std::string history;
  int64_t epoch_ns = 0;
  std::string sweep_interval = "5s";
};

[[noreturn]] void die(int code, const std::string& message) { tools::die("orbit-store", code, message); }

int run(int argc, char** argv) {
  Flags f;
  CLI::App app{"orbit-store: the storage server (RocksDB) of a real-mode cluster (see docs/REAL_MODE.md)"};
  app.add_option("--id", f.id, "this store's node id (persistence.remote.store_node)")->required();
  app.add_option("--listen", f.listen, "transport address HOST:PORT (port 0: any free port)");
  app.add_option("--http", f.http, "HTTP address HOST:PORT for /health, /metrics, /leases, /state");
  app.add_option("--data-dir", f.data_dir, "RocksDB directory (created if missing)")->required();
  app.add_option("--peer", f.peers, "ID=HOST:PORT of every member that calls the store (repeat)");
  app.add_option("--retained-versions", f.retained_versions, "snapshot versions kept per actor")
      ->check(CLI::Range(size_t{1}, size_t{1000}));
  app.add_option("--log-level", f.log_level, "trace|debug|info|warn|error|off");
  app.add_option("--history", f.history, "append this process's history (JSON Lines) to FILE");
  app.add_option("--epoch-ns", f.epoch_ns, "the run's common epoch: history time = CLOCK_REALTIME - epoch");
  app.add_option("--sweep-interval", f.sweep_interval, "remove expired snapshots this often (0s: never)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "orbit-store: %s\n", e.what());
    return 2;
  }

  auto made_log = make_logger("orbit-store", "store", f.id, f.log_level);
  if (!made_log) die(2, made_log.error().message);
  std::shared_ptr<spdlog::logger> log = *made_log;
  Result<real::HostPort> listen = real::parse_host_port(f.listen);
  if (!listen) die(2, "--listen " + f.listen + ": " + listen.error().message);
  Result<real::HostPort> http = real::parse_host_port(f.http);
  if (!http) die(2, "--http " + f.http + ": " + http.error().message);
  Result<real::PeerTable> parsed_peers = parse_peers(f.peers, f.id);
  if (!parsed_peers) die(2, parsed_peers.error().message);
  const real::PeerTable peers = *parsed_peers;
  Result<Duration> sweep_interval = config::parse_duration(f.sweep_interval);
  if (!sweep_interval) die(2, "--sweep-interval " + f.sweep_interval + ": " + sweep_interval.error().message);
  if (*sweep_interval < Duration::zero()) die(2, "--sweep-interval " + f.sweep_interval + ": must not be negative");
  if (f.data_dir.empty()) die(2, "--data-dir must not be empty");

  std::unique_ptr<env::Recorder> recorder;
  if (!f.history.empty()) {
    auto opened = real::JsonlRecorder::open(f.history, f.id, f.epoch_ns);
    if (!opened) die(1, "--history " + f.history + ": " + opened.error().message);
    recorder = std::move(*opened);
  } else {
    recorder = std::make_unique<env::NullRecorder>();
  }

  real::AsioExecutor executor;
  auto provider = real::RocksDbProvider::open(real::RocksDbProviderOptions{f.data_dir, f.retained_versions, true},
                                              executor);
  if (!provider) {
    die(provider.code() == ErrorCode::kInvalidArgument ? 2 : 1,
        "--data-dir " + f.data_dir + ": cannot open the store: " + provider.error().message);
  }
  real::RocksDbProvider* store = provider->get();
  log->info("opened RocksDB at {}: {} lease records, {} actors with snapshots, health {}", f.data_dir,
            store->state().leases().size(), store->state().snapshots().size(),
            persistence::wire::to_string(store->health().state));

  env::Random random = os_seeded_random(f.id);
  auto transport = open_transport(executor, f.id, *listen, peers, random, log);
  if (!transport) die(1, "cannot listen on --listen " + f.listen + ": " + transport.error().message);
  // The store keeps no files through env::Disk (RocksDB does its own I/O); the seam still
  // wants one, rooted in the data directory.
  auto disk = real::PosixDisk::open_root(f.data_dir);
  if (!disk) die(1, "--data-dir " + f.data_dir + ": " + disk.error().message);
  env::NoFaultPoints faults;
  env::Env env{f.id, executor, executor.clock(), **transport, **disk, random, *recorder, faults};
  auto storage = std::make_unique<node::StorageNode>(env, std::move(*provider));

  const env::Clock* clock = &executor.clock();
  const uint32_t id = f.id;
  auto server = real::HttpServer::open(executor, *http, [store, clock, id](real::HttpRequest request) {
    return store_route(std::move(request), store, clock, id);
  });
  if (!server) die(1, "cannot listen on --http " + f.http + ": " + server.error().message);

  TaskScope background;
  if (*sweep_interval > Duration::zero()) {
    background.spawn([](real::AsioExecutor* ex, real::RocksDbProvider* p, Duration every,
                        std::shared_ptr<spdlog::logger> logger) -> Task<void> {
      while (true) {
        co_await sleep(*ex, every);
        Result<uint64_t> removed = co_await p->sweep_expired();
        if (!removed) {
          logger->error("sweep failed: {}", to_string(removed.error()));
        } else if (*removed > 0) {
          logger->info("sweep removed {} expired snapshots", *removed);
        }
      }
    }(&executor, store, *sweep_interval, log));
  }

  boost::asio::signal_set signals(executor.io_context(), SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log->info("signal {}: shutting down", signal);
    executor.stop();
  });

  recorder->record(history::StoreStart{static_cast<int64_t>(::getpid())});
  std::printf("ready %u %u\n", static_cast<unsigned>((*transport)->local_port()),
              static_cast<unsigned>((*server)->local_port()));
  std::fflush(stdout);
  log->info("ready: transport {} http {}, {} peers, data dir {}", (*transport)->local_port(), (*server)->local_port(),
            peers.size(), f.data_dir);

  executor.run();

  // Stop taking requests, then stop serving RPCs, then close RocksDB (the StorageNode owns it).
  signals.cancel();
  (*server)->close();
  background.cancel_all();
  storage.reset();
  (*transport)->close();
  executor.run_for(std::chrono::milliseconds(20));
  recorder->record(history::StoreStop{});
  log->info("stopped");
  return 0;
}

}  // namespace
}  // namespace orbit::tools

int main(int argc, char** argv) { return orbit::tools::run(argc, argv); }
