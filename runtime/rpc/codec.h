// The typed wire codec: every message body is one MessagePack value written and read by
// msgpack-cxx's typed adaptors (structs as arrays: MSGPACK_DEFINE_ARRAY, enums as
// integers, Bytes as bin, std::optional as nil-or-value, std::variant as [index, value]).
// MessagePack is a specified, language-neutral format, so a message's byte layout is its
// field list in order; docs/WIRE.md lists every message. Why msgpack-cxx and not cereal,
// FlatBuffers or a hand-written codec: docs/WIRE.md ("Choosing the codec", measured by
// //runtime/rpc:codec_bench).
//
// Decoding is strict: the whole input must be exactly one value of the expected shape.
// Anything else is a kCorrupt error naming the message and what was wrong; it never throws
// to the caller and never reads past the input. A forged length cannot make it allocate:
// all arrays and maps of one input together may claim at most as many elements as the
// input has bytes (codec.cc). One leniency is msgpack-cxx's own: a MSGPACK_DEFINE_ARRAY
// struct accepts an array with fewer fields (the rest keep their defaults) or more (the
// extra ones are ignored); see docs/WIRE.md.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <msgpack.hpp>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"

// std::variant<Ts...> as [index, value]: the index is the alternative's position, so an
// alternative may only ever be appended (docs/WIRE.md).
namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
namespace adaptor {

template <typename... Ts>
struct pack<std::variant<Ts...>> {
  template <typename Stream>
  packer<Stream>& operator()(packer<Stream>& o, const std::variant<Ts...>& v) const {
    o.pack_array(2);
    o.pack(static_cast<uint32_t>(v.index()));
    std::visit([&o](const auto& alternative) { o.pack(alternative); }, v);
    return o;
  }
};

template <typename... Ts>
struct convert<std::variant<Ts...>> {
  const msgpack::object& operator()(const msgpack::object& o, std::variant<Ts...>& v) const {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) throw msgpack::type_error();
    const uint32_t index = o.via.array.ptr[0].as<uint32_t>();
    if (index >= sizeof...(Ts)) throw msgpack::type_error();
    set<0>(index, o.via.array.ptr[1], v);
    return o;
  }

 private:
  template <size_t I>
  static void set(uint32_t index, const msgpack::object& value, std::variant<Ts...>& v) {
    if constexpr (I < sizeof...(Ts)) {
      if (index == I) {
        v.template emplace<I>(value.as<std::variant_alternative_t<I, std::variant<Ts...>>>());
        return;
      }
      set<I + 1>(index, value, v);
    }
  }
};

// ErrorCode as its number; a number outside the enum is a shape error, never a bad enum.
template <>
struct pack<orbit::ErrorCode> {
  template <typename Stream>
  packer<Stream>& operator()(packer<Stream>& o, orbit::ErrorCode code) const {
    o.pack(static_cast<uint32_t>(code));
    return o;
  }
};

template <>
struct convert<orbit::ErrorCode> {
  const msgpack::object& operator()(const msgpack::object& o, orbit::ErrorCode& code) const {
    const uint32_t n = o.as<uint32_t>();
    if (n > static_cast<uint32_t>(orbit::kLastErrorCode)) throw msgpack::type_error();
    code = static_cast<orbit::ErrorCode>(n);
    return o;
  }
};

}  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE
}  // namespace msgpack

namespace orbit::wire {

// msgpack-cxx's output stream over Bytes.
class ByteSink {
 public:
  explicit ByteSink(Bytes& out) : out_(out) {}
  void write(const char* data, size_t size) {
    // insert copies straight into spare capacity (resize would zero it first); an empty
    // range never touches its (possibly null) pointer.
    const auto* bytes = reinterpret_cast<const uint8_t*>(data);
    out_.insert(out_.end(), bytes, bytes + size);
  }

 private:
  Bytes& out_;
};

// Appends `value`'s encoding to `out`.
template <typename T>
void encode_into(Bytes& out, const T& value) {
  ByteSink sink(out);
  msgpack::packer<ByteSink> packer(sink);
  packer.pack(value);
}

template <typename T>
Bytes encode(const T& value) {
  Bytes out;
  out.reserve(64);
  encode_into(out, value);
  return out;
}

namespace detail {
// Parses exactly one MessagePack value spanning all of `bytes` into a reused zone;
// the object lives until the next call on this thread. Errors name `what`.
Result<const msgpack::object*> parse_one(ByteView bytes, std::string_view what);
Error shape_error(std::string_view what, const char* detail);
}  // namespace detail

// Decodes `bytes` as a T. kCorrupt (naming `what`) when they are not exactly one T.
template <typename T>
Result<T> decode(ByteView bytes, std::string_view what) {
  Result<const msgpack::object*> object = detail::parse_one(bytes, what);
  if (!object.ok()) return object.error();
  try {
    T value{};
    (*object)->convert(value);
    return value;
  } catch (const std::exception& e) {
    return detail::shape_error(what, e.what());
  }
}

}  // namespace orbit::wire
