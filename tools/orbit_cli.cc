// orbit-cli: an operator's view of a real-mode store, over orbit-store's HTTP endpoint.
//
//   orbit-cli --store HOST:PORT actor list-leases [--kind K]
//   orbit-cli --store HOST:PORT actor inspect-state <kind>/<id>
//   orbit-cli --store HOST:PORT metrics persistence [--watch [--interval 1s] [--count N]]
//   orbit-cli --store HOST:PORT persistence health-check
//
// Human-readable tables by default; --json prints the store's JSON (one document, or one
// line per sample with --watch). --store may also come from $ORBIT_STORE.
//
// Exit codes (every command):
//   0  done (health-check: the store is healthy)
//   1  the command ran and the answer is bad: health-check degraded or unhealthy, no such
//      snapshot, the store answered with an error
//   2  usage error (unknown command or flag, a malformed argument)
//   3  the store is unreachable (connection refused, timeout, not HTTP)
// inspect-state exits 0 whether or not the hash verifies: it reports, health-check judges.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "runtime/config/duration.h"
#include "runtime/real/http_client.h"

namespace orbit::tools {
namespace {

using Json = nlohmann::json;

constexpr int kOk = 0;
constexpr int kBad = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

struct Options {
  std::string store;
  bool json = false;
  std::string timeout = "5s";
  std::string kind;
  std::string actor;
  bool watch = false;
  std::string interval = "1s";
  int count = 0;  // 0: until interrupted
};

// A failure that ends the command with `code`.
struct Exit {
  int code;
  std::string message;
};

struct Context {
  real::HostPort store;
  Duration timeout;
  bool json;
};

// GET `target`; an unreachable store or a non-HTTP answer throws Exit{3}.
real::HttpResponse get(const Context& ctx, const std::string& target) {
  Result<real::HttpResponse> r = real::http_request("GET", ctx.store, target, "", ctx.timeout);
  if (!r) throw Exit{kUnreachable, "cannot reach the store: " + r.error().message};
  return *r;
}

Json get_json(const Context& ctx, const std::string& target) {
  real::HttpResponse response = get(ctx, target);
  if (response.status != 200) {
    throw Exit{kBad, "the store answered " + std::to_string(response.status) + " to GET " + target + ": " +
                         response.body};
  }
  Json j = Json::parse(response.body, nullptr, false);
  if (j.is_discarded()) throw Exit{kUnreachable, "the store's answer to GET " + target + " is not JSON"};
  return j;
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Left-aligned columns, two spaces apart.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::printf("%s\n", out.c_str());
  };
  line(header);
  for (const auto& row : rows) line(row);
}

std::string wall_time(int64_t ns) {
  if (ns <= 0) return "-";
  const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>((ns / 1'000'000) % 1000));
  return std::string(buffer) + millis;
}

std::string key_text(const Json& key) {
  return key.value("kind", std::string("?")) + "/" + key.value("id", std::string("?"));
}

// ---- actor list-leases ---------------------------------------------------------------------

int list_leases(const Context& ctx, const std::string& kind) {
  const std::string target = kind.empty() ? "/leases" : "/leases?kind=" + percent_encode(kind);
  const Json leases = get_json(ctx, target);
  if (!leases.is_array()) throw Exit{kUnreachable, "GET /leases did not return a JSON array"};
  if (ctx.json) {
    std::printf("%s\n", leases.dump(2).c_str());
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const Json& lease : leases) {
    const std::string holder = lease.value("holder", std::string());
    std::string state = holder.empty() ? "free" : (lease.value("held", false) ? "held" : "expired");
    std::string expires = "-";
    if (!holder.empty() && lease.contains("expires_in_ms") && lease["expires_in_ms"].is_number()) {
      const int64_t ms = lease["expires_in_ms"].get<int64_t>();
      expires = ms >= 0 ? "in " + config::format_duration(std::chrono::milliseconds(ms))
                        : config::format_duration(std::chrono::milliseconds(-ms)) + " ago";
    }
    rows.push_back({key_text(lease["key"]), holder.empty() ? "-" : holder,
                    std::to_string(lease.value("version", uint64_t{0})), state, expires});
  }
  print_table({"KEY", "HOLDER", "VERSION", "STATE", "EXPIRES"}, rows);
  std::printf("%zu lease%s%s\n", rows.size(), rows.size() == 1 ? "" : "s",
              kind.empty() ? "" : (" of kind " + kind).c_str());
  return kOk;
}

// ---- actor inspect-state -------------------------------------------------------------------

int inspect_state(const Context& ctx, const std::string& actor) {
  const size_t slash = actor.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == actor.size()) {
    throw Exit{kUsage, "inspect-state " + actor + ": expected <kind>/<id>, e.g. counter/c1"};
  }
  const std::string target = "/state/" + percent_encode(actor.substr(0, slash)) + "/" +
                             percent_encode(actor.substr(slash + 1));
  real::HttpResponse response = get(ctx, target);
  if (response.status == 404) throw Exit{kBad, "no snapshot of " + actor + " in the store"};
  if (response.status != 200) {
    throw Exit{kBad, "the store answered " + std::to_string(response.status) + ": " + response.body};
  }
  const Json j = Json::parse(response.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Exit{kUnreachable, "GET " + target + " did not return a JSON object"};
  if (ctx.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kOk;
  }
  const bool verified = j.value("hash_verified", false);
  std::string retained;
  for (const Json& v : j.value("versions", Json::array())) {
    if (!retained.empty()) retained += ", ";
    retained += std::to_string(v.value("version", uint64_t{0}));
    if (!v.value("hash_verified", false)) retained += " (hash mismatch)";
  }
  std::printf("actor:          %s\n", key_text(j["key"]).c_str());
  std::printf("version:        %llu\n", static_cast<unsigned long long>(j.value("version", uint64_t{0})));
  std::printf("hash_verified:  %s\n", verified ? "true" : "false");
  std::printf("sha256:         %s%s\n", j.value("sha256", std::string()).c_str(),
              verified ? "" : "  (does NOT match the stored state)");
  std::printf("fencing_token:  %llu\n", static_cast<unsigned long long>(j.value("fencing_token", uint64_t{0})));
  std::printf("written_by:     %s\n", j.value("node", std::string()).c_str());
  std::printf("updated_at:     %s\n", wall_time(j.value("updated_at_ns", int64_t{0})).c_str());
  std::printf("size_bytes:     %llu\n", static_cast<unsigned long long>(j.value("size_bytes", uint64_t{0})));
  std::printf("retained:       %s\n", retained.c_str());
  if (j.contains("tags") && j["tags"].is_object() && !j["tags"].empty()) {
    std::string tags;
    for (auto& [k, v] : j["tags"].items()) tags += (tags.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
    std::printf("tags:           %s\n", tags.c_str());
  }
  if (j.contains("lease") && j["lease"].is_object()) {
    const Json& lease = j["lease"];
    const std::string holder = lease.value("holder", std::string());
    std::printf("lease:          %s, version %llu\n", holder.empty() ? "free" : ("held by " + holder).c_str(),
                static_cast<unsigned long long>(lease.value("version", uint64_t{0})));
  }
  const std::string state = j["state"].is_null() ? j.value("state_text", std::string()) : j["state"].dump();
  std::printf("state:          %s\n", state.c_str());
  return kOk;
}

// ---- metrics persistence -------------------------------------------------------------------

// The orbit_store_* samples of a Prometheus text page (no labels are used by the store).
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string name = line.substr(0, space);
    if (name.rfind("orbit_store_", 0) != 0) continue;
    try {
      out[name] = std::stod(line.substr(space + 1));
    } catch (...) {
      throw Exit{kUnreachable, "unparsable metrics line: " + line};
    }
  }
  return out;
}

std::string number(double v) {
  char buffer[32];
  if (v == static_cast<double>(static_cast<int64_t>(v))) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f", v);
  }
  return buffer;
}

volatile std::sig_atomic_t interrupted = 0;

int metrics_persistence(const Context& ctx, bool watch, Duration interval, int count) {
  if (!watch) count = 1;
  std::map<std::string, double> previous;
  auto previous_at = std::chrono::steady_clock::now();
  if (watch) {
    std::signal(SIGINT, [](int) { interrupted = 1; });
    std::signal(SIGTERM, [](int) { interrupted = 1; });
  }
  for (int sample = 0; (count == 0 || sample < count) && !interrupted; ++sample) {
    if (sample > 0) {
      const auto until = std::chrono::steady_clock::now() + interval;
      while (std::chrono::steady_clock::now() < until && !interrupted) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (interrupted) break;
    }
    real::HttpResponse response = get(ctx, "/metrics");
    if (response.status != 200) {
      throw Exit{kBad, "the store answered " + std::to_string(response.status) + " to GET /metrics"};
    }
    const auto now = std::chrono::steady_clock::now();
    std::map<std::string, double> values = parse_prometheus(response.body);
    if (values.empty()) throw Exit{kUnreachable, "GET /metrics returned no orbit_store_* samples"};
    const double seconds = std::chrono::duration<double>(now - previous_at).count();
    if (ctx.json) {
      Json j{{"time", wall_time(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count())},
             {"metrics", Json::object()}};
      for (const auto& [name, v] : values) {
        j["metrics"][name] = v == static_cast<double>(static_cast<int64_t>(v)) ? Json(static_cast<int64_t>(v)) : Json(v);
      }
      if (sample > 0 && seconds > 0) {
        Json rates = Json::object();
        for (const auto& [name, v] : values) {
          if (name.ends_with("_total") && previous.contains(name)) rates[name] = (v - previous[name]) / seconds;
        }
        j["rates_per_second"] = rates;
      }
      std::printf("%s\n", (watch ? j.dump() : j.dump(2)).c_str());
    } else {
      if (watch) {
        std::printf("%s-- %s\n", sample > 0 ? "\n" : "",
                    wall_time(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count())
                        .c_str());
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& [name, v] : values) {
        std::string rate = "-";
        if (sample > 0 && seconds > 0 && name.ends_with("_total") && previous.contains(name)) {
          rate = number((v - previous[name]) / seconds) + "/s";
        }
        rows.push_back({name, number(v), rate});
      }
      if (watch) {
        print_table({"METRIC", "VALUE", "RATE"}, rows);
      } else {
        for (auto& row : rows) row.pop_back();
        print_table({"METRIC", "VALUE"}, rows);
      }
    }
    std::fflush(stdout);
    previous = std::move(values);
    previous_at = now;
  }
  return kOk;
}

// ---- persistence health-check --------------------------------------------------------------

int health_check(const Context& ctx) {
  real::HttpResponse response = get(ctx, "/health");
  const Json j = Json::parse(response.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("state")) {
    throw Exit{kUnreachable, "GET /health answered " + std::to_string(response.status) + " without a health document"};
  }
  const std::string state = j.value("state", std::string("unknown"));
  const bool healthy = response.status == 200 && state == "healthy";
  if (ctx.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    const std::string reason = j.value("reason", std::string());
    std::printf("store %s: %s%s\n", real::to_string(ctx.store).c_str(), state.c_str(),
                reason.empty() ? "" : (" (" + reason + ")").c_str());
    std::printf("lease records: %llu, actors with snapshots: %llu, retained versions: %llu\n",
                static_cast<unsigned long long>(j.value("lease_records", uint64_t{0})),
                static_cast<unsigned long long>(j.value("snapshot_keys", uint64_t{0})),
                static_cast<unsigned long long>(j.value("retained_versions", uint64_t{0})));
  }
  return healthy ? kOk : kBad;
}

Duration duration_option(const std::string& flag, const std::string& text) {
  Result<Duration> d = config::parse_duration(text);
  if (!d) throw Exit{kUsage, flag + " " + text + ": " + d.error().message};
  if (*d <= Duration::zero()) throw Exit{kUsage, flag + " " + text + ": must be positive"};
  return *d;
}

int run(int argc, char** argv) {
  Options o;
  CLI::App app{"orbit-cli: inspect a real-mode Orbit store (orbit-store's HTTP endpoint).\n"
               "Exit codes: 0 ok, 1 bad answer (unhealthy, not found), 2 usage, 3 store unreachable."};
  app.set_help_all_flag("--help-all", "help for every command");
  app.add_option("--store", o.store, "orbit-store's HTTP address HOST:PORT")->envname("ORBIT_STORE")->required();
  app.add_flag("--json", o.json, "machine-readable output (JSON)");
  app.add_option("--timeout", o.timeout, "per-request timeout (e.g. 5s)");
  app.require_subcommand(1);
  // --json, --store and --timeout may also follow the command (subcommands inherit this).
  app.fallthrough();

  CLI::App* actor = app.add_subcommand("actor", "actors' leases and persisted state");
  actor->require_subcommand(1);
  CLI::App* list = actor->add_subcommand("list-leases", "every lease record, sorted by key");
  list->add_option("--kind", o.kind, "only actors of this kind");
  CLI::App* inspect = actor->add_subcommand("inspect-state", "the latest snapshot of one actor, hash checked");
  inspect->add_option("actor", o.actor, "<kind>/<id>")->required();

  CLI::App* metrics = app.add_subcommand("metrics", "store metrics");
  metrics->require_subcommand(1);
  CLI::App* persistence = metrics->add_subcommand("persistence", "the store's persistence counters");
  persistence->add_flag("--watch", o.watch, "sample repeatedly, with rates");
  CLI::Option* interval = persistence->add_option("--interval", o.interval, "time between samples with --watch");
  CLI::Option* count = persistence->add_option("--count", o.count, "samples with --watch (default: until Ctrl-C)")
                           ->check(CLI::PositiveNumber);
  interval->needs("--watch");
  count->needs("--watch");

  CLI::App* health_group = app.add_subcommand("persistence", "persistence checks");
  health_group->require_subcommand(1);
  CLI::App* health = health_group->add_subcommand("health-check", "exit 0 when the store is healthy, 1 otherwise");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // "A subcommand is required" hides the word that was not one: name it.
    std::string unknown;
    for (const std::string& word : app.remaining()) unknown += (unknown.empty() ? "" : " ") + word;
    for (CLI::App* sub : {actor, metrics, health_group}) {
      for (const std::string& word : sub->remaining()) unknown += (unknown.empty() ? "" : " ") + word;
    }
    std::string incomplete;
    for (CLI::App* sub : {actor, metrics, health_group}) {
      if (!sub->parsed() || !sub->get_subcommands().empty()) continue;
      std::string names;
      for (const CLI::App* child : sub->get_subcommands({})) names += (names.empty() ? "" : ", ") + child->get_name();
      incomplete = "'" + sub->get_name() + "' needs a command: " + names;
    }
    if (!unknown.empty()) {
      std::fprintf(stderr, "orbit-cli: unknown command or argument: %s (%s)\n", unknown.c_str(), e.what());
    } else if (!incomplete.empty()) {
      std::fprintf(stderr, "orbit-cli: %s\n", incomplete.c_str());
    } else if (app.get_subcommands().empty()) {
      std::fprintf(stderr, "orbit-cli: a command is required: actor, metrics or persistence (%s)\n", e.what());
    } else {
      std::fprintf(stderr, "orbit-cli: %s\n", e.what());
    }
    std::fprintf(stderr, "Run with --help for usage.\n");
    return kUsage;
  }

  try {
    Result<real::HostPort> store = real::parse_host_port(o.store);
    if (!store) throw Exit{kUsage, "--store " + o.store + ": " + store.error().message};
    const Context ctx{*store, duration_option("--timeout", o.timeout), o.json};
    if (*list) return list_leases(ctx, o.kind);
    if (*inspect) return inspect_state(ctx, o.actor);
    if (*persistence) return metrics_persistence(ctx, o.watch, duration_option("--interval", o.interval), o.count);
    if (*health) return health_check(ctx);
    throw Exit{kUsage, "no command given (see --help)"};
  } catch (const Exit& e) {
    std::fprintf(stderr, "orbit-cli: %s\n", e.message.c_str());
    return e.code;
  }
}

}  // namespace
}  // namespace orbit::tools

int main(int argc, char** argv) { return orbit::tools::run(argc, argv); }
