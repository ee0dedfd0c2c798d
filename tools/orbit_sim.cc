// orbit-sim: the simulator's command line. Exit codes: 0 success, 1 a failed run, 2 a usage
// or input error (CLI11 parse errors included), so scripts can tell them apart.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "sim/demo/ping_pong.h"

namespace {

using orbit::sim::demo::PingPongConfig;

int run_demo(uint64_t seed, double seconds, uint32_t nodes, bool hash_only) {
  PingPongConfig config;
  config.nodes = nodes;
  config.duration = std::chrono::duration_cast<orbit::Duration>(std::chrono::duration<double>(seconds));
  auto run = orbit::sim::demo::run_ping_pong(seed, config);
  if (!run) {
    std::fprintf(stderr, "orbit-sim demo: %s\n", orbit::to_string(run.error()).c_str());
    return 2;
  }
  const auto& world = *run->world;
  if (hash_only) {
    std::printf("%016llx\n", static_cast<unsigned long long>(world.trace_hash()));
    return 0;
  }
  const auto& c = *run->counts;
  const auto& n = world.network_stats();
  const auto& s = world.stats();
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("orbit-sim demo: %u nodes ping/pong under 5%% loss, a crash+restart and a partition\n", nodes);
  std::printf("seed            %llu (%.1f s simulated)\n", u(seed), seconds);
  std::printf("trace hash      %016llx\n", u(world.trace_hash()));
  std::printf("events          %llu executed, %llu dropped (dead incarnations), %llu deferred (pauses)\n",
              u(s.events_executed), u(s.events_dropped), u(s.events_deferred));
  std::printf("messages        %llu sent, %llu delivered, %llu lost, %llu partitioned, %llu to down nodes\n",
              u(n.sent), u(n.delivered), u(n.lost), u(n.partitioned), u(n.to_down_node));
  std::printf("pings           %llu sent, %llu answered, %llu timed out; %llu peer-loss notices\n",
              u(c.pings_sent), u(c.pongs_received), u(c.timeouts), u(c.peers_lost));
  std::printf("history         %zu events\n", world.history().size());
  std::printf("replay          tools/orbit-sim demo --seed %llu --seconds %g --nodes %u\n", u(seed), seconds,
              nodes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"orbit-sim: deterministic simulation of an Orbit cluster"};
  app.require_subcommand(1);

  uint64_t seed = 1;
  double seconds = 10.0;
  uint32_t nodes = 5;
  bool hash_only = false;
  CLI::App* demo = app.add_subcommand(
      "demo", "Run the demo world: nodes ping/pong with timeouts under random loss, a crash and a partition");
  demo->add_option("--seed", seed, "the run's seed; the same seed replays the same run bit for bit");
  demo->add_option("--seconds", seconds, "simulated duration, in seconds")->check(CLI::Range(0.001, 86400.0));
  demo->add_option("--nodes", nodes, "number of nodes (3..1000)")->check(CLI::Range(3u, 1000u));
  demo->add_flag("--hash-only", hash_only, "print only the trace hash (for determinism checks)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  if (demo->parsed()) return run_demo(seed, seconds, nodes, hash_only);
  return 2;
}
