#include "runtime/persistence/types.h"

namespace orbit::persistence {
namespace {

using nlohmann::json;

json tags_to_json(const Tags& tags) {
  json out = json::object();
  for (const auto& [k, v] : tags) out[k] = v;
  return out;
}

std::optional<std::string> tags_from_json(const json& j, const char* where, Tags& out) {
  if (!j.is_object()) return std::string(where) + ": expected an object";
  out.clear();
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return std::string(where) + "." + k + ": expected a string";
    out[k] = v.get<std::string>();
  }
  return std::nullopt;
}

// Field readers that name what is wrong.
std::optional<std::string> need(const json& j, const char* obj, const char* field) {
  if (!j.is_object()) return std::string(obj) + ": expected an object";
  if (!j.contains(field)) return std::string(obj) + "." + field + ": missing";
  return std::nullopt;
}

template <typename T>
std::optional<std::string> read_uint(const json& j, const char* obj, const char* field, T& out) {
  if (auto e = need(j, obj, field)) return e;
  if (!j[field].is_number_unsigned()) return std::string(obj) + "." + field + ": expected an unsigned integer";
  out = j[field].get<T>();
  return std::nullopt;
}

std::optional<std::string> read_int(const json& j, const char* obj, const char* field, int64_t& out) {
  if (auto e = need(j, obj, field)) return e;
  if (!j[field].is_number_integer()) return std::string(obj) + "." + field + ": expected an integer";
  out = j[field].get<int64_t>();
  return std::nullopt;
}

std::optional<std::string> read_string(const json& j, const char* obj, const char* field, std::string& out) {
  if (auto e = need(j, obj, field)) return e;
  if (!j[field].is_string()) return std::string(obj) + "." + field + ": expected a string";
  out = j[field].get<std::string>();
  return std::nullopt;
}

}  // namespace

json to_json(const ActorKey& key) { return json{{"kind", key.kind}, {"id", key.id}}; }

json to_json(const LeaseRecord& lease) {
  return json{{"key", to_json(lease.key)},
              {"holder", lease.holder},
              {"version", lease.version},
              {"expires_at_ns", lease.expires_at_ns},
              {"duration_ns", lease.duration.count()},
              {"metadata", tags_to_json(lease.metadata)}};
}

json to_json(const Snapshot& s) {
  json out{{"key", to_json(s.key)},
           {"version", s.version},
           {"state", json::binary(s.state)},
           {"sha256", s.sha256},
           {"fencing_token", s.fencing_token},
           {"created_at_ns", s.created_at_ns},
           {"updated_at_ns", s.updated_at_ns},
           {"node", s.node},
           {"tags", tags_to_json(s.tags)}};
  if (s.ttl) out["ttl_ns"] = s.ttl->count();
  return out;
}

std::optional<std::string> from_json(const json& j, ActorKey& out) {
  if (auto e = read_string(j, "key", "kind", out.kind)) return e;
  if (auto e = read_string(j, "key", "id", out.id)) return e;
  return std::nullopt;
}

std::optional<std::string> from_json(const json& j, LeaseRecord& out) {
  if (auto e = need(j, "lease", "key")) return e;
  if (auto e = from_json(j["key"], out.key)) return "lease." + *e;
  if (auto e = read_string(j, "lease", "holder", out.holder)) return e;
  if (auto e = read_uint(j, "lease", "version", out.version)) return e;
  if (auto e = read_int(j, "lease", "expires_at_ns", out.expires_at_ns)) return e;
  int64_t duration = 0;
  if (auto e = read_int(j, "lease", "duration_ns", duration)) return e;
  out.duration = Duration(duration);
  if (auto e = need(j, "lease", "metadata")) return e;
  return tags_from_json(j["metadata"], "lease.metadata", out.metadata);
}

std::optional<std::string> from_json(const json& j, Snapshot& out) {
  if (auto e = need(j, "snapshot", "key")) return e;
  if (auto e = from_json(j["key"], out.key)) return "snapshot." + *e;
  if (auto e = read_uint(j, "snapshot", "version", out.version)) return e;
  if (auto e = need(j, "snapshot", "state")) return e;
  if (!j["state"].is_binary()) return std::string("snapshot.state: expected binary");
  out.state = j["state"].get_binary();
  if (auto e = read_string(j, "snapshot", "sha256", out.sha256)) return e;
  if (auto e = read_uint(j, "snapshot", "fencing_token", out.fencing_token)) return e;
  if (auto e = read_int(j, "snapshot", "created_at_ns", out.created_at_ns)) return e;
  if (auto e = read_int(j, "snapshot", "updated_at_ns", out.updated_at_ns)) return e;
  if (auto e = read_string(j, "snapshot", "node", out.node)) return e;
  if (auto e = need(j, "snapshot", "tags")) return e;
  if (auto e = tags_from_json(j["tags"], "snapshot.tags", out.tags)) return e;
  out.ttl.reset();
  if (j.contains("ttl_ns")) {
    int64_t ttl = 0;
    if (auto e = read_int(j, "snapshot", "ttl_ns", ttl)) return e;
    out.ttl = Duration(ttl);
  }
  return std::nullopt;
}

}  // namespace orbit::persistence
