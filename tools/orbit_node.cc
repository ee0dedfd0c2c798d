// orbit-node: one Orbit cluster member as an OS process. The same composition the simulator
// tests (runtime/node OrbitNode) over the real seam (runtime/real): Asio executor, OS clock
// with an adjustable offset, TCP transport with a drop filter, POSIX disk. Persistence lives
// in orbit-store (persistence.remote.store_node), reached over the transport.
//
// Operations: spdlog logs on stderr (logfmt: ts, level, node, msg), an HTTP endpoint with
// /metrics (Prometheus text), /health, and the launcher's fault hooks /admin/partition and
// /admin/clock. SIGTERM or SIGINT: stop the client drivers, deactivate every actor (final
// snapshots, lease releases), leave the membership, exit 0.
//
// Client drivers (the scenarios' Jepsen-style clients, scenarios/workload) can run inside the
// process and record op_invoke/op_complete into the node's history (--history), which the
// launcher merges with every other process's. `--workload bench` runs a closed-loop load
// instead and prints its throughput and latency as one JSON line at exit.
//
// Exit codes: 0 clean shutdown; 1 a runtime failure (cannot bind, the store unreachable at
// start); 2 bad flags or configuration (the message names the flag or the key).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "runtime/cluster/placement_ring.h"
#include "runtime/config/duration.h"
#include "runtime/config/orbit_config.h"
#include "runtime/env/env.h"
#include "runtime/env/sleep.h"
#include "runtime/env/task_scope.h"
#include "runtime/node/node_config.h"
#include "runtime/node/orbit_node.h"
#include "runtime/persistence/storage_server.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/http_client.h"
#include "runtime/real/http_server.h"
#include "runtime/real/jsonl_recorder.h"
#include "runtime/real/posix_disk.h"
#include "runtime/real/tcp_transport.h"
#include "scenarios/workload/clients.h"
#include "scenarios/workload/kinds.h"
#include "tools/real/bench_actor.h"
#include "tools/real/process_setup.h"
#include "tools/real/real_fault_points.h"

namespace orbit::tools {
namespace {

namespace asio = boost::asio;
using Json = nlohmann::json;

struct Flags {
  std::string config_path;
  uint32_t id = 0;
  std::string listen = "127.0.0.1:0";
  std::string http = "127.0.0.1:0";
  std::vector<std::string> peers;
  std::string history;
  int64_t epoch_ns = 0;
  std::string log_level = "info";
  std::string data_dir = ".";
  uint64_t incarnation = 1;
  std::string store_timeout = "10s";
  // Client drivers.
  uint32_t clients = 0;
  std::string workload = "register";
  uint32_t actors = 3;
  std::string run_for;  // empty: until shutdown
  std::string op_timeout = "6s";
  double read_share = 0.5;
  std::vector<std::string> fault_points;
  std::string bench_affinity = "spread";
};

[[noreturn]] void die(int code, const std::string& message) { tools::die("orbit-node", code, message); }

Duration duration_flag(const std::string& flag, const std::string& text) {
  Result<Duration> d = config::parse_duration(text);
  if (!d) die(2, flag + " " + text + ": " + d.error().message);
  return *d;
}

// True once a TCP connection to `to` succeeds; retries until `limit` has passed.
bool store_reachable(const real::HostPort& to, Duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    asio::ip::tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(to.host, std::to_string(to.port), ec);
    if (!ec) {
      bool connected = false;
      asio::async_connect(socket, endpoints, [&](const boost::system::error_code& e, const auto&) { connected = !e; });
      io.run_for(std::chrono::milliseconds(500));
      if (connected) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The bench driver's tally (one node).
struct BenchTally {
  uint64_t calls = 0;
  uint64_t errors = 0;
  std::vector<int64_t> latencies_ns;
  MonoTime started{};
  MonoTime stopped{};
};

// The first id "b<client>.<k>" whose identity owner is this node in the current view, so
// every call stays in the process (the runtime's dispatch cost without the network).
std::string local_actor_id(node::OrbitNode& node, uint32_t client) {
  std::vector<cluster::Member> members;
  for (const auto& info : node.membership().view().members) members.push_back(info.member);
  const cluster::PlacementRing ring(members, node.actors().config().vnodes_per_member);
  for (uint32_t k = 0;; ++k) {
    std::string id = "b" + std::to_string(client) + "." + std::to_string(k);
    auto owner = ring.owner(BenchActor::kKind, id);
    if (!owner || owner->id == node.env().node || k > 10000) return id;
  }
}

Task<void> bench_client(node::OrbitNode& node, std::string actor_id, bool local, uint32_t client,
                        std::shared_ptr<scenarios::ClientShared> shared, std::shared_ptr<BenchTally> tally) {
  const env::Clock& clock = node.env().clock;
  if (local) {
    // Let the membership views converge before choosing (every node starts within ~1 s).
    co_await sleep(node.env().executor, std::chrono::milliseconds(1500));
    actor_id = local_actor_id(node, client);
  }
  while (!shared->stopped) {
    const MonoTime t0 = clock.mono_now();
    Result<int64_t> r = co_await node.actors().get<BenchActor>(actor_id).call(1, std::chrono::seconds(5));
    const MonoTime t1 = clock.mono_now();
    if (shared->stopped) break;
    if (t0 < tally->started) continue;  // the warm-up (activations, connections) is not measured
    if (r.ok()) {
      ++tally->calls;
      if (tally->latencies_ns.size() < 4'000'000) tally->latencies_ns.push_back((t1 - t0).count());
    } else {
      ++tally->errors;
    }
  }
}

// Runs one client driver and counts it out when it ends (the launcher waits for zero).
Task<void> counted(Task<void> client, std::shared_ptr<uint32_t> running) {
  co_await client;
  --*running;
}

Json bench_summary(BenchTally& tally) {
  std::sort(tally.latencies_ns.begin(), tally.latencies_ns.end());
  auto pct = [&](double p) -> int64_t {
    if (tally.latencies_ns.empty()) return 0;
    size_t rank = static_cast<size_t>(p * static_cast<double>(tally.latencies_ns.size()));
    return tally.latencies_ns[std::min(rank, tally.latencies_ns.size() - 1)];
  };
  const double seconds = std::chrono::duration<double>(tally.stopped - tally.started).count();
  return Json{{"calls", tally.calls},
              {"errors", tally.errors},
              {"seconds", seconds},
              {"calls_per_second", seconds > 0 ? static_cast<double>(tally.calls) / seconds : 0.0},
              {"p50_us", pct(0.50) / 1000.0},
              {"p99_us", pct(0.99) / 1000.0}};
}

std::string transport_metrics(const real::TcpTransport& t) {
  const real::TcpTransportStats& s = t.stats();
  std::ostringstream out;
  auto line = [&](const char* name, uint64_t v) {
    out << "# TYPE " << name << " counter\n" << name << " " << v << "\n";
  };
  line("orbit_transport_frames_sent_total", s.frames_sent);
  line("orbit_transport_frames_received_total", s.frames_received);
  line("orbit_transport_frames_dropped_blocked_out_total", s.frames_dropped_blocked_out);
  line("orbit_transport_frames_dropped_blocked_in_total", s.frames_dropped_blocked_in);
  line("orbit_transport_frames_dropped_queue_full_total", s.frames_dropped_queue_full);
  line("orbit_transport_connections_broken_total", s.connections_broken);
  return out.str();
}

int run(int argc, char** argv) {
  Flags f;
  CLI::App app{"orbit-node: one Orbit cluster member (see docs/REAL_MODE.md)"};
  app.add_option("--config", f.config_path, "orbit.toml")->required();
  app.add_option("--id", f.id, "this node's id")->required();
  app.add_option("--listen", f.listen, "transport address HOST:PORT (port 0: any free port)");
  app.add_option("--http", f.http, "HTTP address HOST:PORT for /metrics, /health, /admin/*");
  app.add_option("--peer", f.peers, "ID=HOST:PORT of another member or the store (repeat)");
  app.add_option("--history", f.history, "append this process's history (JSON Lines) to FILE");
  app.add_option("--epoch-ns", f.epoch_ns, "the run's common epoch: history time = CLOCK_REALTIME - epoch");
  app.add_option("--log-level", f.log_level, "trace|debug|info|warn|error|off");
  app.add_option("--data-dir", f.data_dir, "the node's disk root (a member keeps no state there today)");
  app.add_option("--incarnation", f.incarnation, "boot count, strictly increasing across restarts of this id")
      ->check(CLI::Range(uint64_t{1}, uint64_t{255}));
  app.add_option("--store-timeout", f.store_timeout, "give up when the store is unreachable this long at start");
  app.add_option("--clients", f.clients, "client drivers to run in this process (0: none)");
  app.add_option("--workload", f.workload, "register|counter|bench")->check(CLI::IsMember({"register", "counter", "bench"}));
  app.add_option("--actors", f.actors, "actor ids the clients use")->check(CLI::Range(1u, 100000u));
  app.add_option("--run-for", f.run_for, "stop the clients after this long (e.g. 20s); default: at shutdown");
  app.add_option("--op-timeout", f.op_timeout, "client operation timeout");
  app.add_option("--read-share", f.read_share, "share of register reads")->check(CLI::Range(0.0, 1.0));
  app.add_option("--fault-point", f.fault_points, "SITE=PROBABILITY (test-only binaries)");
  app.add_option("--bench-affinity", f.bench_affinity, "bench: spread (ids over the ring) | local (ids this node owns)")
      ->check(CLI::IsMember({"spread", "local"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "orbit-node: %s\n", e.what());
    return 2;
  }

  auto made_log = make_logger("orbit-node", "node", f.id, f.log_level);
  if (!made_log) die(2, made_log.error().message);
  std::shared_ptr<spdlog::logger> log = *made_log;
  const Duration store_timeout = duration_flag("--store-timeout", f.store_timeout);
  const Duration op_timeout = duration_flag("--op-timeout", f.op_timeout);
  const std::optional<Duration> run_for =
      f.run_for.empty() ? std::nullopt : std::optional<Duration>(duration_flag("--run-for", f.run_for));

  std::ifstream config_file(f.config_path);
  if (!config_file) die(2, "cannot read --config '" + f.config_path + "'");
  std::stringstream config_text;
  config_text << config_file.rdbuf();
  Result<config::OrbitConfig> parsed = config::parse_config(config_text.str(), f.config_path);
  if (!parsed) die(2, parsed.error().message);
  Result<node::NodeConfig> node_config = node::to_node_config(*parsed);
  if (!node_config) die(2, f.config_path + ": " + node_config.error().message);

  Result<real::HostPort> listen = real::parse_host_port(f.listen);
  if (!listen) die(2, "--listen " + f.listen + ": " + listen.error().message);
  Result<real::HostPort> http = real::parse_host_port(f.http);
  if (!http) die(2, "--http " + f.http + ": " + http.error().message);
  Result<real::PeerTable> parsed_peers = parse_peers(f.peers, f.id);
  if (!parsed_peers) die(2, parsed_peers.error().message);
  real::PeerTable peers = *parsed_peers;
  const env::NodeId store_id = node_config->store.store;
  if (store_id == f.id) die(2, "--id " + std::to_string(f.id) + " is the store's id (persistence.remote.store_node)");
  if (!peers.contains(store_id)) {
    die(2, "no --peer for the store: persistence.remote.store_node is " + std::to_string(store_id) +
               ", so give --peer " + std::to_string(store_id) + "=HOST:PORT");
  }
  for (env::NodeId seed : node_config->membership.seeds) {
    if (seed != f.id && !peers.contains(seed)) {
      die(2, "membership.seeds names node " + std::to_string(seed) + ", which has no --peer");
    }
  }
  if (f.workload == "bench" && f.clients == 0) die(2, "--workload bench needs --clients >= 1");

  Result<std::unique_ptr<env::FaultPoints>> faults = make_real_fault_points(f.fault_points);
  if (!faults) die(2, faults.error().message);

  // The store must be there before the node joins: a member without persistence can only
  // fail every activation, and an operator wants to hear that at once.
  const real::HostPort store_address = peers.at(store_id);
  if (!store_reachable(store_address, store_timeout)) {
    die(1, "cannot reach the store (node " + std::to_string(store_id) + ", persistence.remote.store_node) at " +
               real::to_string(store_address) + " within " + config::format_duration(store_timeout));
  }

  std::unique_ptr<env::Recorder> recorder;
  if (!f.history.empty()) {
    auto opened = real::JsonlRecorder::open(f.history, f.id, f.epoch_ns);
    if (!opened) die(1, opened.error().message);
    recorder = std::move(*opened);
  } else {
    recorder = std::make_unique<env::NullRecorder>();
  }

  real::AsioExecutor executor;
  env::Random random = os_seeded_random(f.id);
  auto transport = open_transport(executor, f.id, *listen, peers, random, log);
  if (!transport) die(1, "cannot listen on --listen " + f.listen + ": " + transport.error().message);
  auto disk = real::PosixDisk::open_root(f.data_dir);
  if (!disk) die(2, "--data-dir " + f.data_dir + ": " + disk.error().message);

  env::Env env{f.id, executor, executor.clock(), **transport, **disk, random, *recorder, **faults};
  auto node = std::make_unique<node::OrbitNode>(env, *node_config, f.incarnation);
  scenarios::register_scenario_kinds(node->actors());
  node->actors().register_kind<BenchActor>();
  recorder->record(history::NodeStart{static_cast<int64_t>(f.incarnation), static_cast<int64_t>(::getpid())});

  auto shared = std::make_shared<scenarios::ClientShared>();
  // Op ids and written values must be unique across every process and boot of the run.
  const uint64_t base = ((uint64_t{f.id} + 1) << 40) | (f.incarnation << 32);
  shared->next_op = base + 1;
  shared->next_value = base + 1;
  auto tally = std::make_shared<BenchTally>();
  auto running = std::make_shared<uint32_t>(0);
  TaskScope clients;
  bool shutting_down = false;

  auto stop_clients = [&] {
    if (shared->stopped) return;
    shared->stopped = true;
    tally->stopped = executor.clock().mono_now();
  };

  auto shutdown = [&]() -> Task<void> {
    log->info("shutting down: stopping clients, deactivating {} actors", node->actors().active_count());
    stop_clients();
    co_await node->actors().deactivate_all();
    node->membership().leave();
    co_await sleep(executor, std::chrono::milliseconds(100));  // the leave messages go out
    log->info("shutdown complete");
    executor.stop();
  };
  TaskScope lifecycle;
  auto begin_shutdown = [&] {
    if (shutting_down) return;
    shutting_down = true;
    // A bound on the graceful part: a store that does not answer must not hold us forever.
    executor.schedule_after(std::chrono::seconds(15), [&] {
      log->warn("graceful shutdown did not finish in 15s; exiting");
      executor.stop();
    });
    lifecycle.spawn(shutdown());
  };

  real::HttpHandler handler = [&](real::HttpRequest request) -> Task<real::HttpResponse> {
    real::HttpResponse response;
    const std::string path = real::target_path(request.target);
    if (request.method == "GET" && path == "/metrics") {
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = node->actors().export_metrics().to_prometheus() + transport_metrics(**transport);
    } else if (request.method == "GET" && path == "/health") {
      const persistence::Health health = node->actors().health();
      Json body{{"state", std::string(persistence::wire::to_string(health.state))},
                {"reason", health.reason},
                {"node", f.id},
                {"members", node->membership().view().members.size()},
                {"active_actors", node->actors().active_count()}};
      response.status = health.state == persistence::HealthState::kHealthy ? 200 : 503;
      response.content_type = "application/json";
      response.body = body.dump() + "\n";
    } else if (request.method == "POST" && path == "/admin/partition") {
      Json body = Json::parse(request.body, nullptr, false);
      std::set<env::NodeId> blocked;
      bool ok = body.is_object() && body.contains("blocked") && body["blocked"].is_array();
      if (ok) {
        for (const Json& id : body["blocked"]) {
          if (!id.is_number_unsigned()) { ok = false; break; }
          blocked.insert(id.get<env::NodeId>());
        }
      }
      if (!ok) {
        response.status = 400;
        response.body = "expected {\"blocked\":[node ids]}\n";
      } else {
        (*transport)->set_blocked_peers(blocked);
        log->info("partition: blocking {} peers", blocked.size());
        response.content_type = "application/json";
        response.body = Json{{"blocked", blocked}}.dump() + "\n";
      }
    } else if (request.method == "POST" && path == "/admin/clock") {
      Json body = Json::parse(request.body, nullptr, false);
      if (!body.is_object() || !body.contains("offset_ns") || !body["offset_ns"].is_number_integer()) {
        response.status = 400;
        response.body = "expected {\"offset_ns\":integer}\n";
      } else {
        executor.os_clock().set_offset(Duration(body["offset_ns"].get<int64_t>()));
        log->info("clock offset set to {}ns", body["offset_ns"].get<int64_t>());
        response.content_type = "application/json";
        response.body = Json{{"offset_ns", executor.os_clock().offset().count()}}.dump() + "\n";
      }
    } else if (request.method == "POST" && path == "/admin/clients/stop") {
      // The clients finish their operation in flight (or time out) and end.
      stop_clients();
      response.content_type = "application/json";
      response.body = Json{{"running", *running}, {"stopped", true}}.dump() + "\n";
    } else if (request.method == "GET" && path == "/admin/clients") {
      response.content_type = "application/json";
      response.body = Json{{"running", *running}, {"stopped", shared->stopped}}.dump() + "\n";
      if (f.workload == "bench") response.body = Json{{"running", *running}, {"stopped", shared->stopped}, {"bench", bench_summary(*tally)}}.dump() + "\n";
    } else if (request.method == "POST" && path == "/admin/shutdown") {
      begin_shutdown();
      response.body = "shutting down\n";
    } else {
      response.status = 404;
      response.body = "no such endpoint: " + request.method + " " + path +
                      " (GET /metrics, GET /health, POST /admin/partition, POST /admin/clock, GET /admin/clients, "
                      "POST /admin/clients/stop, POST /admin/shutdown)\n";
    }
    co_return response;
  };
  auto server = real::HttpServer::open(executor, *http, handler);
  if (!server) die(1, "cannot listen on --http " + f.http + ": " + server.error().message);

  asio::signal_set signals(executor.io_context(), SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log->info("signal {}", signal);
    executor.post(begin_shutdown);
  });

  // Client drivers start once the executor runs (they need env::current_executor()).
  executor.post([&] {
    if (f.clients == 0) return;
    scenarios::ClientOptions options;
    for (uint32_t i = 0; i < f.actors; ++i) options.ids.push_back((f.workload == "counter" ? "c" : "r") + std::to_string(i));
    options.op_timeout = op_timeout;
    options.read_share = f.read_share;
    // Bench: measurement starts after a warm-up of activations and connections.
    tally->started = executor.clock().mono_now() + (f.workload == "bench" ? std::chrono::seconds(2) : Duration::zero());
    for (uint32_t i = 0; i < f.clients; ++i) {
      std::string process = "n" + std::to_string(f.id) + ".b" + std::to_string(f.incarnation) + ".c" + std::to_string(i);
      ++*running;
      if (f.workload == "register") {
        clients.spawn(counted(scenarios::register_client(*node, std::move(process), options, shared), running));
      } else if (f.workload == "counter") {
        clients.spawn(counted(scenarios::counter_client(*node, std::move(process), options, shared), running));
      } else {
        const uint32_t client = f.id * 100000 + i;
        clients.spawn(counted(bench_client(*node, "b" + std::to_string(f.id) + "." + std::to_string(i % f.actors),
                                           f.bench_affinity == "local", client, shared, tally),
                              running));
      }
    }
    if (run_for) executor.schedule_after(*run_for, stop_clients);
  });

  std::printf("ready %u %u\n", static_cast<unsigned>((*transport)->local_port()), static_cast<unsigned>((*server)->local_port()));
  std::fflush(stdout);
  log->info("ready: transport {} http {}, store node {} at {}", (*transport)->local_port(), (*server)->local_port(), store_id,
            real::to_string(store_address));

  executor.run();

  signals.cancel();
  (*server)->close();
  clients.cancel_all();
  lifecycle.cancel_all();
  if (f.workload == "bench" && f.clients > 0) {
    if (tally->stopped == MonoTime{}) tally->stopped = executor.clock().mono_now();
    std::printf("bench %s\n", bench_summary(*tally).dump().c_str());
    std::fflush(stdout);
  }
  recorder->record(history::NodeStop{static_cast<int64_t>(f.incarnation)});
  node.reset();
  (*transport)->close();
  executor.run_for(std::chrono::milliseconds(20));
  return 0;
}

}  // namespace
}  // namespace orbit::tools

int main(int argc, char** argv) { return orbit::tools::run(argc, argv); }
