#include "faults/fault_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace orbit::faults {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

constexpr int64_t kNsPerMs = 1'000'000;
// Times and durations in a plan are bounded (about 31 years) so that milliseconds convert
// to int64 nanoseconds without overflow.
constexpr int64_t kMaxMs = 1'000'000'000'000;
// The simulator refuses drift beyond +-50% (sim::kMaxDriftPpm); a plan asking for it is
// invalid, not beyond-model. Repeated here so that this file needs only the plan types.
constexpr int64_t kSimMaxDriftPpm = 500000;

constexpr std::string_view kDiskModeNames[] = {
    "lose_unsynced", "torn_write", "bit_flip", "latency", "full", "eio", "read_corruption", "reset",
};

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

Error invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string index_prefix(size_t index) { return "events[" + std::to_string(index) + "]"; }

std::string node_range(uint32_t node_count) {
  if (node_count == 0) return "(the world has no nodes)";
  return "(nodes 0.." + std::to_string(node_count - 1) + ")";
}

// A value as an error message shows it: its JSON type and, for scalars, the value.
std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return std::string("boolean ") + (v.get<bool>() ? "true" : "false");
    case Json::value_t::string: {
      std::string s = v.get<std::string>();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "string " + in_quotes(s);
    }
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: return "number " + v.dump();
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return v.type_name();
  }
}

// Milliseconds as the plan writes them: an integer when whole, otherwise a decimal.
OrderedJson ms_value(int64_t ns) {
  if (ns % kNsPerMs == 0) return OrderedJson(ns / kNsPerMs);
  return OrderedJson(static_cast<double>(ns) / static_cast<double>(kNsPerMs));
}

// The same text, for error messages.
std::string ms_text(int64_t ns) { return ms_value(ns).dump(); }

std::string probability_text(double p) { return Json(p).dump(); }

// --- Reading JSON fields ------------------------------------------------------------------

// Milliseconds to nanoseconds. A decimal is split into its whole and fractional parts so
// that the fraction rounds to the nearest nanosecond without the whole part's magnitude
// eating its precision.
Result<int64_t> read_ms(const Json& v, const std::string& where, bool non_negative) {
  if (!v.is_number()) return invalid(where + ": must be a number of milliseconds, got " + describe(v));
  if (non_negative) {
    const bool negative = v.is_number_integer() && !v.is_number_unsigned() ? v.get<int64_t>() < 0
                                                                            : v.get<double>() < 0;
    if (negative) return invalid(where + ": must be >= 0, got " + v.dump());
  }
  if (v.is_number_unsigned()) {
    const uint64_t ms = v.get<uint64_t>();
    if (ms > static_cast<uint64_t>(kMaxMs)) {
      return invalid(where + ": out of range, got " + v.dump() + " (at most " + std::to_string(kMaxMs) + ")");
    }
    return static_cast<int64_t>(ms) * kNsPerMs;
  }
  if (v.is_number_integer()) {
    const int64_t ms = v.get<int64_t>();
    if (ms > kMaxMs || ms < -kMaxMs) {
      return invalid(where + ": out of range, got " + v.dump() + " (magnitude at most " +
                     std::to_string(kMaxMs) + ")");
    }
    return ms * kNsPerMs;
  }
  const double ms = v.get<double>();
  if (!std::isfinite(ms) || std::fabs(ms) > static_cast<double>(kMaxMs)) {
    return invalid(where + ": out of range, got " + v.dump() + " (magnitude at most " +
                   std::to_string(kMaxMs) + ")");
  }
  const double whole = std::trunc(ms);
  const double fraction = ms - whole;  // exact for doubles
  return static_cast<int64_t>(whole) * kNsPerMs + std::llround(fraction * static_cast<double>(kNsPerMs));
}

Result<NodeId> read_node(const Json& v, const std::string& where, uint32_t node_count) {
  if (!v.is_number_integer()) return invalid(where + ": must be an integer node id, got " + describe(v));
  const bool in_range = v.is_number_unsigned() ? v.get<uint64_t>() < node_count
                                               : v.get<int64_t>() >= 0 && v.get<int64_t>() < node_count;
  if (!in_range) {
    return invalid(where + ": node " + v.dump() + " does not exist " + node_range(node_count));
  }
  return static_cast<NodeId>(v.get<uint64_t>());
}

Result<std::vector<NodeId>> read_nodes(const Json& v, const std::string& where, uint32_t node_count) {
  if (!v.is_array()) return invalid(where + ": must be an array of node ids, got " + describe(v));
  std::vector<NodeId> out;
  for (size_t i = 0; i < v.size(); ++i) {
    auto node = read_node(v[i], where, node_count);
    if (!node) return node.error();
    out.push_back(*node);
  }
  return out;
}

Result<double> read_probability(const Json& v, const std::string& where) {
  if (!v.is_number()) return invalid(where + ": must be a probability in [0, 1], got " + describe(v));
  return v.get<double>();  // the range is validate_plan's
}

Result<int64_t> read_integer(const Json& v, const std::string& where) {
  if (!v.is_number_integer()) return invalid(where + ": must be an integer, got " + describe(v));
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return invalid(where + ": out of range, got " + v.dump());
  }
  return v.get<int64_t>();
}

Result<uint64_t> read_unsigned(const Json& v, const std::string& where) {
  if (!v.is_number_integer()) return invalid(where + ": must be a non-negative integer, got " + describe(v));
  if (!v.is_number_unsigned()) return invalid(where + ": must be >= 1, got " + v.dump());
  return v.get<uint64_t>();
}

// The fields each kind (and, for disk events, each mode) takes besides "at_ms" and "kind":
// the order here is the order of to_json and of the checks.
std::vector<std::string_view> kind_fields(FaultKind kind) {
  switch (kind) {
    case FaultKind::kPartition: return {"a", "b", "one_way"};
    case FaultKind::kHeal: return {};
    case FaultKind::kClog:
    case FaultKind::kUnclog: return {"from", "to"};
    case FaultKind::kNetwork:
      return {"loss", "duplicate", "reorder", "latency_min_ms", "latency_max_ms", "reorder_window_ms"};
    case FaultKind::kNetworkReset: return {};
    case FaultKind::kClockOffset: return {"node", "offset_ms"};
    case FaultKind::kClockJump: return {"node", "delta_ms"};
    case FaultKind::kClockDrift: return {"node", "ppm"};
    case FaultKind::kCrash:
    case FaultKind::kRestart: return {"node"};
    case FaultKind::kPause: return {"node", "duration_ms"};
    case FaultKind::kDisk: return {"node", "mode"};
  }
  return {};
}

std::vector<std::string_view> disk_mode_fields(DiskMode mode) {
  switch (mode) {
    case DiskMode::kLatency: return {"latency_min_ms", "latency_max_ms"};
    case DiskMode::kFull: return {"capacity_bytes"};
    case DiskMode::kEio:
    case DiskMode::kReadCorruption: return {"probability"};
    default: return {};
  }
}

// Reads one event object: types and presence. Ranges and node existence beyond the id's
// type are validate_event's, so that plans built in code get the same checks.
Result<FaultEvent> decode_event(const Json& j, size_t index, uint32_t node_count) {
  const std::string p = index_prefix(index);
  if (!j.is_object()) return invalid(p + ": must be an object, got " + describe(j));

  const auto kind_it = j.find("kind");
  if (kind_it == j.end()) return invalid(p + ": missing field \"kind\"; known kinds: " + join(fault_kind_names()));
  if (!kind_it->is_string()) return invalid(p + ".kind: must be a string, got " + describe(*kind_it));
  const std::string kind_name = kind_it->get<std::string>();
  const auto kind = fault_kind_from_string(kind_name);
  if (!kind) {
    return invalid(p + ".kind: unknown fault kind " + in_quotes(kind_name) + "; known: " + join(fault_kind_names()));
  }

  FaultEvent e;
  e.kind = *kind;
  const auto at_it = j.find("at_ms");
  if (at_it == j.end()) return invalid(p + ": missing field \"at_ms\"");
  auto at = read_ms(*at_it, p + ".at_ms", /*non_negative=*/true);
  if (!at) return at.error();
  e.at_ns = *at;

  std::vector<std::string_view> fields = kind_fields(e.kind);
  std::string kind_label = "kind " + in_quotes(kind_name);
  if (e.kind == FaultKind::kDisk) {
    const auto mode_it = j.find("mode");
    if (mode_it == j.end()) {
      return invalid(p + ": missing field \"mode\" for kind \"disk\"; modes: " + join(disk_mode_names()));
    }
    if (!mode_it->is_string()) return invalid(p + ".mode: must be a string, got " + describe(*mode_it));
    const std::string mode_name = mode_it->get<std::string>();
    const auto mode = disk_mode_from_string(mode_name);
    if (!mode) {
      return invalid(p + ".mode: unknown disk mode " + in_quotes(mode_name) + "; known: " + join(disk_mode_names()));
    }
    e.disk.mode = *mode;
    for (std::string_view f : disk_mode_fields(*mode)) fields.push_back(f);
    kind_label = "disk mode " + in_quotes(mode_name);
  }

  // Unknown fields, in the object's (sorted) key order so the message is stable.
  for (const auto& [key, value] : j.items()) {
    if (key == "at_ms" || key == "kind") continue;
    if (std::find(fields.begin(), fields.end(), key) != fields.end()) continue;
    std::vector<std::string_view> all = {"at_ms", "kind"};
    all.insert(all.end(), fields.begin(), fields.end());
    return invalid(p + ": unknown field " + in_quotes(key) + " for " + kind_label + " (fields: " + join(all) + ")");
  }

  auto field = [&](std::string_view name) -> const Json* {
    const auto it = j.find(std::string(name));
    return it == j.end() ? nullptr : &*it;
  };
  auto missing = [&](std::string_view name) {
    return invalid(p + ": missing field " + in_quotes(name) + " for " + kind_label);
  };
  auto where = [&](std::string_view name) { return p + "." + std::string(name); };
  // Reads a required field with `read`, storing it through `store`.
  auto required = [&](std::string_view name, auto read, auto store) -> Result<void> {
    const Json* v = field(name);
    if (v == nullptr) return missing(name);
    auto r = read(*v, where(name));
    if (!r) return r.error();
    store(std::move(*r));
    return {};
  };
  auto node_reader = [&](const Json& v, const std::string& w) { return read_node(v, w, node_count); };
  auto ms_reader = [](const Json& v, const std::string& w) { return read_ms(v, w, false); };
  auto nonneg_ms_reader = [](const Json& v, const std::string& w) { return read_ms(v, w, true); };

  Result<void> r;
  switch (e.kind) {
    case FaultKind::kPartition: {
      auto nodes_reader = [&](const Json& v, const std::string& w) { return read_nodes(v, w, node_count); };
      if (r = required("a", nodes_reader, [&](std::vector<NodeId> v) { e.a = std::move(v); }); !r) return r.error();
      if (r = required("b", nodes_reader, [&](std::vector<NodeId> v) { e.b = std::move(v); }); !r) return r.error();
      if (const Json* v = field("one_way")) {
        if (!v->is_boolean()) return invalid(where("one_way") + ": must be true or false, got " + describe(*v));
        e.one_way = v->get<bool>();
      }
      break;
    }
    case FaultKind::kHeal:
    case FaultKind::kNetworkReset: break;
    case FaultKind::kClog:
    case FaultKind::kUnclog:
      if (r = required("from", node_reader, [&](NodeId v) { e.from = v; }); !r) return r.error();
      if (r = required("to", node_reader, [&](NodeId v) { e.to = v; }); !r) return r.error();
      break;
    case FaultKind::kNetwork: {
      auto prob = [&](std::string_view name, std::optional<double>& out) -> Result<void> {
        if (const Json* v = field(name)) {
          auto value = read_probability(*v, where(name));
          if (!value) return value.error();
          out = *value;
        }
        return {};
      };
      auto ms = [&](std::string_view name, std::optional<Duration>& out) -> Result<void> {
        if (const Json* v = field(name)) {
          auto value = read_ms(*v, where(name), true);
          if (!value) return value.error();
          out = Duration(*value);
        }
        return {};
      };
      if (r = prob("loss", e.network.loss); !r) return r.error();
      if (r = prob("duplicate", e.network.duplicate); !r) return r.error();
      if (r = prob("reorder", e.network.reorder); !r) return r.error();
      if (r = ms("latency_min_ms", e.network.latency_min); !r) return r.error();
      if (r = ms("latency_max_ms", e.network.latency_max); !r) return r.error();
      if (r = ms("reorder_window_ms", e.network.reorder_window); !r) return r.error();
      break;
    }
    case FaultKind::kClockOffset:
      if (r = required("node", node_reader, [&](NodeId v) { e.node = v; }); !r) return r.error();
      if (r = required("offset_ms", ms_reader, [&](int64_t v) { e.clock_offset = Duration(v); }); !r) return r.error();
      break;
    case FaultKind::kClockJump:
      if (r = required("node", node_reader, [&](NodeId v) { e.node = v; }); !r) return r.error();
      if (r = required("delta_ms", ms_reader, [&](int64_t v) { e.clock_delta = Duration(v); }); !r) return r.error();
      break;
    case FaultKind::kClockDrift:
      if (r = required("node", node_reader, [&](NodeId v) { e.node = v; }); !r) return r.error();
      if (r = required("ppm", read_integer, [&](int64_t v) { e.drift_ppm = v; }); !r) return r.error();
      break;
    case FaultKind::kCrash:
    case FaultKind::kRestart:
      if (r = required("node", node_reader, [&](NodeId v) { e.node = v; }); !r) return r.error();
      break;
    case FaultKind::kPause:
      if (r = required("node", node_reader, [&](NodeId v) { e.node = v; }); !r) return r.error();
      if (r = required("duration_ms", ms_reader, [&](int64_t v) { e.pause_duration = Duration(v); }); !r) {
        return r.error();
      }
      break;
    case FaultKind::kDisk:
      if (r = required("node", node_reader, [&](NodeId v) { e.node = v; }); !r) return r.error();
      switch (e.disk.mode) {
        case DiskMode::kLatency:
          r = required("latency_min_ms", nonneg_ms_reader, [&](int64_t v) { e.disk.latency_min = Duration(v); });
          if (!r) return r.error();
          r = required("latency_max_ms", nonneg_ms_reader, [&](int64_t v) { e.disk.latency_max = Duration(v); });
          if (!r) return r.error();
          break;
        case DiskMode::kFull:
          if (r = required("capacity_bytes", read_unsigned, [&](uint64_t v) { e.disk.capacity_bytes = v; }); !r) {
            return r.error();
          }
          break;
        case DiskMode::kEio:
        case DiskMode::kReadCorruption:
          if (r = required("probability", read_probability, [&](double v) { e.disk.probability = v; }); !r) {
            return r.error();
          }
          break;
        default: break;
      }
      break;
  }
  return e;
}

bool is_probability(double p) { return p >= 0.0 && p <= 1.0; }  // false for NaN

Result<void> check_node(NodeId node, const std::string& where, uint32_t node_count) {
  if (node >= node_count) {
    return invalid(where + ": node " + std::to_string(node) + " does not exist " + node_range(node_count));
  }
  return {};
}

Result<void> check_probability(double p, const std::string& where) {
  if (!is_probability(p)) return invalid(where + ": must be in [0, 1], got " + probability_text(p));
  return {};
}

Result<void> validate_event(const FaultEvent& e, size_t index, uint32_t node_count) {
  const std::string p = index_prefix(index);
  auto where = [&](std::string_view name) { return p + "." + std::string(name); };
  if (e.at_ns < 0) return invalid(where("at_ms") + ": must be >= 0, got " + ms_text(e.at_ns));
  Result<void> r;
  switch (e.kind) {
    case FaultKind::kPartition: {
      if (e.a.empty()) return invalid(where("a") + ": a partition side must name at least one node");
      if (e.b.empty()) return invalid(where("b") + ": a partition side must name at least one node");
      std::set<NodeId> seen_a;
      for (NodeId n : e.a) {
        if (r = check_node(n, where("a"), node_count); !r) return r;
        if (!seen_a.insert(n).second) return invalid(where("a") + ": node " + std::to_string(n) + " appears twice");
      }
      std::set<NodeId> seen_b;
      for (NodeId n : e.b) {
        if (r = check_node(n, where("b"), node_count); !r) return r;
        if (!seen_b.insert(n).second) return invalid(where("b") + ": node " + std::to_string(n) + " appears twice");
        if (seen_a.count(n) != 0) {
          return invalid(where("b") + ": node " + std::to_string(n) + " is on both sides of the partition");
        }
      }
      break;
    }
    case FaultKind::kHeal:
    case FaultKind::kNetworkReset: break;
    case FaultKind::kClog:
    case FaultKind::kUnclog:
      if (r = check_node(e.from, where("from"), node_count); !r) return r;
      if (r = check_node(e.to, where("to"), node_count); !r) return r;
      if (e.from == e.to) {
        return invalid(where("to") + ": a link joins two different nodes, got " + std::to_string(e.from) + " -> " +
                       std::to_string(e.to));
      }
      break;
    case FaultKind::kNetwork: {
      const NetworkWindow& w = e.network;
      if (w.empty()) {
        return invalid(p + ": a network event must set at least one of loss, duplicate, reorder, latency_min_ms, "
                           "latency_max_ms, reorder_window_ms (network_reset restores the base)");
      }
      if (w.loss && !(r = check_probability(*w.loss, where("loss")))) return r;
      if (w.duplicate && !(r = check_probability(*w.duplicate, where("duplicate")))) return r;
      if (w.reorder && !(r = check_probability(*w.reorder, where("reorder")))) return r;
      if (w.latency_min && *w.latency_min < Duration::zero()) {
        return invalid(where("latency_min_ms") + ": must be >= 0, got " + ms_text(w.latency_min->count()));
      }
      if (w.latency_max && *w.latency_max < Duration::zero()) {
        return invalid(where("latency_max_ms") + ": must be >= 0, got " + ms_text(w.latency_max->count()));
      }
      if (w.latency_min && w.latency_max && *w.latency_max < *w.latency_min) {
        return invalid(where("latency_max_ms") + ": must be >= latency_min_ms (" + ms_text(w.latency_min->count()) +
                       "), got " + ms_text(w.latency_max->count()));
      }
      if (w.reorder_window && *w.reorder_window < Duration::zero()) {
        return invalid(where("reorder_window_ms") + ": must be >= 0, got " + ms_text(w.reorder_window->count()));
      }
      break;
    }
    case FaultKind::kClockOffset:
    case FaultKind::kClockJump:
    case FaultKind::kCrash:
    case FaultKind::kRestart:
      if (r = check_node(e.node, where("node"), node_count); !r) return r;
      break;
    case FaultKind::kClockDrift:
      if (r = check_node(e.node, where("node"), node_count); !r) return r;
      if (e.drift_ppm < -kSimMaxDriftPpm || e.drift_ppm > kSimMaxDriftPpm) {
        return invalid(where("ppm") + ": must be in [-500000, 500000] (the simulator's bound), got " +
                       std::to_string(e.drift_ppm));
      }
      break;
    case FaultKind::kPause:
      if (r = check_node(e.node, where("node"), node_count); !r) return r;
      if (e.pause_duration <= Duration::zero()) {
        return invalid(where("duration_ms") + ": a pause needs a positive duration, got " +
                       ms_text(e.pause_duration.count()));
      }
      break;
    case FaultKind::kDisk:
      if (r = check_node(e.node, where("node"), node_count); !r) return r;
      switch (e.disk.mode) {
        case DiskMode::kLatency:
          if (e.disk.latency_min < Duration::zero()) {
            return invalid(where("latency_min_ms") + ": must be >= 0, got " + ms_text(e.disk.latency_min.count()));
          }
          if (e.disk.latency_max < e.disk.latency_min) {
            return invalid(where("latency_max_ms") + ": must be >= latency_min_ms (" +
                           ms_text(e.disk.latency_min.count()) + "), got " + ms_text(e.disk.latency_max.count()));
          }
          break;
        case DiskMode::kFull:
          if (e.disk.capacity_bytes == 0) return invalid(where("capacity_bytes") + ": must be >= 1, got 0");
          break;
        case DiskMode::kEio:
        case DiskMode::kReadCorruption:
          if (r = check_probability(e.disk.probability, where("probability")); !r) return r;
          break;
        default: break;
      }
      break;
  }
  return {};
}

Result<void> check_version(int version) {
  if (version != kPlanVersion) {
    return invalid("version: unsupported plan version " + std::to_string(version) + " (this build reads version " +
                   std::to_string(kPlanVersion) + ")");
  }
  return {};
}

OrderedJson event_json(const FaultEvent& e) {
  OrderedJson j;
  j["at_ms"] = ms_value(e.at_ns);
  j["kind"] = std::string(to_string(e.kind));
  switch (e.kind) {
    case FaultKind::kPartition:
      j["a"] = e.a;
      j["b"] = e.b;
      j["one_way"] = e.one_way;
      break;
    case FaultKind::kHeal:
    case FaultKind::kNetworkReset: break;
    case FaultKind::kClog:
    case FaultKind::kUnclog:
      j["from"] = e.from;
      j["to"] = e.to;
      break;
    case FaultKind::kNetwork:
      if (e.network.loss) j["loss"] = *e.network.loss;
      if (e.network.duplicate) j["duplicate"] = *e.network.duplicate;
      if (e.network.reorder) j["reorder"] = *e.network.reorder;
      if (e.network.latency_min) j["latency_min_ms"] = ms_value(e.network.latency_min->count());
      if (e.network.latency_max) j["latency_max_ms"] = ms_value(e.network.latency_max->count());
      if (e.network.reorder_window) j["reorder_window_ms"] = ms_value(e.network.reorder_window->count());
      break;
    case FaultKind::kClockOffset:
      j["node"] = e.node;
      j["offset_ms"] = ms_value(e.clock_offset.count());
      break;
    case FaultKind::kClockJump:
      j["node"] = e.node;
      j["delta_ms"] = ms_value(e.clock_delta.count());
      break;
    case FaultKind::kClockDrift:
      j["node"] = e.node;
      j["ppm"] = e.drift_ppm;
      break;
    case FaultKind::kCrash:
    case FaultKind::kRestart: j["node"] = e.node; break;
    case FaultKind::kPause:
      j["node"] = e.node;
      j["duration_ms"] = ms_value(e.pause_duration.count());
      break;
    case FaultKind::kDisk:
      j["node"] = e.node;
      j["mode"] = std::string(to_string(e.disk.mode));
      switch (e.disk.mode) {
        case DiskMode::kLatency:
          j["latency_min_ms"] = ms_value(e.disk.latency_min.count());
          j["latency_max_ms"] = ms_value(e.disk.latency_max.count());
          break;
        case DiskMode::kFull: j["capacity_bytes"] = e.disk.capacity_bytes; break;
        case DiskMode::kEio:
        case DiskMode::kReadCorruption: j["probability"] = e.disk.probability; break;
        default: break;
      }
      break;
  }
  return j;
}

}  // namespace

// --- Names ---------------------------------------------------------------------------------

std::string_view to_string(DiskMode mode) { return kDiskModeNames[static_cast<size_t>(mode)]; }

std::optional<DiskMode> disk_mode_from_string(std::string_view name) {
  for (size_t i = 0; i < std::size(kDiskModeNames); ++i) {
    if (kDiskModeNames[i] == name) return static_cast<DiskMode>(i);
  }
  return std::nullopt;
}

const std::vector<std::string_view>& disk_mode_names() {
  static const std::vector<std::string_view> names(std::begin(kDiskModeNames), std::end(kDiskModeNames));
  return names;
}

// --- Builders --------------------------------------------------------------------------------

namespace event {
namespace {
FaultEvent make(Duration at, FaultKind kind) {
  FaultEvent e;
  e.at_ns = at.count();
  e.kind = kind;
  return e;
}
FaultEvent on_node(Duration at, FaultKind kind, NodeId node) {
  FaultEvent e = make(at, kind);
  e.node = node;
  return e;
}
}  // namespace

FaultEvent partition(Duration at, std::vector<NodeId> a, std::vector<NodeId> b, bool one_way) {
  FaultEvent e = make(at, FaultKind::kPartition);
  e.a = std::move(a);
  e.b = std::move(b);
  e.one_way = one_way;
  return e;
}
FaultEvent heal(Duration at) { return make(at, FaultKind::kHeal); }
FaultEvent clog(Duration at, NodeId from, NodeId to) {
  FaultEvent e = make(at, FaultKind::kClog);
  e.from = from;
  e.to = to;
  return e;
}
FaultEvent unclog(Duration at, NodeId from, NodeId to) {
  FaultEvent e = make(at, FaultKind::kUnclog);
  e.from = from;
  e.to = to;
  return e;
}
FaultEvent network(Duration at, NetworkWindow window) {
  FaultEvent e = make(at, FaultKind::kNetwork);
  e.network = window;
  return e;
}
FaultEvent network_reset(Duration at) { return make(at, FaultKind::kNetworkReset); }
FaultEvent clock_offset(Duration at, NodeId node, Duration offset) {
  FaultEvent e = on_node(at, FaultKind::kClockOffset, node);
  e.clock_offset = offset;
  return e;
}
FaultEvent clock_jump(Duration at, NodeId node, Duration delta) {
  FaultEvent e = on_node(at, FaultKind::kClockJump, node);
  e.clock_delta = delta;
  return e;
}
FaultEvent clock_drift(Duration at, NodeId node, int64_t ppm) {
  FaultEvent e = on_node(at, FaultKind::kClockDrift, node);
  e.drift_ppm = ppm;
  return e;
}
FaultEvent crash(Duration at, NodeId node) { return on_node(at, FaultKind::kCrash, node); }
FaultEvent restart(Duration at, NodeId node) { return on_node(at, FaultKind::kRestart, node); }
FaultEvent pause(Duration at, NodeId node, Duration duration) {
  FaultEvent e = on_node(at, FaultKind::kPause, node);
  e.pause_duration = duration;
  return e;
}
FaultEvent disk(Duration at, NodeId node, DiskFault fault) {
  FaultEvent e = on_node(at, FaultKind::kDisk, node);
  e.disk = fault;
  return e;
}
FaultEvent disk_mode(Duration at, NodeId node, DiskMode mode) { return disk(at, node, DiskFault{.mode = mode}); }
FaultEvent disk_latency(Duration at, NodeId node, Duration min, Duration max) {
  return disk(at, node, DiskFault{.mode = DiskMode::kLatency, .latency_min = min, .latency_max = max});
}
FaultEvent disk_full(Duration at, NodeId node, uint64_t capacity_bytes) {
  return disk(at, node, DiskFault{.mode = DiskMode::kFull, .capacity_bytes = capacity_bytes});
}
FaultEvent disk_eio(Duration at, NodeId node, double probability) {
  return disk(at, node, DiskFault{.mode = DiskMode::kEio, .probability = probability});
}
FaultEvent disk_read_corruption(Duration at, NodeId node, double probability) {
  return disk(at, node, DiskFault{.mode = DiskMode::kReadCorruption, .probability = probability});
}
}  // namespace event

// --- Validation, parsing, writing -------------------------------------------------------------

Result<void> validate_plan(const FaultPlan& plan, uint32_t node_count) {
  if (auto r = check_version(plan.version); !r) return r;
  for (size_t i = 0; i < plan.events.size(); ++i) {
    if (auto r = validate_event(plan.events[i], i, node_count); !r) return r;
  }
  return {};
}

void sort_events(FaultPlan& plan) {
  std::stable_sort(plan.events.begin(), plan.events.end(),
                   [](const FaultEvent& x, const FaultEvent& y) { return x.at_ns < y.at_ns; });
}

Result<FaultPlan> parse_plan(std::string_view json_text, uint32_t node_count) {
  Json root;
  try {
    root = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string what = e.what();
    if (const size_t close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos) {
      what = what.substr(close + 2);
    }
    return invalid("invalid JSON at byte " + std::to_string(e.byte) + ": " + what);
  }
  if (!root.is_object()) return invalid("plan: must be a JSON object, got " + describe(root));

  FaultPlan plan;
  const auto version = root.find("version");
  if (version == root.end()) {
    return invalid("version: missing (this build reads version " + std::to_string(kPlanVersion) + ")");
  }
  if (!version->is_number_integer()) return invalid("version: must be an integer, got " + describe(*version));
  if (version->is_number_unsigned() ? version->get<uint64_t>() != static_cast<uint64_t>(kPlanVersion)
                                    : version->get<int64_t>() != kPlanVersion) {
    return invalid("version: unsupported plan version " + version->dump() + " (this build reads version " +
                   std::to_string(kPlanVersion) + ")");
  }
  plan.version = kPlanVersion;

  for (const auto& [key, value] : root.items()) {
    if (key != "version" && key != "events") {
      return invalid("plan: unknown top-level key " + in_quotes(key) + " (keys: version, events)");
    }
  }
  const auto events = root.find("events");
  if (events == root.end()) return invalid("events: missing (an empty plan is \"events\": [])");
  if (!events->is_array()) return invalid("events: must be an array, got " + describe(*events));

  for (size_t i = 0; i < events->size(); ++i) {
    auto e = decode_event((*events)[i], i, node_count);
    if (!e) return e.error();
    if (auto r = validate_event(*e, i, node_count); !r) return r.error();
    plan.events.push_back(std::move(*e));
  }
  sort_events(plan);
  return plan;
}

std::string to_json(const FaultEvent& event) { return event_json(event).dump(); }

std::string to_json(const FaultPlan& plan) {
  FaultPlan sorted = plan;
  sort_events(sorted);
  std::string out = "{\"version\":" + std::to_string(sorted.version) + ",\"events\":[";
  for (size_t i = 0; i < sorted.events.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    out += to_json(sorted.events[i]);
  }
  out += sorted.events.empty() ? "]}\n" : "\n]}\n";
  return out;
}

// --- The fault model ---------------------------------------------------------------------------

std::string_view to_string(Model model) { return model == Model::kInModel ? "in_model" : "beyond_model"; }

ModelLimits ModelLimits::for_cluster(uint32_t members, int64_t max_drift_ppm) {
  ModelLimits limits;
  limits.max_drift_ppm = max_drift_ppm;
  limits.storage_nodes = {members};
  return limits;
}

bool ModelLimits::is_storage_node(NodeId node) const {
  return storage_nodes.empty() ||
         std::find(storage_nodes.begin(), storage_nodes.end(), node) != storage_nodes.end();
}

std::string beyond_model_reason(const FaultEvent& e, const ModelLimits& limits) {
  if (e.kind == FaultKind::kClockDrift) {
    if (std::llabs(e.drift_ppm) > limits.max_drift_ppm) {
      return "clock drift of " + std::to_string(e.drift_ppm) + " ppm on node " + std::to_string(e.node) +
             " exceeds the model's bound of " + std::to_string(limits.max_drift_ppm) +
             " ppm (actor_management.max_clock_drift), which lease validity is computed from";
    }
    return {};
  }
  if (e.kind != FaultKind::kDisk || !limits.is_storage_node(e.node)) return {};
  const std::string on = " on storage node " + std::to_string(e.node);
  switch (e.disk.mode) {
    case DiskMode::kBitFlip:
      return "bit rot at rest" + on + ": data nobody wrote; the promise is detection (no silent corruption), "
                                      "not durability";
    case DiskMode::kReadCorruption:
      if (e.disk.probability > 0.0) {
        return "corrupt reads" + on + ": the promise is detection (no silent corruption), not durability";
      }
      return {};
    case DiskMode::kEio:
      if (e.disk.probability > 0.0) {
        return "I/O errors" + on + ": the state of a failed write or sync is unknown; the promise is that errors "
                                   "surface and nothing corrupt is loaded, not durability or liveness";
      }
      return {};
    case DiskMode::kFull:
      return "a full disk" + on + ": writes fail with kNoSpace; the promise is that they fail cleanly, not "
                                  "durability or liveness";
    default: return {};
  }
}

Model classify(const FaultEvent& event, const ModelLimits& limits) {
  return beyond_model_reason(event, limits).empty() ? Model::kInModel : Model::kBeyondModel;
}

Model classify(const FaultPlan& plan, const ModelLimits& limits) {
  for (const FaultEvent& e : plan.events) {
    if (classify(e, limits) == Model::kBeyondModel) return Model::kBeyondModel;
  }
  return Model::kInModel;
}

}  // namespace orbit::faults
