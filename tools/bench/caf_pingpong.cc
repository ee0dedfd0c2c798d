// caf_pingpong: the peer benchmark for real mode (issue 13). The workload of
// `orbit-cluster bench` (tools/orbit_cluster.cc cmd_bench, tools/orbit_node.cc's bench
// driver) on CAF 0.17 (Debian libcaf-dev) with remote actors over loopback, so the two
// figures compare the runtimes and nothing else:
//
//  - N member processes on 127.0.0.1 (default 3). Each hosts counter actors (an int64 that
//    each call adds 1 to and returns: tools/real/bench_actor.h's BenchActor) and K client
//    loops (--clients), each with exactly one call in flight: send, wait for the reply,
//    send the next (closed loop), with a 5 s timeout per call as orbit-node's driver uses.
//  - Client i of member n calls the actor named "b<n>.<i mod actors>". Orbit places that
//    name on its placement ring; here a hash of the name picks the owning member and the
//    counter there. With --affinity spread the owner is any member (on 3 members, 2 of 3
//    names live in another process); with local it is the caller's own member.
//  - A warm-up (connections, first calls; 2 s as in orbit-node, --warmup-seconds) is not
//    measured; then --seconds are. Each member reports calls, errors, calls/s and its
//    p50/p99 latency; the totals line sums calls/s and takes the worst member's p50/p99,
//    exactly as orbit-cluster bench prints.
//
// CAF specifics: each member publishes one directory actor (caf::io::middleman::publish on
// a port the OS picks). Each pair of members shares one BASP connection, opened by the
// higher-numbered member with remote_actor; the directories hand out their counters'
// handles, which then travel as proxies: a call goes straight to the counter over that
// connection. --caf-threads sets the scheduler's worker count
// (0: CAF's default, one per core).
//
// The scheduler policy matters. CAF's default (work stealing) starves actors woken by the
// network under this load: a worker runs the actors it woke itself from the front of its
// own queue (LIFO, for cache locality), the local clients' closed loops never leave that
// front, and replies arriving through the middleman wait at the back for as long as the
// loops run. With it no remote call completes during the measurement (remote_calls 0) and
// the total counts only the clients whose counter is local. The bench therefore runs the
// sharing policy (one FIFO queue, what Orbit's executor is) by default; --caf-policy
// stealing shows the other.
//
//   bazel build //tools/bench:caf_pingpong
//   bazel-bin/tools/bench/caf_pingpong --nodes 3 --seconds 10 --clients 64 --actors 64 --affinity spread
//
// The launcher starts its members as children of itself (`--member I`, stdin/stdout
// pipes carry the start-up handshake), each with PR_SET_PDEATHSIG so none outlives it.
// Exit: 0 when every member reported, 1 when one failed, 2 for bad flags.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

namespace orbit::bench {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

using add_atom = caf::atom_constant<caf::atom("add")>;
using counter_atom = caf::atom_constant<caf::atom("counter")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using peer_atom = caf::atom_constant<caf::atom("peer")>;
using kick_atom = caf::atom_constant<caf::atom("kick")>;

constexpr auto kCallTimeout = std::chrono::seconds(5);  // orbit-node's bench driver
constexpr size_t kLatenciesPerMemberMax = 4'000'000;    // orbit-node keeps as many

struct Flags {
  uint32_t nodes = 3;
  double seconds = 10;
  uint32_t clients = 64;
  uint32_t actors = 64;
  std::string affinity = "spread";
  uint32_t caf_threads = 0;
  std::string caf_policy = "sharing";
  double warmup_seconds = 2;  // unmeasured, as in orbit-node
  int member = -1;  // >= 0: run as that member (started by the launcher)
};

[[noreturn]] void die(int code, const std::string& message) {
  std::fprintf(stderr, "caf_pingpong: %s\n", message.c_str());
  std::exit(code);
}

// FNV-1a (64 bit): a specified hash, so every member maps a name to the same owner.
uint64_t fnv1a(const std::string& text) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// ---- Actors ---------------------------------------------------------------------------

struct CounterState {
  int64_t value = 0;
};

caf::behavior counter(caf::stateful_actor<CounterState>* self) {
  return {[self](add_atom, int64_t amount) { return self->state.value += amount; }};
}

// The published entry point of a member: hands out its counters by index, and learns the
// directories of the members that connected to it (see connect_directories()).
struct DirectoryState {
  std::vector<caf::actor> counters;
  std::vector<caf::actor> peers;  // by member index; invalid until registered
};

caf::behavior directory(caf::stateful_actor<DirectoryState>* self, std::vector<caf::actor> counters, uint32_t members) {
  self->state.counters = std::move(counters);
  self->state.peers.resize(members);
  return {
      [self](counter_atom, uint32_t index) -> caf::actor {
        return self->state.counters.at(index % self->state.counters.size());
      },
      [self](register_atom, uint32_t member, caf::actor peer_directory) -> bool {
        if (member >= self->state.peers.size()) return false;
        self->state.peers[member] = std::move(peer_directory);
        return true;
      },
      [self](peer_atom, uint32_t member) -> caf::actor { return self->state.peers.at(member); },
  };
}

// What one client loop measured. Written only by its actor; read by the member's main
// thread after `done` (release/acquire).
struct ClientTally {
  bool remote = false;  // its counter lives in another member
  uint64_t calls = 0;
  uint64_t errors = 0;
  std::vector<int64_t> latencies_ns;
  std::atomic<bool> done{false};
};

struct RunWindow {
  SteadyClock::time_point measure_from;
  std::atomic<bool> stopped{false};
  std::atomic<size_t> latencies{0};  // recorded over all clients, for the cap
};

void call_once(caf::event_based_actor* self, caf::actor target, std::shared_ptr<ClientTally> tally,
               std::shared_ptr<RunWindow> window) {
  if (window->stopped.load()) {
    tally->done.store(true);
    self->quit();
    return;
  }
  const SteadyClock::time_point t0 = SteadyClock::now();
  auto finish = [self, target, tally, window, t0](bool ok) {
    const SteadyClock::time_point t1 = SteadyClock::now();
    // As orbit-node: a call that completes after the stop, or began in the warm-up, is not counted.
    if (!window->stopped.load() && t0 >= window->measure_from) {
      if (ok) {
        ++tally->calls;
        if (window->latencies.fetch_add(1) < kLatenciesPerMemberMax) {
          tally->latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
        }
      } else {
        ++tally->errors;
      }
    }
    call_once(self, target, tally, window);
  };
  self->request(target, kCallTimeout, add_atom::value, int64_t{1})
      .then([finish](int64_t) { finish(true); }, [finish](caf::error&) { finish(false); });
}

caf::behavior client(caf::event_based_actor* self, caf::actor target, std::shared_ptr<ClientTally> tally,
                     std::shared_ptr<RunWindow> window) {
  return {[self, target, tally, window](kick_atom) { call_once(self, target, tally, window); }};
}

// ---- A member process -------------------------------------------------------------------

std::string read_line_or_die(const char* expecting) {
  std::string line;
  if (!std::getline(std::cin, line)) die(1, std::string("member: stdin closed while waiting for ") + expecting);
  return line;
}

Json member_summary(std::vector<std::shared_ptr<ClientTally>>& tallies, double seconds) {
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t remote_calls = 0;
  size_t remote_clients = 0;
  std::vector<int64_t> latencies;
  for (auto& t : tallies) {
    calls += t->calls;
    if (t->remote) {
      remote_calls += t->calls;
      ++remote_clients;
    }
    errors += t->errors;
    latencies.insert(latencies.end(), t->latencies_ns.begin(), t->latencies_ns.end());
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) -> int64_t {  // orbit-node's definition
    if (latencies.empty()) return 0;
    const size_t rank = static_cast<size_t>(p * static_cast<double>(latencies.size()));
    return latencies[std::min(rank, latencies.size() - 1)];
  };
  return Json{{"calls", calls},
              {"errors", errors},
              {"seconds", seconds},
              {"calls_per_second", seconds > 0 ? static_cast<double>(calls) / seconds : 0.0},
              {"p50_us", pct(0.50) / 1000.0},
              {"p99_us", pct(0.99) / 1000.0},
              // Not in orbit-node's line: how much of the load crossed a process boundary.
              {"remote_clients", remote_clients},
              {"remote_calls", remote_calls}};
}

std::string member_name(const Flags& f) { return "member " + std::to_string(f.member); }

// Every other member's directory, over exactly one connection per pair of members: member
// m opens the connections to the members below it (remote_actor) and registers its own
// directory there; the members above it register theirs with m. (With every member
// calling remote_actor on every other, the two connections a pair opened at the same time
// sometimes left lookups unanswered for ever: 1 start in 12 failed so, none in 40 since.)
std::vector<caf::actor> connect_directories(caf::actor_system& system, caf::scoped_actor& asker, const Flags& f,
                                            const std::vector<uint16_t>& ports, const caf::actor& entry) {
  const auto self_index = static_cast<uint32_t>(f.member);
  std::vector<caf::actor> directories(f.nodes);
  for (uint32_t m = 0; m < self_index; ++m) {
    caf::expected<caf::actor> remote = system.middleman().remote_actor("127.0.0.1", ports[m]);
    if (!remote) {
      die(1, member_name(f) + ": remote_actor 127.0.0.1:" + std::to_string(ports[m]) + ": " + system.render(remote.error()));
    }
    directories[m] = *remote;
    asker->request(directories[m], std::chrono::seconds(10), register_atom::value, self_index, entry)
        .receive([&](bool ok) { if (!ok) die(1, member_name(f) + ": member " + std::to_string(m) + " refused its registration"); },
                 [&](caf::error& e) { die(1, member_name(f) + ": registering with member " + std::to_string(m) + ": " + system.render(e)); });
  }
  const SteadyClock::time_point limit = SteadyClock::now() + std::chrono::seconds(30);
  for (uint32_t m = self_index + 1; m < f.nodes; ++m) {
    while (!directories[m]) {
      asker->request(entry, std::chrono::seconds(10), peer_atom::value, m)
          .receive([&](caf::actor& handle) { directories[m] = std::move(handle); },
                   [&](caf::error& e) { die(1, member_name(f) + ": own directory: " + system.render(e)); });
      if (directories[m]) break;
      if (SteadyClock::now() > limit) die(1, member_name(f) + ": member " + std::to_string(m) + " never registered");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return directories;
}

// counters[m][k]: member m's k-th counter (proxies for the other members; this member's
// own row is left empty for the caller to fill).
std::vector<std::vector<caf::actor>> fetch_counters(caf::actor_system& system, caf::scoped_actor& asker, const Flags& f,
                                                    const std::vector<caf::actor>& directories) {
  std::vector<std::vector<caf::actor>> counters(f.nodes);
  for (uint32_t m = 0; m < f.nodes; ++m) {
    if (m == static_cast<uint32_t>(f.member)) continue;
    for (uint32_t k = 0; k < f.actors; ++k) {
      asker->request(directories[m], std::chrono::seconds(10), counter_atom::value, k)
          .receive([&](caf::actor& handle) { counters[m].push_back(std::move(handle)); },
                   [&](caf::error& e) {
                     die(1, member_name(f) + ": counter lookup at member " + std::to_string(m) + ": " + system.render(e));
                   });
    }
  }
  return counters;
}

// One round trip to a counter of every other member before reporting ready: a member
// whose remote calls cannot work fails here, by name, rather than as a silent 0.
void probe_remote_counters(caf::actor_system& system, caf::scoped_actor& asker, const Flags& f,
                           const std::vector<std::vector<caf::actor>>& counters) {
  for (uint32_t m = 0; m < f.nodes; ++m) {
    if (m == static_cast<uint32_t>(f.member)) continue;
    asker->request(counters[m][0], std::chrono::seconds(10), add_atom::value, int64_t{0})
        .receive([](int64_t) {},
                 [&](caf::error& e) {
                   die(1, member_name(f) + ": a call to member " + std::to_string(m) + "'s counter failed: " + system.render(e));
                 });
  }
}

// Runs the client loops for the warm-up and the measurement, then lets each finish its call
// in flight, and returns this member's summary (orbit-node's bench line, plus CAF extras).
Json run_clients(caf::actor_system& system, const Flags& f, const std::vector<std::vector<caf::actor>>& counters) {
  const auto self_index = static_cast<uint32_t>(f.member);
  auto window = std::make_shared<RunWindow>();
  const SteadyClock::time_point start = SteadyClock::now();
  window->measure_from =
      start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(f.warmup_seconds));
  std::vector<std::shared_ptr<ClientTally>> tallies;
  std::vector<caf::actor> clients;
  for (uint32_t i = 0; i < f.clients; ++i) {
    const std::string name = "b" + std::to_string(self_index) + "." + std::to_string(i % f.actors);
    const uint64_t h = fnv1a(name);
    const uint32_t owner = f.affinity == "local" ? self_index : static_cast<uint32_t>(h % f.nodes);
    const caf::actor& target = counters[owner][(h / f.nodes) % f.actors];
    tallies.push_back(std::make_shared<ClientTally>());
    tallies.back()->remote = owner != self_index;
    clients.push_back(system.spawn(client, target, tallies.back(), window));
  }
  for (const caf::actor& c : clients) caf::anon_send(c, kick_atom::value);

  std::this_thread::sleep_until(window->measure_from +
                                std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(f.seconds)));
  window->stopped.store(true);
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - window->measure_from).count();
  // Each client ends after its call in flight returns (or times out).
  const SteadyClock::time_point drain_limit = SteadyClock::now() + kCallTimeout + std::chrono::seconds(2);
  while (SteadyClock::now() < drain_limit &&
         !std::all_of(tallies.begin(), tallies.end(), [](const auto& t) { return t->done.load(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<std::shared_ptr<ClientTally>> finished;
  for (auto& t : tallies) {
    if (t->done.load()) finished.push_back(t);
  }
  Json summary = member_summary(finished, seconds);
  summary["clients_not_drained"] = tallies.size() - finished.size();
  return summary;
}

int run_member(const Flags& f) {
  caf::actor_system_config config;
  config.load<caf::io::middleman>();
  if (f.caf_threads > 0) config.set("scheduler.max-threads", static_cast<size_t>(f.caf_threads));
  config.set("scheduler.policy", caf::atom_from_string(f.caf_policy));
  caf::actor_system system{config};
  const uint32_t self_index = static_cast<uint32_t>(f.member);

  std::vector<caf::actor> local_counters;
  for (uint32_t k = 0; k < f.actors; ++k) local_counters.push_back(system.spawn(counter));
  const caf::actor entry = system.spawn(directory, local_counters, f.nodes);
  caf::expected<uint16_t> port = system.middleman().publish(entry, 0, "127.0.0.1");
  if (!port) die(1, "member " + std::to_string(self_index) + ": publish: " + system.render(port.error()));
  std::printf("ready %u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);

  // "peers P0 P1 ...": every member's port, this one's included.
  std::istringstream peers(read_line_or_die("the peer list"));
  std::string word;
  peers >> word;
  std::vector<uint16_t> ports;
  for (unsigned p; peers >> p;) ports.push_back(static_cast<uint16_t>(p));
  if (word != "peers" || ports.size() != f.nodes) die(1, "member: bad peer list");

  caf::scoped_actor asker{system};
  const std::vector<caf::actor> directories = connect_directories(system, asker, f, ports, entry);
  std::vector<std::vector<caf::actor>> counters = fetch_counters(system, asker, f, directories);
  counters[self_index] = local_counters;
  probe_remote_counters(system, asker, f, counters);
  std::printf("connected\n");
  std::fflush(stdout);
  if (read_line_or_die("go") != "go") die(1, "member: expected go");

  const Json summary = run_clients(system, f, counters);
  std::printf("bench %s\n", summary.dump().c_str());
  std::fflush(stdout);
  // Stay up until every member has reported: the others still call this one's counters.
  (void)read_line_or_die("quit");
  // Not a return: the actor system's destructor waits for every actor, and proxies of
  // members that have already left (or a client still waiting on one) can hold it for the
  // length of a call timeout. Nothing is left to write.
  std::_Exit(0);
}

// ---- The launcher ----------------------------------------------------------------------

struct Member {
  pid_t pid = -1;
  FILE* to = nullptr;    // its stdin
  FILE* from = nullptr;  // its stdout
};

Member spawn_member(const Flags& f, uint32_t index) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) die(1, std::string("pipe: ") + std::strerror(errno));
  const std::vector<std::string> args = {"caf_pingpong",
                                         "--member", std::to_string(index),
                                         "--nodes", std::to_string(f.nodes),
                                         "--seconds", std::to_string(f.seconds),
                                         "--clients", std::to_string(f.clients),
                                         "--actors", std::to_string(f.actors),
                                         "--affinity", f.affinity,
                                         "--caf-threads", std::to_string(f.caf_threads),
                                         "--caf-policy", f.caf_policy,
                                         "--warmup-seconds", std::to_string(f.warmup_seconds)};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) die(1, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  Member m;
  m.pid = pid;
  m.to = ::fdopen(in_pipe[1], "w");
  m.from = ::fdopen(out_pipe[0], "r");
  return m;
}

std::string read_member_line(Member& m, uint32_t index, const char* expecting) {
  char buffer[4096];
  if (std::fgets(buffer, sizeof buffer, m.from) == nullptr) {
    die(1, "member " + std::to_string(index) + " exited while the launcher waited for " + expecting);
  }
  std::string line(buffer);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

void tell(Member& m, const std::string& line) {
  std::fprintf(m.to, "%s\n", line.c_str());
  std::fflush(m.to);
}

int run_launcher(const Flags& f) {
  ::signal(SIGPIPE, SIG_IGN);
  std::vector<Member> members;
  for (uint32_t i = 0; i < f.nodes; ++i) members.push_back(spawn_member(f, i));
  std::string peers = "peers";
  for (uint32_t i = 0; i < f.nodes; ++i) {
    const std::string line = read_member_line(members[i], i, "ready");
    if (line.rfind("ready ", 0) != 0) die(1, "member " + std::to_string(i) + " said '" + line + "', expected ready");
    peers += " " + line.substr(6);
  }
  for (Member& m : members) tell(m, peers);
  for (uint32_t i = 0; i < f.nodes; ++i) {
    const std::string line = read_member_line(members[i], i, "connected");
    if (line != "connected") die(1, "member " + std::to_string(i) + " said '" + line + "', expected connected");
  }
  for (Member& m : members) tell(m, "go");
  uint64_t calls = 0;
  uint64_t errors = 0;
  double rate = 0;
  double p50 = 0;
  double p99 = 0;
  for (uint32_t i = 0; i < f.nodes; ++i) {
    const std::string line = read_member_line(members[i], i, "its result");
    if (line.rfind("bench ", 0) != 0) die(1, "member " + std::to_string(i) + " said '" + line + "', expected bench");
    const Json b = Json::parse(line.substr(6), nullptr, false);
    if (!b.is_object()) die(1, "member " + std::to_string(i) + ": unreadable result " + line);
    calls += b.value("calls", uint64_t{0});
    errors += b.value("errors", uint64_t{0});
    rate += b.value("calls_per_second", 0.0);
    p50 = std::max(p50, b.value("p50_us", 0.0));
    p99 = std::max(p99, b.value("p99_us", 0.0));
    std::printf("caf node %u   %s\n", i, b.dump().c_str());
  }
  for (Member& m : members) tell(m, "quit");
  int failures = 0;
  for (Member& m : members) {
    int status = 0;
    ::waitpid(m.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
    std::fclose(m.to);
    std::fclose(m.from);
  }
  std::printf("caf bench    %u nodes, %u clients per node, %s affinity, %.0f s: %llu calls, %llu errors, %.0f calls/s; "
              "p50 %.0f us, p99 %.0f us (worst node)\n",
              f.nodes, f.clients, f.affinity.c_str(), f.seconds, static_cast<unsigned long long>(calls),
              static_cast<unsigned long long>(errors), rate, p50, p99);
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}

int run(int argc, char** argv) {
  CLI::App app{"caf_pingpong: orbit-cluster bench's closed-loop call workload on CAF remote actors (issue 13)"};
  Flags f;
  app.add_option("--nodes", f.nodes, "member processes")->check(CLI::Range(1u, 64u));
  app.add_option("--seconds", f.seconds, "measurement length in seconds (after the warm-up)");
  app.add_option("--clients", f.clients, "concurrent callers per member")->check(CLI::Range(1u, 100000u));
  app.add_option("--actors", f.actors, "actor names per member")->check(CLI::Range(1u, 1000000u));
  app.add_option("--affinity", f.affinity, "spread: names hashed over all members; local: each client calls its own member")
      ->check(CLI::IsMember({"spread", "local"}));
  app.add_option("--caf-threads", f.caf_threads, "CAF scheduler threads per member (0: CAF's default)");
  app.add_option("--caf-policy", f.caf_policy, "CAF scheduler policy: sharing (one FIFO queue) | stealing (CAF's default)")
      ->check(CLI::IsMember({"sharing", "stealing"}));
  app.add_option("--warmup-seconds", f.warmup_seconds, "unmeasured start, in seconds (orbit-node's bench: 2)");
  app.add_option("--member", f.member, "internal: run as this member (the launcher passes it)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "caf_pingpong: %s\n", e.what());
    return 2;
  }
  if (!(f.seconds > 0)) die(2, "--seconds must be positive");
  if (!(f.warmup_seconds >= 0)) die(2, "--warmup-seconds must not be negative");
  if (f.member >= 0) {
    if (static_cast<uint32_t>(f.member) >= f.nodes) die(2, "--member beyond --nodes");
    return run_member(f);
  }
  return run_launcher(f);
}

}  // namespace
}  // namespace orbit::bench

int main(int argc, char** argv) { return orbit::bench::run(argc, argv); }
