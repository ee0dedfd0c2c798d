#include "runtime/persistence/record_codec.h"

#include "runtime/rpc/codec.h"

#include <cstdint>
#include <limits>

namespace orbit::persistence::codec {
namespace {

const char* type_name(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "a boolean";
    case msgpack::type::POSITIVE_INTEGER: return "an unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER: return "a negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "a float";
    case msgpack::type::STR: return "a string";
    case msgpack::type::BIN: return "binary";
    case msgpack::type::ARRAY: return "an array";
    case msgpack::type::MAP: return "a map";
    case msgpack::type::EXT: return "an extension";
  }
  return "an unknown type";
}

[[noreturn]] void wrong_type(const msgpack::object& o, const char* expected) {
  throw ShapeError("", std::string("expected ") + expected + ", got " + type_name(o));
}

}  // namespace

ShapeError::ShapeError(std::string path, std::string problem) : path_(std::move(path)), problem_(std::move(problem)) {
  text_ = path_.empty() ? problem_ : path_ + ": " + problem_;
}

ShapeError ShapeError::within(std::string_view prefix) const {
  std::string path(prefix);
  if (!path_.empty()) {
    if (path_.front() != '[') path += '.';
    path += path_;
  }
  return ShapeError(std::move(path), problem_);
}

void get(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR) wrong_type(o, "a string");
  out.assign(o.via.str.ptr, o.via.str.size);
}

void get(const msgpack::object& o, Bytes& out) {
  if (o.type != msgpack::type::BIN) wrong_type(o, "binary");
  const auto* data = reinterpret_cast<const uint8_t*>(o.via.bin.ptr);
  out.assign(data, data + o.via.bin.size);
}

void get(const msgpack::object& o, bool& out) {
  if (o.type != msgpack::type::BOOLEAN) wrong_type(o, "a boolean");
  out = o.via.boolean;
}

void get(const msgpack::object& o, uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) wrong_type(o, "an unsigned integer");
  out = o.via.u64;
}

void get(const msgpack::object& o, int64_t& out) {
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    out = o.via.i64;
    return;
  }
  if (o.type != msgpack::type::POSITIVE_INTEGER) wrong_type(o, "an integer");
  // A value above INT64_MAX would wrap: refuse it rather than flip its sign.
  if (o.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    throw ShapeError("", "out of range for a signed 64-bit integer");
  }
  out = static_cast<int64_t>(o.via.u64);
}

void get(const msgpack::object& o, Duration& out) {
  int64_t ns = 0;
  get(o, ns);
  out = Duration(ns);
}

void get(const msgpack::object& o, HealthState& out) {
  uint64_t n = 0;
  get(o, n);
  if (n > static_cast<uint64_t>(HealthState::kUnhealthy)) {
    throw ShapeError("", "unknown health state " + std::to_string(n));
  }
  out = static_cast<HealthState>(n);
}

void get(const msgpack::object& o, Tags& out) {
  if (o.type != msgpack::type::MAP) wrong_type(o, "a map of strings");
  out.clear();
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    std::string key;
    try {
      get(kv.key, key);
    } catch (const ShapeError& e) {
      throw ShapeError("", "a key: " + std::string(e.what()));
    }
    std::string value;
    try {
      get(kv.val, value);
    } catch (const ShapeError& e) {
      throw e.within(key);
    }
    if (!out.emplace(std::move(key), std::move(value)).second) throw ShapeError("", "a key appears twice");
  }
}

void expect_fields(const msgpack::object& o, uint32_t fields) {
  if (o.type == msgpack::type::ARRAY && o.via.array.size == fields) return;
  const std::string expected = std::to_string(fields) + (fields == 1 ? " field" : " fields");
  if (o.type != msgpack::type::ARRAY) throw ShapeError("", "expected an array of " + expected + ", got " + type_name(o));
  throw ShapeError("", "expected " + expected + ", got " + std::to_string(o.via.array.size));
}

Result<const msgpack::object*> parse(ByteView bytes, std::string_view what, ErrorCode code) {
  // The RPC codec's parser: one place decides how much a forged or truncated input may
  // make the parser reserve.
  Result<const msgpack::object*> parsed = orbit::wire::detail::parse_one(bytes, what);
  if (parsed.ok() || parsed.code() == code) return parsed;
  return Error{code, parsed.error().message};
}

}  // namespace orbit::persistence::codec
