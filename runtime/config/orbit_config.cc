#include "runtime/config/orbit_config.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <initializer_list>
#include <limits>
#include <set>
#include <utility>

// toml++ reports syntax errors by throwing toml::parse_error; parse_config catches it at
// this boundary and returns it as a value, so nothing escapes to callers.
#include <toml++/toml.h>

#include "runtime/config/checks.h"
#include "runtime/config/duration.h"

namespace orbit::config {
namespace {

// A problem found while reading or checking: the message without the source name, or
// nothing. parse_config/validate_config prefix the source name once, at the top.

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kNodeIdMax = std::numeric_limits<env::NodeId>::max();
// Upper bounds keep a typo (an extra zero or three) from turning into an enormous
// allocation: the retained versions are kept per actor, the ring holds vnodes per member.
constexpr int64_t kMaxRetainedVersions = kMaxSnapshotRetainedVersions;
constexpr int64_t kMaxVnodesPerMember = 4096;

Error config_error(std::string_view source_name, std::string_view message) {
  std::string text(source_name);
  text += ": ";
  text += message;
  return make_error(ErrorCode::kInvalidArgument, std::move(text));
}

// A TOML basic string, quoted. Used both by to_toml and to quote values in messages.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          std::array<char, 8> esc{};
          std::snprintf(esc.data(), esc.size(), "\\u%04x", static_cast<unsigned>(u));
          out += esc.data();
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}


std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
  }
  return "unknown";
}

std::string join(std::string_view table, std::string_view key) {
  if (table.empty()) return std::string(key);
  std::string out(table);
  out += '.';
  out += key;
  return out;
}

// "x must be at least 1, got 0" / "x must be between 1 and 1000, got 5000".
Problem check_range(const std::string& path, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return std::nullopt;
  if (max == kInt64Max) return path + " must be at least " + std::to_string(min) + ", got " + std::to_string(value);
  return path + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
         std::to_string(value);
}

template <typename E>
struct Choice {
  std::string_view name;
  E value;
};

constexpr std::array<Choice<ProviderKind>, 4> kProviders = {{
    {"memory", ProviderKind::kMemory},
    {"log", ProviderKind::kLog},
    {"remote", ProviderKind::kRemote},
    {"rocksdb", ProviderKind::kRocksDb},
}};

constexpr std::array<Choice<PlacementPolicy>, 3> kPolicies = {{
    {"local", PlacementPolicy::kLocal},
    {"least_loaded", PlacementPolicy::kLeastLoaded},
    {"random", PlacementPolicy::kRandom},
}};

// Reads the keys of one TOML table into typed fields. Absent keys leave the field (its
// default) alone; each reader returns the first problem with the key's full path.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path) : table_(table), path_(std::move(path)) {}

  // Unknown keys first: a misspelt key is the likeliest cause of any later surprise.
  // toml::table keeps its keys in a std::map, so "first" is deterministic.
  Problem check_known(std::initializer_list<std::string_view> known) const {
    for (const auto& [key, node] : table_) {
      bool found = false;
      for (std::string_view k : known) found = found || key.str() == k;
      if (!found) return "unknown key " + path(key.str());
    }
    return std::nullopt;
  }

  Problem read_duration(std::string_view key, Duration& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    const auto* text = node->as_string();
    if (text == nullptr) {
      return path(key) + " must be a duration string such as \"10s\", got " + type_name(*node);
    }
    Result<Duration> parsed = parse_duration(text->get());
    if (!parsed.ok()) return path(key) + ": " + parsed.error().message;
    out = *parsed;
    return std::nullopt;
  }

  // Integers are accepted where a float is expected: `max_clock_drift = 0` means 0.0.
  Problem read_number(std::string_view key, double& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* f = node->as_floating_point()) {
      out = f->get();
    } else if (const auto* i = node->as_integer()) {
      out = static_cast<double>(i->get());
    } else {
      return path(key) + " must be a number, got " + type_name(*node);
    }
    return std::nullopt;
  }

  // Range-checked here, before narrowing, so an out-of-range value cannot wrap into a
  // valid-looking one.
  template <typename Int>
  Problem read_int(std::string_view key, int64_t min, int64_t max, Int& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    int64_t value = 0;
    if (Problem p = integer_at(*node, path(key), min, max, value)) return p;
    out = static_cast<Int>(value);
    return std::nullopt;
  }

  template <typename Int>
  Problem read_optional_int(std::string_view key, int64_t min, int64_t max, std::optional<Int>& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    int64_t value = 0;
    if (Problem p = integer_at(*node, path(key), min, max, value)) return p;
    out = static_cast<Int>(value);
    return std::nullopt;
  }

  template <typename Int>
  Problem read_int_array(std::string_view key, int64_t min, int64_t max, std::vector<Int>& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    const auto* array = node->as_array();
    if (array == nullptr) return path(key) + " must be an array of integers, got " + type_name(*node);
    std::vector<Int> values;
    for (size_t i = 0; i < array->size(); ++i) {
      int64_t value = 0;
      const std::string element = path(key) + "[" + std::to_string(i) + "]";
      if (Problem p = integer_at(*array->get(i), element, min, max, value)) return p;
      values.push_back(static_cast<Int>(value));
    }
    out = std::move(values);
    return std::nullopt;
  }

  Problem read_string(std::string_view key, std::string& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    const auto* text = node->as_string();
    if (text == nullptr) return path(key) + " must be a string, got " + type_name(*node);
    out = text->get();
    return std::nullopt;
  }

  template <typename E, size_t N>
  Problem read_choice(std::string_view key, const std::array<Choice<E>, N>& choices, E& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::nullopt;
    const auto* text = node->as_string();
    std::string names;
    for (const auto& c : choices) names += (names.empty() ? "" : ", ") + quote(c.name);
    if (text == nullptr) return path(key) + " must be a string (one of " + names + "), got " + type_name(*node);
    for (const auto& c : choices) {
      if (c.name == text->get()) {
        out = c.value;
        return std::nullopt;
      }
    }
    return path(key) + " must be one of " + names + ", got " + quote(text->get());
  }

  // The sub-table at `key` (nullptr when absent); a non-table there is a problem.
  const toml::table* subtable(std::string_view key, Problem& problem) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return nullptr;
    if (const auto* t = node->as_table()) return t;
    problem = path(key) + " must be a table, got " + type_name(*node);
    return nullptr;
  }

  std::string path(std::string_view key) const { return join(path_, key); }

 private:
  static Problem integer_at(const toml::node& node, const std::string& path, int64_t min, int64_t max,
                            int64_t& out) {
    const auto* i = node.as_integer();
    if (i == nullptr) return path + " must be an integer, got " + type_name(node);
    out = i->get();
    return check_range(path, out, min, max);
  }

  const toml::table& table_;
  std::string path_;
};

Problem read_actor_management(const toml::table& table, ActorManagementConfig& out) {
  TableReader r(table, "actor_management");
  if (Problem p = r.check_known({"lease_duration", "lease_renewal_fraction", "max_clock_drift", "safety_margin",
                                 "snapshot_interval", "idle_timeout", "max_concurrent_activations",
                                 "max_mailbox_depth", "snapshot_retained_versions"})) {
    return p;
  }
  if (Problem p = r.read_duration("lease_duration", out.lease_duration)) return p;
  if (Problem p = r.read_number("lease_renewal_fraction", out.lease_renewal_fraction)) return p;
  if (Problem p = r.read_number("max_clock_drift", out.max_clock_drift)) return p;
  if (Problem p = r.read_duration("safety_margin", out.safety_margin)) return p;
  if (Problem p = r.read_duration("snapshot_interval", out.snapshot_interval)) return p;
  if (Problem p = r.read_duration("idle_timeout", out.idle_timeout)) return p;
  if (Problem p = r.read_int("max_concurrent_activations", 1, kInt64Max, out.max_concurrent_activations)) return p;
  if (Problem p = r.read_int("max_mailbox_depth", 1, kInt64Max, out.max_mailbox_depth)) return p;
  if (Problem p = r.read_int("snapshot_retained_versions", 1, kMaxRetainedVersions, out.snapshot_retained_versions)) {
    return p;
  }
  return std::nullopt;
}

Problem read_persistence(const toml::table& table, PersistenceConfig& out) {
  TableReader r(table, "persistence");
  if (Problem p = r.check_known({"provider", "log", "remote"})) return p;
  if (Problem p = r.read_choice("provider", kProviders, out.provider)) return p;

  Problem problem;
  if (const toml::table* log = r.subtable("log", problem)) {
    TableReader lr(*log, "persistence.log");
    if (Problem p = lr.check_known({"dir", "segment_bytes", "group_commit_window"})) return p;
    if (Problem p = lr.read_string("dir", out.log.dir)) return p;
    if (Problem p = lr.read_int("segment_bytes", 1, kInt64Max, out.log.segment_bytes)) return p;
    if (Problem p = lr.read_duration("group_commit_window", out.log.group_commit_window)) return p;
  }
  if (problem) return problem;

  if (const toml::table* remote = r.subtable("remote", problem)) {
    TableReader rr(*remote, "persistence.remote");
    if (Problem p = rr.check_known({"store_node", "call_timeout"})) return p;
    if (Problem p = rr.read_optional_int("store_node", 0, kNodeIdMax, out.remote.store_node)) return p;
    if (Problem p = rr.read_duration("call_timeout", out.remote.call_timeout)) return p;
  }
  return problem;
}

Problem read_membership(const toml::table& table, MembershipConfig& out) {
  TableReader r(table, "membership");
  if (Problem p = r.check_known({"seeds", "heartbeat_interval", "suspect_after", "remove_after"})) return p;
  if (Problem p = r.read_int_array("seeds", 0, kNodeIdMax, out.seeds)) return p;
  if (Problem p = r.read_duration("heartbeat_interval", out.heartbeat_interval)) return p;
  if (Problem p = r.read_duration("suspect_after", out.suspect_after)) return p;
  if (Problem p = r.read_duration("remove_after", out.remove_after)) return p;
  return std::nullopt;
}

Problem read_placement(const toml::table& table, PlacementConfig& out) {
  TableReader r(table, "placement");
  if (Problem p = r.check_known({"policy", "vnodes_per_member"})) return p;
  if (Problem p = r.read_choice("policy", kPolicies, out.policy)) return p;
  if (Problem p = r.read_int("vnodes_per_member", 1, kMaxVnodesPerMember, out.vnodes_per_member)) return p;
  return std::nullopt;
}

Problem check_less(const std::string& a_path, Duration a, const std::string& b_path, Duration b) {
  if (a < b) return std::nullopt;
  return a_path + " must be less than " + b_path + ", got " + quoted_duration(a) + " and " + quoted_duration(b);
}

// An unsigned value checked against a signed range (values beyond int64 pass a lower bound
// and fail an upper one).
Problem check_unsigned_range(const std::string& path, uint64_t value, int64_t min, int64_t max) {
  if (value > static_cast<uint64_t>(kInt64Max)) {
    if (max == kInt64Max) return std::nullopt;
    return path + " must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
           std::to_string(value);
  }
  return check_range(path, static_cast<int64_t>(value), min, max);
}

// The one [actor_management] validation (actor_management.h), as a Problem.
Problem check_actor_management(const ActorManagementConfig& c) {
  Result<void> r = validate_actor_management(c);
  if (r.ok()) return std::nullopt;
  return r.error().message;
}

Problem validate_persistence(const PersistenceConfig& c) {
  if (c.log.dir.empty()) return std::string("persistence.log.dir must not be empty");
  if (Problem p = check_unsigned_range("persistence.log.segment_bytes", c.log.segment_bytes, 1, kInt64Max)) return p;
  if (Problem p = check_not_negative("persistence.log.group_commit_window", c.log.group_commit_window)) return p;
  if (Problem p = check_positive("persistence.remote.call_timeout", c.remote.call_timeout)) return p;
  if (c.provider == ProviderKind::kRemote && !c.remote.store_node.has_value()) {
    return std::string("persistence.remote.store_node must be set when persistence.provider is \"remote\"");
  }
  return std::nullopt;
}

Problem validate_membership(const MembershipConfig& c) {
  std::set<env::NodeId> seen;
  for (env::NodeId seed : c.seeds) {
    if (!seen.insert(seed).second) return "membership.seeds lists node " + std::to_string(seed) + " more than once";
  }
  if (Problem p = check_positive("membership.heartbeat_interval", c.heartbeat_interval)) return p;
  if (Problem p = check_positive("membership.suspect_after", c.suspect_after)) return p;
  if (Problem p = check_positive("membership.remove_after", c.remove_after)) return p;
  // A member is suspected only after it missed heartbeats, and removed only after it was
  // suspected for a while; otherwise healthy members flap.
  if (Problem p = check_less("membership.heartbeat_interval", c.heartbeat_interval, "membership.suspect_after",
                             c.suspect_after)) {
    return p;
  }
  if (Problem p = check_less("membership.suspect_after", c.suspect_after, "membership.remove_after", c.remove_after)) {
    return p;
  }
  return std::nullopt;
}

Problem validate_placement(const PlacementConfig& c) {
  return check_unsigned_range("placement.vnodes_per_member", c.vnodes_per_member, 1, kMaxVnodesPerMember);
}

Problem validate(const OrbitConfig& c) {
  if (Problem p = check_actor_management(c.actor_management)) return p;
  if (Problem p = validate_persistence(c.persistence)) return p;
  if (Problem p = validate_membership(c.membership)) return p;
  return validate_placement(c.placement);
}

template <typename E, size_t N>
std::string_view choice_name(const std::array<Choice<E>, N>& choices, E value) {
  for (const auto& c : choices) {
    if (c.value == value) return c.name;
  }
  return "unknown";
}

}  // namespace

std::string_view to_string(ProviderKind kind) { return choice_name(kProviders, kind); }
std::string_view to_string(PlacementPolicy policy) { return choice_name(kPolicies, policy); }

Result<OrbitConfig> parse_config(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    return make_error(ErrorCode::kInvalidArgument, std::string(source_name) + ":" + std::to_string(at.line) + ":" +
                                                       std::to_string(at.column) + ": invalid TOML: " +
                                                       std::string(e.description()));
  } catch (const std::exception& e) {
    // Not expected from toml++ beyond parse_error; kept so that nothing escapes.
    return config_error(source_name, std::string("invalid TOML: ") + e.what());
  }

  static constexpr std::array<std::string_view, 4> kTables = {"actor_management", "persistence", "membership",
                                                              "placement"};
  for (const auto& [key, node] : root) {
    bool known = false;
    for (std::string_view t : kTables) known = known || key.str() == t;
    if (!known) return config_error(source_name, (node.is_table() ? "unknown table " : "unknown key ") + std::string(key.str()));
  }

  OrbitConfig config;
  TableReader top(root, "");
  Problem problem;
  if (const toml::table* t = top.subtable("actor_management", problem)) problem = read_actor_management(*t, config.actor_management);
  if (!problem) {
    if (const toml::table* t = top.subtable("persistence", problem)) problem = read_persistence(*t, config.persistence);
  }
  if (!problem) {
    if (const toml::table* t = top.subtable("membership", problem)) problem = read_membership(*t, config.membership);
  }
  if (!problem) {
    if (const toml::table* t = top.subtable("placement", problem)) problem = read_placement(*t, config.placement);
  }
  if (!problem) problem = validate(config);
  if (problem) return config_error(source_name, *problem);
  return config;
}

Result<void> validate_config(const OrbitConfig& config, std::string_view source_name) {
  if (Problem p = validate(config)) return config_error(source_name, *p);
  return {};
}

std::string to_toml(const OrbitConfig& config) {
  // Floats always carry a '.' or an exponent so they read back as floats; to_chars gives the
  // shortest text that reads back to the same double.
  auto number = [](double v) {
    std::string s = format_double(v);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // 'n': nan and inf
    return s;
  };
  auto duration = [](Duration d) { return quote(format_duration(d)); };

  const ActorManagementConfig& am = config.actor_management;
  const PersistenceConfig& ps = config.persistence;
  const MembershipConfig& ms = config.membership;
  const PlacementConfig& pl = config.placement;

  std::string out;
  out += "[actor_management]\n";
  out += "lease_duration = " + duration(am.lease_duration) + "\n";
  out += "lease_renewal_fraction = " + number(am.lease_renewal_fraction) + "\n";
  out += "max_clock_drift = " + number(am.max_clock_drift) + "\n";
  out += "safety_margin = " + duration(am.safety_margin) + "\n";
  out += "snapshot_interval = " + duration(am.snapshot_interval) + "\n";
  out += "idle_timeout = " + duration(am.idle_timeout) + "\n";
  out += "max_concurrent_activations = " + std::to_string(am.max_concurrent_activations) + "\n";
  out += "max_mailbox_depth = " + std::to_string(am.max_mailbox_depth) + "\n";
  out += "snapshot_retained_versions = " + std::to_string(am.snapshot_retained_versions) + "\n";
  out += "\n[persistence]\n";
  out += "provider = " + quote(to_string(ps.provider)) + "\n";
  out += "\n[persistence.log]\n";
  out += "dir = " + quote(ps.log.dir) + "\n";
  out += "segment_bytes = " + std::to_string(ps.log.segment_bytes) + "\n";
  out += "group_commit_window = " + duration(ps.log.group_commit_window) + "\n";
  out += "\n[persistence.remote]\n";
  if (ps.remote.store_node.has_value()) out += "store_node = " + std::to_string(*ps.remote.store_node) + "\n";
  out += "call_timeout = " + duration(ps.remote.call_timeout) + "\n";
  out += "\n[membership]\n";
  out += "seeds = [";
  for (size_t i = 0; i < ms.seeds.size(); ++i) out += (i == 0 ? "" : ", ") + std::to_string(ms.seeds[i]);
  out += "]\n";
  out += "heartbeat_interval = " + duration(ms.heartbeat_interval) + "\n";
  out += "suspect_after = " + duration(ms.suspect_after) + "\n";
  out += "remove_after = " + duration(ms.remove_after) + "\n";
  out += "\n[placement]\n";
  out += "policy = " + quote(to_string(pl.policy)) + "\n";
  out += "vnodes_per_member = " + std::to_string(pl.vnodes_per_member) + "\n";
  return out;
}

nlohmann::json to_json(const OrbitConfig& config) {
  const ActorManagementConfig& am = config.actor_management;
  const PersistenceConfig& ps = config.persistence;
  const MembershipConfig& ms = config.membership;
  const PlacementConfig& pl = config.placement;
  nlohmann::json j;
  j["actor_management"] = {
      {"lease_duration", format_duration(am.lease_duration)},
      {"lease_renewal_fraction", am.lease_renewal_fraction},
      {"max_clock_drift", am.max_clock_drift},
      {"safety_margin", format_duration(am.safety_margin)},
      {"snapshot_interval", format_duration(am.snapshot_interval)},
      {"idle_timeout", format_duration(am.idle_timeout)},
      {"max_concurrent_activations", am.max_concurrent_activations},
      {"max_mailbox_depth", am.max_mailbox_depth},
      {"snapshot_retained_versions", am.snapshot_retained_versions},
  };
  nlohmann::json store_node = nullptr;
  if (ps.remote.store_node.has_value()) store_node = *ps.remote.store_node;
  j["persistence"] = {
      {"provider", std::string(to_string(ps.provider))},
      {"log",
       {{"dir", ps.log.dir},
        {"segment_bytes", ps.log.segment_bytes},
        {"group_commit_window", format_duration(ps.log.group_commit_window)}}},
      {"remote", {{"store_node", store_node}, {"call_timeout", format_duration(ps.remote.call_timeout)}}},
  };
  j["membership"] = {
      {"seeds", ms.seeds},
      {"heartbeat_interval", format_duration(ms.heartbeat_interval)},
      {"suspect_after", format_duration(ms.suspect_after)},
      {"remove_after", format_duration(ms.remove_after)},
  };
  j["placement"] = {
      {"policy", std::string(to_string(pl.policy))},
      {"vnodes_per_member", pl.vnodes_per_member},
  };
  return j;
}

}  // namespace orbit::config
