// Payload: an actor request or response on its way through the runtime. Inside one
// process it carries the typed value itself (a call to an actor on the caller's node is
// never encoded); the first time it must cross a node it is encoded once with its kind's
// codec, and from then on it travels as opaque bytes until the receiving kind decodes it.
//
// The codec of a type (ActorCodec<T>): MessagePack via msgpack-cxx for types it can write
// (integers, strings, bools, MSGPACK_DEFINE_ARRAY structs); otherwise the type's
// nlohmann_json to_json/from_json, written as MessagePack by nlohmann (slower, for kinds
// written before the typed wire).
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <nlohmann/json.hpp>

#include "runtime/env/bytes.h"
#include "runtime/env/result.h"
#include "runtime/rpc/codec.h"

namespace orbit::actor {

template <typename T>
concept MsgpackNative = std::is_arithmetic_v<T> || std::is_same_v<T, std::string> || std::is_same_v<T, Bytes> ||
                        requires(const T& t, msgpack::packer<wire::ByteSink>& packer) { t.msgpack_pack(packer); };

template <typename T>
struct ActorCodec {
  static void encode_into(Bytes& out, const T& value) {
    if constexpr (MsgpackNative<T>) {
      wire::encode_into(out, value);
    } else {
      const std::vector<uint8_t> bytes = nlohmann::json::to_msgpack(nlohmann::json(value));
      out.insert(out.end(), bytes.begin(), bytes.end());
    }
  }
  static Result<T> decode(ByteView bytes, std::string_view what) {
    if constexpr (MsgpackNative<T>) {
      return wire::decode<T>(bytes, what);
    } else {
      nlohmann::json j = nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), /*strict=*/true,
                                                      /*allow_exceptions=*/false);
      if (j.is_discarded()) return Error{ErrorCode::kCorrupt, std::string(what) + ": not MessagePack"};
      try {
        return j.get<T>();
      } catch (const nlohmann::json::exception& e) {
        return Error{ErrorCode::kCorrupt, std::string(what) + ": unexpected shape (" + e.what() + ")"};
      }
    }
  }
};

class Payload {
 public:
  Payload() = default;
  // Bytes that came over the network, in the kind's codec.
  static Payload from_bytes(Bytes encoded) {
    Payload p;
    p.bytes_ = std::move(encoded);
    return p;
  }
  template <typename T>
  static Payload typed(T value) {
    Payload p;
    p.box_ = std::make_unique<TypedBox<T>>(std::move(value));
    return p;
  }

  // A copy, for a request that may have to be sent again (a retry after "not applied").
  Payload clone() const {
    Payload p;
    if (box_) p.box_ = box_->clone();
    p.bytes_ = bytes_;
    return p;
  }

  // The encoded form (the typed value encoded now, if it is one).
  Bytes to_bytes() && {
    if (!box_) return std::move(bytes_);
    Bytes out;
    box_->encode_into(out);
    return out;
  }

  // The value as a T: moved out when it is one, decoded from bytes otherwise. kCorrupt
  // (naming `what`) when the bytes are not a T.
  template <typename T>
  Result<T> take(std::string_view what) && {
    if (box_) {
      auto* typed = dynamic_cast<TypedBox<T>*>(box_.get());
      if (typed != nullptr) return std::move(typed->value);
      Bytes encoded;
      box_->encode_into(encoded);
      return ActorCodec<T>::decode(encoded, what);
    }
    return ActorCodec<T>::decode(bytes_, what);
  }

 private:
  struct Box {
    virtual ~Box() = default;
    virtual void encode_into(Bytes& out) const = 0;
    virtual std::unique_ptr<Box> clone() const = 0;
  };
  template <typename T>
  struct TypedBox final : Box {
    explicit TypedBox(T v) : value(std::move(v)) {}
    void encode_into(Bytes& out) const override { ActorCodec<T>::encode_into(out, value); }
    std::unique_ptr<Box> clone() const override { return std::make_unique<TypedBox<T>>(value); }
    T value;
  };

  std::unique_ptr<Box> box_;
  Bytes bytes_;
};

}  // namespace orbit::actor
