// orbit-cluster: real mode's launcher. Starts orbit-store and N orbit-node processes on
// loopback (free ports picked at run time), runs a scenario's client drivers inside the
// nodes, injects real faults from a FaultPlan, heals, lets a liveness phase run, shuts
// everything down, merges the per-process histories and judges the merged history with the
// simulator's judge (scenarios/judge.h), writing the same report.json as orbit-sim.
//
//   orbit-cluster run --scenario register --nodes 3 --duration 20s [--plan F] --out DIR
//   orbit-cluster judge DIR/history.jsonl --scenario register   (prints what orbit-sim judge prints)
//   orbit-cluster bench --nodes 3 --seconds 10 --clients K --out DIR
//
// Faults, as real mode does them (node ids as in the simulator: members 0..N-1, store N):
//   crash        SIGKILL, reaped; restart = the same binary, ports and data dir, next boot count
//   pause        SIGSTOP, then SIGCONT after the event's duration
//   partition    POST /admin/partition on the members (their transports drop frames to and
//                from the blocked peers; the store needs no filter: members drop to and from it)
//   heal         every member's filter cleared
//   clock_offset / clock_jump   POST /admin/clock on a member (its OsClock offset)
// Everything else (clogs, network windows, drift, disk faults, one-way partitions, faults
// on the store's clock) real mode cannot do: such events are skipped, recorded as
// fault_skipped in the history and listed under "skipped_faults" in report.json.
//
// The launcher owns every child (tools/real/processes.h): on any exit path, including
// SIGINT/SIGTERM, it kills and reaps them all. Exit: 0 pass, 1 a checker failed (or the
// cluster failed while running), 2 bad input (flags, plan, binaries that do not start).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "faults/fault_plan.h"
#include "history/history.h"
#include "reports/history_jsonl.h"
#include "reports/judge_command.h"
#include "reports/run_report.h"
#include "runtime/config/duration.h"
#include "runtime/real/http_client.h"
#include "runtime/config/actor_management.h"
#include "runtime/real/jsonl_recorder.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/judge.h"
#include "scenarios/scenario.h"
#include "tools/real/history_merge.h"
#include "tools/real/processes.h"

namespace orbit::tools {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kExitPass = 0;
constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) { g_interrupted = 1; }

struct Interrupted {};

// Sleeps in small steps so SIGINT/SIGTERM is noticed promptly.
void nap(Duration d) {
  const auto until = Clock::now() + d;
  while (Clock::now() < until) {
    if (g_interrupted) throw Interrupted{};
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(10), until - Clock::now()));
  }
  if (g_interrupted) throw Interrupted{};
}

struct RunFlags {
  std::string scenario = "register";
  uint32_t nodes = 3;
  std::string duration = "20s";
  std::string liveness = "12s";
  std::string plan_path;
  std::string out;
  std::string store_bin;
  std::string node_bin;
  uint32_t clients = 2;
  uint32_t actors = 3;
  std::string lease = "2s";
  std::string op_timeout = "3s";
  std::vector<std::string> node_args;      // passed to every member
  std::vector<std::string> node_args_for;  // "ID=ARG": to one member
  std::string hook;
  std::string log_level = "info";
  uint64_t max_search_steps = 20'000'000;
};

struct BenchFlags {
  uint32_t nodes = 3;
  double seconds = 10;
  uint32_t clients = 64;
  uint32_t actors = 64;
  std::string out;
  std::string store_bin;
  std::string node_bin;
  std::string affinity = "spread";
};

std::string self_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

// The sibling binaries bazel builds next to this one (bazel-bin/tools/).
std::string default_binary(const std::string& name) { return self_dir() + "/" + name; }

Duration parse_duration_flag(const std::string& flag, const std::string& text) {
  Result<Duration> d = config::parse_duration(text);
  if (!d) throw CLI::ValidationError(flag, text + ": " + d.error().message);
  return *d;
}

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// "--read-share 1.0" -> {"--read-share", "1.0"}: node arguments come as one flag value.
std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

// ---- The cluster -------------------------------------------------------------------------

struct Member {
  uint32_t id = 0;
  std::string name;
  uint16_t transport_port = 0;
  uint16_t http_port = 0;
  uint64_t boots = 0;
  pid_t pid = -1;
  enum class State { kDown, kUp, kPaused } state = State::kDown;
  std::set<uint32_t> blocked;  // the partition filter as the plan has set it
  int64_t clock_offset_ns = 0;
  ChildSpec spec;
  bool is_store = false;
};

struct ClusterSettings {
  uint32_t nodes = 3;
  std::string out;
  std::string store_bin;
  std::string node_bin;
  int64_t epoch_ns = 0;
  std::string log_level = "info";
  std::vector<std::string> member_args;                  // every member
  std::map<uint32_t, std::vector<std::string>> args_for;  // one member
  Duration ready_limit = std::chrono::seconds(15);
};

class Cluster {
 public:
  Cluster(ClusterSettings settings, real::JsonlRecorder& recorder) : s_(std::move(settings)), recorder_(recorder) {}

  Result<void> start() {
    auto ports = pick_free_ports(2 * (s_.nodes + 1));
    if (!ports) return ports.error();
    for (uint32_t i = 0; i <= s_.nodes; ++i) {
      Member m;
      m.id = i;
      m.is_store = i == s_.nodes;
      m.name = m.is_store ? "store" : "node-" + std::to_string(i);
      m.transport_port = (*ports)[2 * i];
      m.http_port = (*ports)[2 * i + 1];
      members_.push_back(std::move(m));
    }
    fs::create_directories(s_.out + "/logs");
    fs::create_directories(s_.out + "/history");
    fs::create_directories(s_.out + "/store-data");
    if (auto r = boot(store()); !r) return r;
    for (uint32_t i = 0; i < s_.nodes; ++i) {
      if (auto r = boot(members_[i]); !r) return r;
    }
    write_cluster_file();
    return {};
  }

  Member& store() { return members_.back(); }
  Member& member(uint32_t id) { return members_.at(id); }
  std::vector<Member>& all() { return members_; }
  ProcessTable& processes() { return processes_; }
  std::string store_http() const { return "127.0.0.1:" + std::to_string(members_.back().http_port); }

  std::vector<std::string> history_files() const {
    std::vector<std::string> files{s_.out + "/history/launcher.jsonl"};
    for (const Member& m : members_) files.push_back(history_path(m));
    return files;
  }

  // --- Faults. Each returns an error (the event is then skipped) or records what it did.
  Result<void> crash(Member& m) {
    if (m.state == Member::State::kDown) return Error{ErrorCode::kInvalidArgument, m.name + " is already down"};
    if (auto r = processes_.signal(m.pid, SIGKILL); !r) return r;
    processes_.wait(m.pid, std::chrono::seconds(10));
    m.state = Member::State::kDown;
    // After the reap: every event the process recorded is already in its file, so "crash"
    // sorts after them and closes its activations for the checkers.
    recorder_.record_for(m.id, history::Crash{m.pid, recorder_.intern("SIGKILL")});
    return {};
  }

  Result<void> restart(Member& m) {
    if (m.state != Member::State::kDown) return Error{ErrorCode::kInvalidArgument, m.name + " is not down"};
    recorder_.record_for(m.id, history::Restart{static_cast<int64_t>(m.boots + 1)});
    if (auto r = boot(m); !r) return r;
    return reapply_filters(m);
  }

  Result<void> pause(Member& m) {
    if (m.state != Member::State::kUp) return Error{ErrorCode::kInvalidArgument, m.name + " is not running"};
    if (auto r = processes_.signal(m.pid, SIGSTOP); !r) return r;
    m.state = Member::State::kPaused;
    recorder_.record_for(m.id, history::Pause{m.pid});
    return {};
  }

  Result<void> resume(Member& m) {
    if (m.state != Member::State::kPaused) return Error{ErrorCode::kInvalidArgument, m.name + " is not paused"};
    if (auto r = processes_.signal(m.pid, SIGCONT); !r) return r;
    m.state = Member::State::kUp;
    recorder_.record_for(m.id, history::Resume{m.pid, 0});
    return {};
  }

  Result<void> set_blocked(Member& m, std::set<uint32_t> blocked) {
    m.blocked = std::move(blocked);
    return push_filter(m);
  }

  Result<void> set_clock_offset(Member& m, int64_t offset_ns) {
    if (m.is_store) return Error{ErrorCode::kInvalidArgument, "the store has no clock hook in real mode"};
    m.clock_offset_ns = offset_ns;
    if (m.state != Member::State::kUp) return {};  // applied when it runs again
    auto r = post(m, "/admin/clock", Json{{"offset_ns", offset_ns}});
    if (!r) return r.error();
    return {};
  }

  // Stops the client drivers everywhere and waits until they have all finished.
  void drain_clients(Duration limit) {
    for (Member& m : members_) {
      if (!m.is_store && m.state == Member::State::kUp) (void)post(m, "/admin/clients/stop", Json::object());
    }
    const auto deadline = Clock::now() + limit;
    for (Member& m : members_) {
      if (m.is_store || m.state != Member::State::kUp) continue;
      while (Clock::now() < deadline) {
        auto r = real::http_request("GET", real::HostPort{"127.0.0.1", m.http_port}, "/admin/clients", "", std::chrono::seconds(2));
        if (r.ok()) {
          Json j = Json::parse(r->body, nullptr, false);
          if (j.is_object() && j.value("running", 1) == 0) break;
        }
        nap(std::chrono::milliseconds(50));
      }
    }
  }

  // A member or the store that exited on its own (not by a fault the plan injected): recorded
  // as a crash, so the checkers see its activations end, and reported. heal_all restarts it.
  std::vector<std::string> reap_unexpected() {
    std::vector<std::string> out;
    for (Member& m : members_) {
      if (m.state == Member::State::kDown) continue;
      auto status = processes_.wait(m.pid, Duration::zero());
      if (!status) continue;
      m.state = Member::State::kDown;
      recorder_.record_for(m.id, history::Crash{m.pid, recorder_.intern("unexpected: " + describe_status(*status))});
      out.push_back(m.name + " exited on its own (" + describe_status(*status) + ")");
      std::fprintf(stderr, "orbit-cluster: %s; its log: %s\n%s\n", out.back().c_str(), m.spec.stderr_path.c_str(),
                   file_tail(m.spec.stderr_path, 600).c_str());
    }
    return out;
  }

  // SIGTERM to the members (graceful: final snapshots, lease releases), then the store.
  // Anything that does not exit in time is SIGKILLed. Returns the members that needed it.
  std::vector<std::string> shutdown(Duration limit) {
    std::vector<std::string> forced;
    auto stop = [&](Member& m) {
      if (m.state == Member::State::kDown) return;
      if (m.state == Member::State::kPaused) (void)processes_.signal(m.pid, SIGCONT);
      (void)processes_.signal(m.pid, SIGTERM);
    };
    auto reap = [&](Member& m) {
      if (m.state == Member::State::kDown) return;
      auto status = processes_.wait(m.pid, limit);
      if (!status) {
        forced.push_back(m.name);
        (void)processes_.signal(m.pid, SIGKILL);
        processes_.wait(m.pid, std::chrono::seconds(5));
      } else if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        forced.push_back(m.name + " (" + describe_status(*status) + ")");
      }
      m.state = Member::State::kDown;
    };
    for (Member& m : members_) {
      if (!m.is_store) stop(m);
    }
    for (Member& m : members_) {
      if (!m.is_store) reap(m);
    }
    stop(store());
    reap(store());
    return forced;
  }

 private:
  std::string history_path(const Member& m) const { return s_.out + "/history/" + m.name + ".jsonl"; }

  Result<real::HttpResponse> post(Member& m, const std::string& path, const Json& body) {
    auto r = real::http_request("POST", real::HostPort{"127.0.0.1", m.http_port}, path, body.dump(), std::chrono::seconds(2));
    if (!r) return r.error();
    if (r->status != 200) return Error{ErrorCode::kIo, m.name + " " + path + ": HTTP " + std::to_string(r->status) + ": " + r->body};
    return r;
  }

  Result<void> push_filter(Member& m) {
    if (m.is_store || m.state != Member::State::kUp) return {};  // the store needs none; others get it on resume/restart
    Json blocked = Json::array();
    for (uint32_t id : m.blocked) blocked.push_back(id);
    auto r = post(m, "/admin/partition", Json{{"blocked", blocked}});
    if (!r) return r.error();
    return {};
  }

  Result<void> reapply_filters(Member& m) {
    if (auto r = push_filter(m); !r) return r;
    if (m.clock_offset_ns != 0) {
      auto r = post(m, "/admin/clock", Json{{"offset_ns", m.clock_offset_ns}});
      if (!r) return r.error();
    }
    return {};
  }

  std::vector<std::string> peer_args(const Member& self) const {
    std::vector<std::string> out;
    for (const Member& m : members_) {
      if (m.id == self.id) continue;
      out.push_back("--peer");
      out.push_back(std::to_string(m.id) + "=127.0.0.1:" + std::to_string(m.transport_port));
    }
    return out;
  }

  Result<void> boot(Member& m) {
    ++m.boots;
    ChildSpec spec;
    spec.name = m.name;
    spec.stdout_path = s_.out + "/logs/" + m.name + ".out";
    spec.stderr_path = s_.out + "/logs/" + m.name + ".log";
    std::vector<std::string> args{"--id", std::to_string(m.id), "--listen", "127.0.0.1:" + std::to_string(m.transport_port),
                                  "--http", "127.0.0.1:" + std::to_string(m.http_port), "--history", history_path(m),
                                  "--epoch-ns", std::to_string(s_.epoch_ns), "--log-level", s_.log_level};
    for (auto& a : peer_args(m)) args.push_back(a);
    if (m.is_store) {
      spec.binary = s_.store_bin;
      args.push_back("--data-dir");
      args.push_back(s_.out + "/store-data");
    } else {
      spec.binary = s_.node_bin;
      for (const auto& a : std::vector<std::string>{"--config", s_.out + "/orbit.toml", "--incarnation", std::to_string(m.boots),
                                                     "--data-dir", s_.out})
        args.push_back(a);
      for (const auto& a : s_.member_args) args.push_back(a);
      if (auto it = s_.args_for.find(m.id); it != s_.args_for.end()) {
        for (const auto& a : it->second) args.push_back(a);
      }
    }
    spec.args = std::move(args);
    const size_t skip = file_size(spec.stdout_path);
    auto pid = processes_.spawn(spec);
    if (!pid) return pid.error();
    m.pid = *pid;
    m.spec = spec;
    auto ready = processes_.await_ready(*pid, spec, skip, s_.ready_limit);
    if (!ready) {
      (void)processes_.signal(*pid, SIGKILL);
      processes_.wait(*pid, std::chrono::seconds(5));
      return ready.error();
    }
    m.state = Member::State::kUp;
    return {};
  }

  void write_cluster_file() {
    Json j = Json::object();
    j["store_http"] = store_http();
    j["nodes"] = Json::array();
    for (const Member& m : members_) {
      if (!m.is_store) j["nodes"].push_back(Json{{"id", m.id}, {"http", "127.0.0.1:" + std::to_string(m.http_port)}});
    }
    std::ofstream(s_.out + "/cluster.json") << j.dump(2) << "\n";
  }

  ClusterSettings s_;
  real::JsonlRecorder& recorder_;
  std::vector<Member> members_;
  ProcessTable processes_;
};

// ---- Fault plan application --------------------------------------------------------------

struct SkippedFault {
  size_t index;
  std::string kind;
  std::string reason;
};

class Injector {
 public:
  Injector(Cluster& cluster, real::JsonlRecorder& recorder, uint32_t nodes) : c_(cluster), rec_(recorder), nodes_(nodes) {}

  void apply(const faults::FaultEvent& e, size_t index) {
    Result<void> r = apply_one(e, index);
    if (!r) skip(index, e, r.error().message);
  }

  // Resumes due pauses. Returns the next due time, if any.
  void resume_due(Clock::time_point now) {
    for (auto it = resumes_.begin(); it != resumes_.end();) {
      if (it->first > now) break;
      Member& m = c_.member(it->second.node);
      if (auto r = c_.resume(m); !r) skip(it->second.index, faults::event::pause(Duration(0), 0, Duration(1)), "resume: " + r.error().message);
      if (auto r = c_.set_blocked(m, m.blocked); !r) skip(it->second.index, faults::event::heal(Duration(0)), r.error().message);
      it = resumes_.erase(it);
    }
  }
  std::optional<Clock::time_point> next_resume() const {
    if (resumes_.empty()) return std::nullopt;
    return resumes_.begin()->first;
  }

  // Everything back to normal for the liveness phase (as faults::heal_all in the simulator).
  void heal_all() {
    resumes_.clear();
    for (Member& m : c_.all()) {
      if (m.state == Member::State::kPaused) (void)c_.resume(m);
    }
    for (Member& m : c_.all()) {
      if (m.state == Member::State::kDown) {
        if (auto r = c_.restart(m); !r) std::fprintf(stderr, "orbit-cluster: heal: restarting %s failed: %s\n", m.name.c_str(), r.error().message.c_str());
      }
    }
    for (Member& m : c_.all()) {
      if (m.is_store) continue;
      if (!m.blocked.empty()) (void)c_.set_blocked(m, {});
      if (m.clock_offset_ns != 0) (void)c_.set_clock_offset(m, 0);
    }
    rec_.record_for(history::kWorldNode, history::Heal{});
  }

  const std::vector<SkippedFault>& skipped() const { return skipped_; }

 private:
  void skip(size_t index, const faults::FaultEvent& e, const std::string& reason) {
    const std::string kind(faults::to_string(e.kind));
    skipped_.push_back({index, kind, reason});
    rec_.record_for(history::kWorldNode, history::FaultSkipped{index, rec_.intern(kind), rec_.intern(reason)});
    std::fprintf(stderr, "orbit-cluster: fault events[%zu] (%s) skipped: %s\n", index, kind.c_str(), reason.c_str());
  }

  Result<void> apply_one(const faults::FaultEvent& e, size_t index) {
    using faults::FaultKind;
    auto unsupported = [&](const std::string& why) { return Error{ErrorCode::kInvalidArgument, "real mode cannot inject " + why}; };
    switch (e.kind) {
      case FaultKind::kCrash: return c_.crash(c_.member(e.node));
      case FaultKind::kRestart: return c_.restart(c_.member(e.node));
      case FaultKind::kPause: {
        Member& m = c_.member(e.node);
        if (auto r = c_.pause(m); !r) return r;
        resumes_.emplace(Clock::now() + e.pause_duration, PendingResume{e.node, index});
        return {};
      }
      case FaultKind::kPartition: {
        if (e.one_way) return unsupported("a one-way partition (the drop filter blocks both directions)");
        rec_.record_for(history::kWorldNode, history::Partition{history::IntList(e.a.begin(), e.a.end()),
                                                                history::IntList(e.b.begin(), e.b.end()), false});
        for (uint32_t x : e.a) block(x, e.b);
        for (uint32_t y : e.b) block(y, e.a);
        return {};
      }
      case FaultKind::kHeal: {
        rec_.record_for(history::kWorldNode, history::Heal{});
        for (Member& m : c_.all()) {
          if (!m.is_store && !m.blocked.empty()) {
            if (auto r = c_.set_blocked(m, {}); !r) return r;
          }
        }
        return {};
      }
      case FaultKind::kClockOffset: {
        if (auto r = c_.set_clock_offset(c_.member(e.node), e.clock_offset.count()); !r) return r;
        rec_.record_for(e.node, history::ClockOffset{e.clock_offset, Duration::zero()});
        return {};
      }
      case FaultKind::kClockJump: {
        Member& m = c_.member(e.node);
        if (auto r = c_.set_clock_offset(m, m.clock_offset_ns + e.clock_delta.count()); !r) return r;
        rec_.record_for(e.node, history::ClockJump{e.clock_delta});
        return {};
      }
      case FaultKind::kClockDrift: return unsupported("clock drift (only offsets and jumps)");
      case FaultKind::kClog:
      case FaultKind::kUnclog: return unsupported("clogs (frames held on a link); partitions drop them instead");
      case FaultKind::kNetwork:
      case FaultKind::kNetworkReset: return unsupported("network windows (loss, duplication, reordering, latency)");
      case FaultKind::kDisk: return unsupported("disk faults (" + std::string(faults::to_string(e.disk.mode)) + ")");
    }
    return unsupported("this event");
  }

  // Member x drops frames to and from every node in `others` (the store: on the member side).
  void block(uint32_t x, const std::vector<env::NodeId>& others) {
    if (x == nodes_) {
      for (uint32_t y : others) {
        Member& m = c_.member(y);
        auto blocked = m.blocked;
        blocked.insert(x);
        if (auto r = c_.set_blocked(m, blocked); !r) note_filter_failure(m, r.error());
      }
      return;
    }
    Member& m = c_.member(x);
    auto blocked = m.blocked;
    for (uint32_t y : others) blocked.insert(y);
    if (auto r = c_.set_blocked(m, blocked); !r) note_filter_failure(m, r.error());
  }
  void note_filter_failure(const Member& m, const Error& e) {
    std::fprintf(stderr, "orbit-cluster: partition filter on %s not applied now (%s); applied when it runs again\n",
                 m.name.c_str(), e.message.c_str());
  }

  struct PendingResume {
    uint32_t node;
    size_t index;
  };
  Cluster& c_;
  real::JsonlRecorder& rec_;
  uint32_t nodes_;
  std::multimap<Clock::time_point, PendingResume> resumes_;
  std::vector<SkippedFault> skipped_;
};

// ---- Commands ----------------------------------------------------------------------------

std::string orbit_toml(uint32_t nodes, Duration lease) {
  const auto ms = [](Duration d) { return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms"; };
  std::ostringstream t;
  // The scenario settings of the simulator (scenarios/scenario.cc), with the lease as given.
  t << "[actor_management]\n"
    << "lease_duration = \"" << ms(lease) << "\"\n"
    << "lease_renewal_fraction = 0.5\n"
    << "max_clock_drift = " << config::kDefaultMaxClockDrift << "\n"
    << "safety_margin = \"200ms\"\n"
    << "idle_timeout = \"30s\"\n"
    << "\n[persistence]\nprovider = \"remote\"\n"
    << "[persistence.remote]\nstore_node = " << nodes << "\ncall_timeout = \"1s\"\n"
    << "\n[membership]\nseeds = [0]\nheartbeat_interval = \"200ms\"\nsuspect_after = \"1s\"\nremove_after = \"2s\"\n"
    << "\n[placement]\npolicy = \"local\"\n";
  return t.str();
}

void print_report_summary(const scenarios::RunReport& report, const std::vector<SkippedFault>& skipped, double wall_s,
                          const std::string& report_path) {
  std::printf("scenario     %s (real mode, %u nodes + store)\n", report.scenario.c_str(), report.members);
  std::printf("outcome      %s\n", std::string(scenarios::to_string(report.outcome)).c_str());
  for (const auto& c : report.checks) {
    std::printf("  %-20s %-9s %s\n", c.checker.c_str(), std::string(checkers::to_string(c.verdict)).c_str(), c.note.c_str());
    for (size_t i = 0; i < c.violations.size() && i < 3; ++i) std::printf("      %s\n", c.violations[i].explanation.c_str());
  }
  std::printf("ops          %llu invoked, %llu ok, %llu failed, %llu indeterminate\n",
              static_cast<unsigned long long>(report.ops_invoked), static_cast<unsigned long long>(report.ops_ok),
              static_cast<unsigned long long>(report.ops_failed), static_cast<unsigned long long>(report.ops_indeterminate));
  std::string faults;
  for (const auto& [kind, n] : report.faults_injected) faults += kind + "=" + std::to_string(n) + " ";
  std::printf("faults       %s\n", faults.empty() ? "none" : faults.c_str());
  for (const auto& s : skipped) std::printf("skipped      events[%zu] %s: %s\n", s.index, s.kind.c_str(), s.reason.c_str());
  std::printf("time         %.1f s wall\n", wall_s);
  std::printf("report       %s\n", report_path.c_str());
}

int cmd_run(const RunFlags& f) {
  const auto wall_start = Clock::now();
  const scenarios::ScenarioSpec* spec = scenarios::find_scenario(f.scenario);
  if (spec == nullptr || (spec->workload != scenarios::Workload::kRegister && spec->workload != scenarios::Workload::kCounter)) {
    std::fprintf(stderr, "orbit-cluster: unknown --scenario '%s' (real mode runs: register, counter)\n", f.scenario.c_str());
    return kExitUsage;
  }
  if (f.scenario != "register" && f.scenario != "counter") {
    std::fprintf(stderr, "orbit-cluster: --scenario %s needs simulator-only fault sites; real mode runs register and counter\n",
                 f.scenario.c_str());
    return kExitUsage;
  }
  if (f.nodes < 3 || f.nodes > 16) {
    std::fprintf(stderr, "orbit-cluster: --nodes must be in [3, 16], got %u\n", f.nodes);
    return kExitUsage;
  }
  Duration safety, liveness, lease, op_timeout;
  try {
    safety = parse_duration_flag("--duration", f.duration);
    liveness = parse_duration_flag("--liveness", f.liveness);
    lease = parse_duration_flag("--lease", f.lease);
    op_timeout = parse_duration_flag("--op-timeout", f.op_timeout);
  } catch (const CLI::ValidationError& e) {
    std::fprintf(stderr, "orbit-cluster: %s\n", e.what());
    return kExitUsage;
  }
  if (safety <= Duration::zero()) {
    std::fprintf(stderr, "orbit-cluster: --duration must be positive\n");
    return kExitUsage;
  }
  faults::FaultPlan plan;
  if (!f.plan_path.empty()) {
    std::ifstream in(f.plan_path);
    if (!in) {
      std::fprintf(stderr, "orbit-cluster: cannot read --plan '%s'\n", f.plan_path.c_str());
      return kExitUsage;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = faults::parse_plan(text.str(), f.nodes + 1);
    if (!parsed) {
      std::fprintf(stderr, "orbit-cluster: --plan %s: %s\n", f.plan_path.c_str(), parsed.error().message.c_str());
      return kExitUsage;
    }
    plan = std::move(*parsed);
    for (size_t i = 0; i < plan.events.size(); ++i) {
      if (plan.events[i].at_ns >= safety.count()) {
        std::fprintf(stderr, "orbit-cluster: --plan %s: events[%zu].at_ms is not before the end of the safety phase (--duration %s)\n",
                     f.plan_path.c_str(), i, f.duration.c_str());
        return kExitUsage;
      }
    }
  }
  ClusterSettings settings;
  settings.nodes = f.nodes;
  settings.out = f.out;
  settings.store_bin = f.store_bin.empty() ? default_binary("orbit_store") : f.store_bin;
  settings.node_bin = f.node_bin.empty() ? default_binary("orbit_node") : f.node_bin;
  settings.log_level = f.log_level;
  for (const auto& [flag, path] : {std::pair{"--store-bin", settings.store_bin}, std::pair{"--node-bin", settings.node_bin}}) {
    if (!executable(path)) {
      std::fprintf(stderr, "orbit-cluster: %s %s: not an executable file\n", flag, path.c_str());
      return kExitUsage;
    }
  }
  settings.member_args = {"--clients", std::to_string(f.clients), "--workload", spec->workload == scenarios::Workload::kRegister ? "register" : "counter",
                          "--actors", std::to_string(f.actors), "--op-timeout", f.op_timeout};
  for (const auto& a : f.node_args) {
    for (auto& word : split_words(a)) settings.member_args.push_back(word);
  }
  for (const auto& spec_for : f.node_args_for) {
    const size_t eq = spec_for.find('=');
    uint32_t id = 0;
    if (eq == std::string::npos || std::sscanf(spec_for.substr(0, eq).c_str(), "%u", &id) != 1 || id >= f.nodes) {
      std::fprintf(stderr, "orbit-cluster: --node-arg-for %s: expected ID=ARG with ID in [0, %u)\n", spec_for.c_str(), f.nodes);
      return kExitUsage;
    }
    for (auto& word : split_words(spec_for.substr(eq + 1))) settings.args_for[id].push_back(word);
  }

  std::error_code ec;
  fs::create_directories(f.out + "/history", ec);
  if (ec) {
    std::fprintf(stderr, "orbit-cluster: cannot create --out %s: %s\n", f.out.c_str(), ec.message().c_str());
    return kExitUsage;
  }
  for (const auto& name : fs::directory_iterator(f.out + "/history")) fs::remove(name.path());
  {
    std::ofstream toml(f.out + "/orbit.toml");
    toml << orbit_toml(f.nodes, lease);
  }
  settings.epoch_ns = real::true_time_ns(0);
  auto recorder = real::JsonlRecorder::open(f.out + "/history/launcher.jsonl", -1, settings.epoch_ns);
  if (!recorder) {
    std::fprintf(stderr, "orbit-cluster: %s\n", recorder.error().message.c_str());
    return kExitUsage;
  }
  real::JsonlRecorder& rec = **recorder;

  Cluster cluster(settings, rec);
  Injector injector(cluster, rec, f.nodes);
  int64_t liveness_start_ns = 0;
  std::string hook_failure;
  std::vector<std::string> forced;
  std::vector<std::string> unexpected;
  try {
    if (auto r = cluster.start(); !r) {
      std::fprintf(stderr, "orbit-cluster: the cluster did not start: %s\n", r.error().message.c_str());
      return kExitUsage;
    }
    std::printf("cluster      store %s, %u nodes ready; logs in %s/logs\n", cluster.store_http().c_str(), f.nodes, f.out.c_str());
    std::fflush(stdout);
    // Plan times count from here, when every process is up (the simulator's time 0).
    const auto t0 = Clock::now();
    rec.record(history::SafetyPhaseStart{static_cast<int64_t>(f.nodes)});
    std::vector<size_t> order(plan.events.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return plan.events[x].at_ns < plan.events[y].at_ns; });
    size_t next = 0;
    const auto safety_end = t0 + safety;
    while (Clock::now() < safety_end) {
      for (auto& u : cluster.reap_unexpected()) unexpected.push_back(u);
      auto wake = std::min(safety_end, Clock::now() + std::chrono::milliseconds(100));
      if (next < order.size()) wake = std::min(wake, t0 + Duration(plan.events[order[next]].at_ns));
      if (auto r = injector.next_resume()) wake = std::min(wake, *r);
      if (wake > Clock::now()) nap(std::chrono::duration_cast<Duration>(wake - Clock::now()));
      injector.resume_due(Clock::now());
      while (next < order.size() && t0 + Duration(plan.events[order[next]].at_ns) <= Clock::now()) {
        injector.apply(plan.events[order[next]], order[next]);
        ++next;
      }
    }
    for (auto& u : cluster.reap_unexpected()) unexpected.push_back(u);
    rec.record(history::LivenessPhaseStart{real::true_time_ns(settings.epoch_ns)});
    injector.heal_all();
    // Let membership and leases settle before liveness counts (as the simulator does).
    const Duration settle = std::chrono::seconds(2) + lease + std::chrono::seconds(2);
    nap(settle);
    liveness_start_ns = real::true_time_ns(settings.epoch_ns);
    rec.record(history::LivenessWindowStart{liveness_start_ns, op_timeout + std::chrono::seconds(2)});
    nap(liveness > settle ? liveness - settle : std::chrono::seconds(1));
    for (auto& u : cluster.reap_unexpected()) unexpected.push_back(u);
    cluster.drain_clients(op_timeout + std::chrono::seconds(3));
    if (!f.hook.empty()) {
      // The cluster is up and idle: a test inspects it (orbit-cli against the store...).
      ::setenv("ORBIT_STORE_HTTP", cluster.store_http().c_str(), 1);
      ::setenv("ORBIT_CLUSTER_DIR", f.out.c_str(), 1);
      const int status = std::system(f.hook.c_str());
      if (status != 0) hook_failure = "--hook exited with " + describe_status(status);
    }
    forced = cluster.shutdown(std::chrono::seconds(20));
  } catch (const Interrupted&) {
    cluster.processes().kill_all();
    std::fprintf(stderr, "orbit-cluster: interrupted; every process was killed\n");
    return 130;
  }
  cluster.processes().kill_all();

  // Merge and judge.
  MergeStats merge_stats;
  auto merged = merge_history_files(cluster.history_files(), &merge_stats);
  if (!merged) {
    std::fprintf(stderr, "orbit-cluster: merging histories: %s\n", merged.error().message.c_str());
    return kExitViolation;
  }
  auto history = std::make_shared<const history::History>(std::move(*merged));
  {
    std::ofstream out(f.out + "/history.jsonl");
    out << reports::render_jsonl(*history);
  }
  scenarios::RunReport report;
  report.scenario = spec->name;
  report.seed = 0;
  report.members = f.nodes;
  report.plan = plan;
  report.plan_in_model = faults::classify(plan, faults::ModelLimits::for_cluster(f.nodes, config::drift_ppm(config::kDefaultMaxClockDrift))) == faults::Model::kInModel;
  report.safety_phase_ns = safety.count();
  report.liveness_start_ns = liveness_start_ns;
  report.sim_time_ns = history->events().empty() ? 0 : history->events().back().time_ns;
  const scenarios::HistorySummary summary = scenarios::summarize(*history);
  report.ops_invoked = summary.ops_invoked;
  report.ops_ok = summary.ops_ok;
  report.ops_failed = summary.ops_failed;
  report.ops_indeterminate = summary.ops_indeterminate;
  report.faults_injected = summary.faults_injected;
  scenarios::JudgeSpec judge_spec;
  judge_spec.required_checkers = spec->required_checkers;
  judge_spec.search_steps = f.max_search_steps;
  judge_spec.search_steps_after_violation = f.max_search_steps;
  auto judged = scenarios::judge(*history, judge_spec, scenarios::context_from_history(*history));
  if (!judged) {
    std::fprintf(stderr, "orbit-cluster: judging the history: %s\n", to_string(judged.error()).c_str());
    return kExitUsage;
  }
  report.checks = std::move(judged->checks);
  report.outcome = judged->outcome;
  report.history = history;

  const double wall_s = std::chrono::duration<double>(Clock::now() - wall_start).count();
  std::string repro = "tools/orbit-cluster run --scenario " + f.scenario + " --nodes " + std::to_string(f.nodes) +
                      " --duration " + f.duration + (f.plan_path.empty() ? "" : " --plan " + f.plan_path) + " --out " + f.out;
  Json j = reports::to_json(report, static_cast<int64_t>(wall_s * 1e9), repro);
  j["mode"] = "real";
  // Real runs have no seed to replay: the command that repeats the run is the launcher's.
  j["run_command"] = repro;
  j["history"] = "history.jsonl";
  j["history_file"] = "history.jsonl";
  std::ofstream(f.out + "/plan.json") << faults::to_json(plan) << "\n";
  j["plan_file"] = "plan.json";
  j["skipped_faults"] = Json::array();
  for (const auto& s : injector.skipped()) j["skipped_faults"].push_back(Json{{"event", s.index}, {"kind", s.kind}, {"reason", s.reason}});
  j["processes_forced_down"] = forced;
  j["unexpected_exits"] = unexpected;
  j["history_merge"] = Json{{"files", merge_stats.files}, {"events", merge_stats.events}, {"torn_tail_lines", merge_stats.torn_tail_lines}};
  if (!hook_failure.empty()) j["hook_failure"] = hook_failure;
  const std::string report_path = f.out + "/report.json";
  std::ofstream(report_path) << j.dump(2) << "\n";
  print_report_summary(report, injector.skipped(), wall_s, report_path);
  for (const auto& name : forced) std::printf("warning      %s did not shut down cleanly\n", name.c_str());
  for (const auto& u : unexpected) std::printf("warning      %s\n", u.c_str());
  if (!hook_failure.empty()) {
    std::printf("hook         FAILED: %s\n", hook_failure.c_str());
    return kExitViolation;
  }
  if (!unexpected.empty()) {
    std::printf("crashed      a process exited without being told to: a failure of the run\n");
    return kExitViolation;
  }
  return report.outcome == scenarios::Outcome::kPass ? kExitPass : kExitViolation;
}

int cmd_bench(const BenchFlags& f) {
  ClusterSettings settings;
  settings.nodes = f.nodes;
  settings.out = f.out;
  settings.store_bin = f.store_bin.empty() ? default_binary("orbit_store") : f.store_bin;
  settings.node_bin = f.node_bin.empty() ? default_binary("orbit_node") : f.node_bin;
  settings.log_level = "warn";
  settings.member_args = {"--clients", std::to_string(f.clients), "--workload", "bench", "--actors", std::to_string(f.actors),
                          "--bench-affinity", f.affinity};
  for (const auto& [flag, path] : {std::pair{"--store-bin", settings.store_bin}, std::pair{"--node-bin", settings.node_bin}}) {
    if (!executable(path)) {
      std::fprintf(stderr, "orbit-cluster: %s %s: not an executable file\n", flag, path.c_str());
      return kExitUsage;
    }
  }
  std::error_code ec;
  fs::create_directories(f.out + "/history", ec);
  if (ec) {
    std::fprintf(stderr, "orbit-cluster: cannot create --out %s: %s\n", f.out.c_str(), ec.message().c_str());
    return kExitUsage;
  }
  std::ofstream(f.out + "/orbit.toml") << orbit_toml(f.nodes, std::chrono::seconds(10));
  settings.epoch_ns = real::true_time_ns(0);
  auto recorder = real::JsonlRecorder::open(f.out + "/history/launcher.jsonl", -1, settings.epoch_ns);
  if (!recorder) {
    std::fprintf(stderr, "orbit-cluster: %s\n", recorder.error().message.c_str());
    return kExitUsage;
  }
  Cluster cluster(settings, **recorder);
  try {
    if (auto r = cluster.start(); !r) {
      std::fprintf(stderr, "orbit-cluster: the cluster did not start: %s\n", r.error().message.c_str());
      return kExitUsage;
    }
    nap(std::chrono::seconds(2) + Duration(static_cast<int64_t>(f.seconds * 1e9)));  // 2 s warm-up, unmeasured
    cluster.drain_clients(std::chrono::seconds(10));
    uint64_t calls = 0, errors = 0;
    double rate = 0, p50 = 0, p99 = 0;
    for (Member& m : cluster.all()) {
      if (m.is_store) continue;
      auto r = real::http_request("GET", real::HostPort{"127.0.0.1", m.http_port}, "/admin/clients", "", std::chrono::seconds(10));
      if (!r) continue;
      Json j = Json::parse(r->body, nullptr, false);
      if (!j.is_object() || !j.contains("bench")) continue;
      const Json& b = j["bench"];
      calls += b.value("calls", uint64_t{0});
      errors += b.value("errors", uint64_t{0});
      rate += b.value("calls_per_second", 0.0);
      p50 = std::max(p50, b.value("p50_us", 0.0));
      p99 = std::max(p99, b.value("p99_us", 0.0));
      std::printf("node %u       %s\n", m.id, b.dump().c_str());
    }
    std::printf("bench        %u nodes, %u clients per node, %s affinity, %.0f s: %llu calls, %llu errors, %.0f calls/s; "
                "p50 %.0f us, p99 %.0f us (worst node)\n",
                f.nodes, f.clients, f.affinity.c_str(), f.seconds, static_cast<unsigned long long>(calls), static_cast<unsigned long long>(errors), rate,
                p50, p99);
    Json summary{{"nodes", f.nodes}, {"clients_per_node", f.clients}, {"affinity", f.affinity}, {"seconds", f.seconds}, {"calls", calls},
                 {"errors", errors}, {"calls_per_second", rate}, {"p50_us_worst_node", p50}, {"p99_us_worst_node", p99}};
    std::ofstream(f.out + "/bench.json") << summary.dump(2) << "\n";
    const std::vector<std::string> forced = cluster.shutdown(std::chrono::seconds(20));
    for (const auto& name : forced) std::printf("warning      %s did not shut down cleanly\n", name.c_str());
    if (!forced.empty()) {
      cluster.processes().kill_all();
      return kExitViolation;
    }
  } catch (const Interrupted&) {
    cluster.processes().kill_all();
    std::fprintf(stderr, "orbit-cluster: interrupted; every process was killed\n");
    return 130;
  }
  cluster.processes().kill_all();
  return kExitPass;
}

int main_impl(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"orbit-cluster: a real-mode Orbit cluster on loopback with real faults (docs/REAL_MODE.md)"};
  app.require_subcommand(1);
  RunFlags run;
  CLI::App* run_cmd = app.add_subcommand("run", "run a scenario against a store and N nodes, inject a fault plan, check the history");
  run_cmd->add_option("--scenario", run.scenario, "register | counter");
  run_cmd->add_option("--nodes", run.nodes, "cluster members (the store is node N)");
  run_cmd->add_option("--duration", run.duration, "safety phase (the plan's faults), e.g. 20s");
  run_cmd->add_option("--liveness", run.liveness, "liveness phase after healing, e.g. 12s");
  run_cmd->add_option("--plan", run.plan_path, "FaultPlan JSON (docs/FAULT_PLANS.md); default: no faults");
  run_cmd->add_option("--out", run.out, "directory for configs, logs, histories and report.json")->required();
  run_cmd->add_option("--store-bin", run.store_bin, "orbit-store binary (default: beside this one)");
  run_cmd->add_option("--node-bin", run.node_bin, "orbit-node binary (default: beside this one)");
  run_cmd->add_option("--clients", run.clients, "client drivers per node");
  run_cmd->add_option("--actors", run.actors, "actor ids the clients use");
  run_cmd->add_option("--lease", run.lease, "actor_management.lease_duration");
  run_cmd->add_option("--op-timeout", run.op_timeout, "client operation timeout");
  run_cmd->add_option("--node-arg", run.node_args, "extra arguments for every orbit-node, space-separated (repeat)")->allow_extra_args(false);
  run_cmd->add_option("--node-arg-for", run.node_args_for, "ID=ARGS: extra arguments for one orbit-node, space-separated (repeat)")->allow_extra_args(false);
  run_cmd->add_option("--hook", run.hook, "shell command run after the liveness phase while the cluster is up "
                                           "(env ORBIT_STORE_HTTP, ORBIT_CLUSTER_DIR); non-zero fails the run");
  run_cmd->add_option("--log-level", run.log_level, "the processes' log level");
  run_cmd->add_option("--max-search-steps", run.max_search_steps, "the linearizability checker's step budget (unknown beyond it)");
  reports::JudgeFileOptions judge;
  CLI::App* judge_cmd = app.add_subcommand("judge", "judge a history file (JSON Lines) with a scenario's checkers, as orbit-sim judge does");
  judge_cmd->add_option("history", judge.history_path, "history file, e.g. OUT/history.jsonl")->required();
  judge_cmd->add_option("--scenario", judge.scenario, "the scenario whose checkers judge it")->required();
  judge_cmd->add_option("--max-search-steps", judge.search_steps, "the linearizability checker's step budget (default: the simulator's)");
  BenchFlags bench;
  CLI::App* bench_cmd = app.add_subcommand("bench", "closed-loop actor calls on N nodes: calls/s, p50, p99");
  bench_cmd->add_option("--nodes", bench.nodes, "cluster members");
  bench_cmd->add_option("--seconds", bench.seconds, "measurement length");
  bench_cmd->add_option("--clients", bench.clients, "concurrent callers per node");
  bench_cmd->add_option("--actors", bench.actors, "actor ids per node (spread affinity)");
  bench_cmd->add_option("--affinity", bench.affinity, "spread: clients call ids spread over the ring (2/3 remote on 3 nodes); "
                                                      "local: each client calls an actor its own node owns")
      ->check(CLI::IsMember({"spread", "local"}));
  bench_cmd->add_option("--out", bench.out, "directory for configs and logs")->required();
  bench_cmd->add_option("--store-bin", bench.store_bin, "orbit-store binary");
  bench_cmd->add_option("--node-bin", bench.node_bin, "orbit-node binary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "orbit-cluster: %s\n", e.what());
    return kExitUsage;
  }
  if (run_cmd->parsed()) return cmd_run(run);
  if (judge_cmd->parsed()) return reports::judge_history_file("orbit-cluster", judge);
  return cmd_bench(bench);
}

}  // namespace
}  // namespace orbit::tools

int main(int argc, char** argv) { return orbit::tools::main_impl(argc, argv); }
