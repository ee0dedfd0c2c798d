#include "reports/history_jsonl.h"

#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "history/sha256.h"

namespace orbit::reports {
namespace {

using nlohmann::json;

template <class T>
struct Unsupported : std::false_type {};

constexpr char kHex[] = "0123456789abcdef";

std::string hex_of(const history::Blob& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool blob_from_hex(std::string_view hex, history::Blob& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_digit(hex[i]);
    const int lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return true;
}

template <class T>
json render_value(const history::History& h, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v;
  } else if constexpr (std::is_enum_v<T>) {
    return std::string(history::enum_name(v));
  } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> || std::is_same_v<T, double>) {
    return v;
  } else if constexpr (std::is_same_v<T, Duration>) {
    return static_cast<int64_t>(v.count());
  } else if constexpr (std::is_same_v<T, history::Sym>) {
    return std::string(h.str(v));
  } else if constexpr (std::is_same_v<T, history::Sha256>) {
    return history::to_hex(v);
  } else if constexpr (std::is_same_v<T, history::OptInt>) {
    return v ? json(*v) : json(nullptr);
  } else if constexpr (std::is_same_v<T, history::Blob>) {
    return hex_of(v);
  } else if constexpr (std::is_same_v<T, history::SymList>) {
    json a = json::array();
    for (history::Sym s : v) a.push_back(std::string(h.str(s)));
    return a;
  } else if constexpr (std::is_same_v<T, history::IntList>) {
    json a = json::array();
    for (int64_t i : v) a.push_back(i);
    return a;
  } else {
    static_assert(Unsupported<T>::value, "history_jsonl: a field type without a JSON form");
  }
}

bool as_int64(const json& j, int64_t& out) {
  if (j.is_number_unsigned()) {
    const uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (j.is_number_integer()) {
    out = j.get<int64_t>();
    return true;
  }
  return false;
}

// Parses `j` into `v`; on failure returns what the value must be ("an integer", ...).
template <class T>
std::string parse_value(history::History& h, const json& j, T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return "a boolean";
    v = j.get<bool>();
  } else if constexpr (std::is_enum_v<T>) {
    std::string names;
    for (std::string_view n : history::EnumNames<T>::kNames) {
      if (!names.empty()) names += ", ";
      names += "\"" + std::string(n) + "\"";
    }
    if (!j.is_string()) return "one of " + names;
    auto e = history::parse_enum<T>(j.get_ref<const std::string&>());
    if (!e) return "one of " + names + " (not \"" + j.get<std::string>() + "\")";
    v = *e;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (!as_int64(j, v)) return "a 64-bit signed integer";
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    if (!j.is_number_unsigned()) return "a non-negative integer";
    v = j.get<uint64_t>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!j.is_number()) return "a number";
    v = j.get<double>();
  } else if constexpr (std::is_same_v<T, Duration>) {
    int64_t ns = 0;
    if (!as_int64(j, ns)) return "an integer (nanoseconds)";
    v = Duration(ns);
  } else if constexpr (std::is_same_v<T, history::Sym>) {
    if (!j.is_string()) return "a string";
    v = h.intern(j.get_ref<const std::string&>());
  } else if constexpr (std::is_same_v<T, history::Sha256>) {
    if (!j.is_string()) return "64 hex digits (a SHA-256 digest)";
    auto d = history::sha256_from_hex(j.get_ref<const std::string&>());
    if (!d) return "64 hex digits (a SHA-256 digest)";
    v = *d;
  } else if constexpr (std::is_same_v<T, history::OptInt>) {
    if (j.is_null()) {
      v.reset();
    } else {
      int64_t i = 0;
      if (!as_int64(j, i)) return "an integer or null";
      v = i;
    }
  } else if constexpr (std::is_same_v<T, history::Blob>) {
    if (!j.is_string() || !blob_from_hex(j.get_ref<const std::string&>(), v)) {
      return "a string of hex digit pairs (bytes)";
    }
  } else if constexpr (std::is_same_v<T, history::SymList>) {
    if (!j.is_array()) return "an array of strings";
    v.clear();
    for (const json& x : j) {
      if (!x.is_string()) return "an array of strings";
      v.push_back(h.intern(x.get_ref<const std::string&>()));
    }
  } else if constexpr (std::is_same_v<T, history::IntList>) {
    if (!j.is_array()) return "an array of integers";
    v.clear();
    for (const json& x : j) {
      int64_t i = 0;
      if (!as_int64(x, i)) return "an array of integers";
      v.push_back(i);
    }
  } else {
    static_assert(Unsupported<T>::value, "history_jsonl: a field type without a JSON form");
  }
  return {};
}

template <size_t... I>
constexpr auto make_defaults(std::index_sequence<I...>) {
  return std::array<history::Payload (*)(), sizeof...(I)>{
      +[]() -> history::Payload { return history::Payload(std::in_place_index<I>); }...};
}
constexpr auto kDefaults = make_defaults(std::make_index_sequence<history::kKindCount>{});

Error corrupt(size_t line_number, std::string message) {
  return Error{ErrorCode::kCorrupt, "history line " + std::to_string(line_number) + ": " + std::move(message)};
}

}  // namespace

history::Payload default_payload(size_t index) { return kDefaults.at(index)(); }

std::string render_event(const history::History& history, const history::Event& event) {
  json data = json::object();
  std::visit(
      [&](const auto& payload) {
        history::for_each_field(payload, [&](std::string_view name, const auto& value) {
          data[std::string(name)] = render_value(history, value);
        });
      },
      event.payload);
  json line = json::object();
  line["t"] = event.time_ns;
  line["node"] = event.node;
  line["kind"] = std::string(history::kind_name(event.kind()));
  line["data"] = std::move(data);
  // Replace invalid UTF-8 rather than throw: error messages may carry arbitrary bytes.
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string render_jsonl(const history::History& history) {
  std::string out;
  for (const history::Event& e : history.events()) {
    out += render_event(history, e);
    out += '\n';
  }
  return out;
}

Result<void> parse_line(std::string_view line, history::History& into, size_t line_number) {
  const json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt(line_number, "not valid JSON");
  if (!j.is_object()) return corrupt(line_number, "not a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "t" && key != "node" && key != "kind" && key != "data") {
      return corrupt(line_number, "unknown field \"" + key + "\" (expected data, kind, node, t)");
    }
  }
  int64_t t = 0;
  int64_t node = 0;
  if (!j.contains("t") || !as_int64(j["t"], t)) return corrupt(line_number, "field \"t\" must be an integer");
  if (!j.contains("node") || !as_int64(j["node"], node)) {
    return corrupt(line_number, "field \"node\" must be an integer");
  }
  if (!j.contains("kind") || !j["kind"].is_string()) return corrupt(line_number, "field \"kind\" must be a string");
  const std::string& kind_text = j["kind"].get_ref<const std::string&>();
  const auto kind = history::parse_kind(kind_text);
  if (!kind) return corrupt(line_number, "unknown event kind \"" + kind_text + "\"");
  if (!j.contains("data") || !j["data"].is_object()) {
    return corrupt(line_number, kind_text + ": field \"data\" must be an object");
  }
  const json& data = j["data"];
  history::Payload payload = default_payload(static_cast<size_t>(*kind));
  std::string problem;
  size_t known = 0;
  std::visit(
      [&](auto& p) {
        history::for_each_field(p, [&](std::string_view name, auto& value) {
          if (!problem.empty()) return;
          ++known;
          const auto it = data.find(std::string(name));
          if (it == data.end()) {
            problem = "missing field \"" + std::string(name) + "\"";
            return;
          }
          const std::string must = parse_value(into, *it, value);
          if (!must.empty()) problem = "field \"" + std::string(name) + "\" must be " + must;
        });
      },
      payload);
  if (problem.empty() && data.size() != known) {
    std::visit(
        [&](auto& p) {
          for (const auto& [key, value] : data.items()) {
            bool found = false;
            history::for_each_field(p, [&](std::string_view name, auto&) { found = found || name == key; });
            if (!found) {
              problem = "unknown field \"" + key + "\"";
              return;
            }
          }
        },
        payload);
  }
  if (!problem.empty()) return corrupt(line_number, kind_text + ": " + problem);
  into.append(t, node, std::move(payload));
  return {};
}

Result<history::History> parse_jsonl(std::string_view text) {
  history::History out;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.empty()) continue;
    Result<void> r = parse_line(line, out, line_no);
    if (!r.ok()) return r.error();
  }
  return out;
}

}  // namespace orbit::reports
