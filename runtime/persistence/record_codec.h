// The typed MessagePack forms of the persistence records (types.h, provider.h): what the
// store's wire messages (store_messages.h) and the log's records (log_format.h) are made
// of. A record is a MessagePack array of its fields in the order Fields<T>::each lists
// them (docs/WIRE.md, "Store messages"): no field names on the wire, so a field may only
// ever be appended, never reordered or removed, and either change is a format version.
//
// Why not MSGPACK_DEFINE_ARRAY: its decoder accepts arrays with missing or extra fields
// (missing ones keep their defaults) and reports every mismatch as a bare std::bad_cast.
// A store must refuse a write whose `version` is missing rather than read it as 0, and
// say which field was wrong, so these adaptors are strict (exactly the listed fields, each
// of exactly its type) and name the field ("snapshot.key.id: expected a string").
//
// Field encodings: strings as str, Bytes as bin, integers as MessagePack ints (signed ones
// may use the positive forms), Duration as signed nanoseconds, std::optional as nil or the
// value, Tags as a map of str to str, vectors as arrays, HealthState as its number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"
#include "runtime/persistence/provider.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence::codec {

// What a decoder found wrong, and where: `path` names the field ("key.id", "leases[2].holder",
// empty for the value itself). Thrown only inside a decode and caught at its boundary
// (decode() below): callers see an Error value.
class ShapeError : public std::exception {
 public:
  ShapeError(std::string path, std::string problem);
  const char* what() const noexcept override { return text_.c_str(); }
  // The same problem one level up: `prefix` is a field name or an index ("[3]").
  ShapeError within(std::string_view prefix) const;

 private:
  std::string path_;
  std::string problem_;
  std::string text_;  // "path: problem", or the problem alone at the top
};

// The field list of a record type: each(record, f) calls f(name, member) for every field in
// wire order. Specialized below for every record; a type without one is not a record.
template <typename T>
struct Fields;

template <typename T>
concept Record = requires(T& value) { Fields<T>::each(value, [](const char*, auto&) {}); };

template <>
struct Fields<ActorKey> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("kind", s.kind);
    f("id", s.id);
  }
};

template <>
struct Fields<LeaseRecord> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("key", s.key);
    f("holder", s.holder);
    f("version", s.version);
    f("expires_at_ns", s.expires_at_ns);
    f("duration_ns", s.duration);
    f("metadata", s.metadata);
  }
};

template <>
struct Fields<LeaseOutcome> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("granted", s.granted);
    f("record", s.record);
  }
};

template <>
struct Fields<Snapshot> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("key", s.key);
    f("version", s.version);
    f("state", s.state);
    f("sha256", s.sha256);
    f("fencing_token", s.fencing_token);
    f("created_at_ns", s.created_at_ns);
    f("updated_at_ns", s.updated_at_ns);
    f("node", s.node);
    f("tags", s.tags);
    f("ttl_ns", s.ttl);
  }
};

template <>
struct Fields<ProviderMetrics> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("lease_acquires", s.lease_acquires);
    f("lease_renewals", s.lease_renewals);
    f("lease_conflicts", s.lease_conflicts);
    f("lease_releases", s.lease_releases);
    f("snapshot_writes", s.snapshot_writes);
    f("snapshot_reads", s.snapshot_reads);
    f("fencing_rejections", s.fencing_rejections);
    f("version_conflicts", s.version_conflicts);
    f("bytes_written", s.bytes_written);
    f("bytes_read", s.bytes_read);
    f("errors", s.errors);
    f("corrupt_records", s.corrupt_records);
  }
};

template <>
struct Fields<Health> {
  template <typename S, typename F>
  static void each(S& s, F&& f) {
    f("state", s.state);
    f("reason", s.reason);
  }
};

// The overloads below call one another for nested values; declaring the templates first
// lets each find all of them.
template <typename Stream, typename T>
void put(msgpack::packer<Stream>& p, const std::optional<T>& v);
template <typename Stream, typename T>
void put(msgpack::packer<Stream>& p, const std::vector<T>& v);
template <typename Stream, Record T>
void put(msgpack::packer<Stream>& p, const T& v);
template <typename T>
void get(const msgpack::object& o, std::optional<T>& out);
template <typename T>
void get(const msgpack::object& o, std::vector<T>& out);
template <Record T>
void get(const msgpack::object& o, T& out);

// --- Encoding.

template <typename Stream>
void put(msgpack::packer<Stream>& p, const std::string& v) {
  p.pack_str(static_cast<uint32_t>(v.size()));
  p.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, const Bytes& v) {
  p.pack_bin(static_cast<uint32_t>(v.size()));
  // An empty vector's data() may be null, which memcpy must not be given even for 0 bytes.
  if (!v.empty()) p.pack_bin_body(reinterpret_cast<const char*>(v.data()), static_cast<uint32_t>(v.size()));
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, bool v) {
  p.pack(v);
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, uint64_t v) {
  p.pack_uint64(v);
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, int64_t v) {
  p.pack_int64(v);
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, Duration v) {
  p.pack_int64(v.count());
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, HealthState v) {
  p.pack_uint8(static_cast<uint8_t>(v));
}
template <typename Stream>
void put(msgpack::packer<Stream>& p, const Tags& v) {
  p.pack_map(static_cast<uint32_t>(v.size()));
  for (const auto& [key, value] : v) {
    put(p, key);
    put(p, value);
  }
}
template <typename Stream, typename T>
void put(msgpack::packer<Stream>& p, const std::optional<T>& v) {
  if (v) {
    put(p, *v);
  } else {
    p.pack_nil();
  }
}
template <typename Stream, typename T>
void put(msgpack::packer<Stream>& p, const std::vector<T>& v) {
  p.pack_array(static_cast<uint32_t>(v.size()));
  for (const T& item : v) put(p, item);
}
template <typename Stream, Record T>
void put(msgpack::packer<Stream>& p, const T& v) {
  uint32_t count = 0;
  Fields<T>::each(v, [&count](const char*, const auto&) { ++count; });
  p.pack_array(count);
  Fields<T>::each(v, [&p](const char*, const auto& field) { put(p, field); });
}

// An upper bound on the bytes put() writes for `s`: reserving it first lets a large state
// be written into its buffer once, instead of being copied again as the buffer grows.
inline size_t encoded_size_bound(const Snapshot& s) {
  // Every MessagePack header or scalar here takes at most 9 bytes; there are 17 of them.
  size_t bound = 160 + s.key.kind.size() + s.key.id.size() + s.state.size() + s.sha256.size() + s.node.size();
  for (const auto& [key, value] : s.tags) bound += 10 + key.size() + value.size();
  return bound;
}

// --- Decoding. Each get() throws ShapeError naming what is wrong with `o`.

void get(const msgpack::object& o, std::string& out);
void get(const msgpack::object& o, Bytes& out);
void get(const msgpack::object& o, bool& out);
void get(const msgpack::object& o, uint64_t& out);
void get(const msgpack::object& o, int64_t& out);
void get(const msgpack::object& o, Duration& out);
void get(const msgpack::object& o, HealthState& out);
void get(const msgpack::object& o, Tags& out);
// The array header of a record of `fields` fields (throws when `o` is not exactly that).
void expect_fields(const msgpack::object& o, uint32_t fields);

template <typename T>
void get(const msgpack::object& o, std::optional<T>& out) {
  if (o.type == msgpack::type::NIL) {
    out.reset();
    return;
  }
  T value{};
  get(o, value);
  out = std::move(value);
}

template <typename T>
void get(const msgpack::object& o, std::vector<T>& out) {
  if (o.type != msgpack::type::ARRAY) throw ShapeError("", "expected an array");
  out.clear();
  out.reserve(o.via.array.size);
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    T item{};
    try {
      get(o.via.array.ptr[i], item);
    } catch (const ShapeError& e) {
      throw e.within("[" + std::to_string(i) + "]");
    }
    out.push_back(std::move(item));
  }
}

template <Record T>
void get(const msgpack::object& o, T& out) {
  uint32_t count = 0;
  Fields<T>::each(out, [&count](const char*, auto&) { ++count; });
  expect_fields(o, count);
  uint32_t i = 0;
  Fields<T>::each(out, [&o, &i](const char* name, auto& field) {
    try {
      get(o.via.array.ptr[i++], field);
    } catch (const ShapeError& e) {
      throw e.within(name);
    }
  });
}

// A value that is not a record (rpc::Empty, say) goes through its own msgpack adaptor.
template <typename T>
  requires(!Record<T> && std::is_class_v<T>)
void get(const msgpack::object& o, T& out) {
  try {
    o.convert(out);
  } catch (const std::exception& e) {
    throw ShapeError("", std::string("unexpected shape (") + e.what() + ")");
  }
}

// Parses exactly one MessagePack value spanning all of `bytes` (wire::detail::parse_one,
// with its bounds on forged lengths); errors carry `code`. The object lives in a zone per
// thread and is valid until the next parse on this thread: decode() below uses it at once.
Result<const msgpack::object*> parse(ByteView bytes, std::string_view what, ErrorCode code);

// Decodes `bytes` as exactly one T. An error carries `code` and reads
// "<what>: <path>: <problem>" ("store.acquire_lease: key.id: expected a string").
template <typename T>
Result<T> decode(ByteView bytes, std::string_view what, ErrorCode code) {
  Result<const msgpack::object*> object = parse(bytes, what, code);
  if (!object.ok()) return object.error();
  try {
    T value{};
    get(**object, value);
    return value;
  } catch (const std::exception& e) {
    return Error{code, std::string(what) + ": " + e.what()};
  }
}

}  // namespace orbit::persistence::codec

// msgpack-cxx adaptors for every record, so wire::encode / rpc::encode_message take them.
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

template <typename T>
struct pack<T, std::enable_if_t<orbit::persistence::codec::Record<T>>> {
  template <typename Stream>
  packer<Stream>& operator()(packer<Stream>& o, const T& v) const {
    orbit::persistence::codec::put(o, v);
    return o;
  }
};

template <typename T>
struct convert<T, std::enable_if_t<orbit::persistence::codec::Record<T>>> {
  const msgpack::object& operator()(const msgpack::object& o, T& v) const {
    orbit::persistence::codec::get(o, v);
    return o;
  }
};

}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE
}  // namespace msgpack
