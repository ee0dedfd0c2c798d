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

[[noreturn]] void die(int code, const std::string& message) {
  std::fprintf(stderr, "orbit-store: %s\n", message.c_str());
  std::exit(code);
}

real::PeerTable parse_peers(const std::vector<std::string>& specs, uint32_t self) {
  real::PeerTable table;
  for (const std::string& spec : specs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) die(2, "--peer " + spec + ": expected ID=HOST:PORT");
    const std::string id_text = spec.substr(0, eq);
    uint64_t id = 0;
    if (id_text.empty() || id_text.find_first_not_of("0123456789") != std::string::npos || id_text.size() > 9) {
      die(2, "--peer " + spec + ": the node id must be a non-negative integer");
    }
    id = std::stoull(id_text);
    if (id == self) die(2, "--peer " + spec + ": that is this store's own --id");
    Result<real::HostPort> hp = real::parse_host_port(spec.substr(eq + 1));
    if (!hp) die(2, "--peer " + spec + ": " + hp.error().message);
    if (table.contains(static_cast<env::NodeId>(id))) die(2, "--peer " + spec + ": node " + id_text + " given twice");
    table[static_cast<env::NodeId>(id)] = *hp;
  }
  return table;
}

std::shared_ptr<spdlog::logger> make_logger(uint32_t id, const std::string& level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    die(2, "--log-level " + level + ": expected trace, debug, info, warn, error or off");
  }
  auto logger = spdlog::stderr_logger_mt("orbit-store");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l node=" + std::to_string(id) + " role=store msg=\"%v\"",
                      spdlog::pattern_time_type::utc);
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

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

  auto log = make_logger(f.id, f.log_level);
  Result<real::HostPort> listen = real::parse_host_port(f.listen);
  if (!listen) die(2, "--listen " + f.listen + ": " + listen.error().message);
  Result<real::HostPort> http = real::parse_host_port(f.http);
  if (!http) die(2, "--http " + f.http + ": " + http.error().message);
  const real::PeerTable peers = parse_peers(f.peers, f.id);
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

  std::random_device entropy;
  env::Random random((uint64_t{entropy()} << 32) ^ entropy() ^ f.id);
  real::TcpTransportOptions transport_options;
  transport_options.self = f.id;
  transport_options.listen = *listen;
  transport_options.peers = peers;
  transport_options.reconnect_backoff_max = std::chrono::milliseconds(500);
  auto transport = real::TcpTransport::open(executor, transport_options, random.fork());
  if (!transport) die(1, "cannot listen on --listen " + f.listen + ": " + transport.error().message);
  (*transport)->set_log_handler([log](real::TcpTransport::LogLevel level, std::string_view message) {
    switch (level) {
      case real::TcpTransport::LogLevel::kInfo: log->debug("{}", message); break;
      case real::TcpTransport::LogLevel::kWarning: log->info("{}", message); break;
      case real::TcpTransport::LogLevel::kError: log->error("{}", message); break;
    }
  });
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

  recorder->record("store_start", {{"pid", static_cast<int64_t>(::getpid())}});
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
  recorder->record("store_stop", Json::object());
  log->info("stopped");
  return 0;
}

}  // namespace
}  // namespace orbit::tools

int main(int argc, char** argv) { return orbit::tools::run(argc, argv); }
