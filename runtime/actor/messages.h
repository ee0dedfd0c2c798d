// The actor runtime's own messages (docs/WIRE.md, "Actor messages"), and the outcome of a
// routed call as the runtime handles it in process.
//
//   actor.route   RouteRequest  -> CallReply   (caller -> identity owner)
//   actor.invoke  InvokeRequest -> CallReply   (owner -> activation node)
//   dir.register  RegisterRequest -> Empty     (activation node -> owner)
//
// The actor's request and response travel as opaque bytes in the kind's codec: encoded
// once by the caller's node, decoded once by the activation (payload.h).
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "runtime/actor/payload.h"
#include "runtime/env/result.h"
#include "runtime/env/transport.h"
#include "runtime/persistence/types.h"
#include "runtime/rpc/codec.h"
#include "runtime/rpc/frame.h"

namespace orbit::actor {

struct RouteRequest {
  std::string kind;
  std::string id;
  int64_t budget_ns = 0;
  Bytes request;
  MSGPACK_DEFINE_ARRAY(kind, id, budget_ns, request);
};

struct InvokeRequest {
  std::string kind;
  std::string id;
  Bytes request;
  MSGPACK_DEFINE_ARRAY(kind, id, request);
};

struct RegisterRequest {
  std::string kind;
  std::string id;
  env::NodeId node = 0;
  MSGPACK_DEFINE_ARRAY(kind, id, node);
};

// A RouteRequest's frame (encode_message() form) without first copying the encoded actor
// request into a RouteRequest: the same bytes, field by field.
inline Bytes encode_route_request(const persistence::ActorKey& key, int64_t budget_ns, const Bytes& request) {
  Bytes frame;
  frame.reserve(rpc::kHeaderBytes + 16 + key.kind.size() + key.id.size() + request.size());
  frame.resize(rpc::kHeaderBytes);
  wire::ByteSink sink(frame);
  msgpack::packer<wire::ByteSink> packer(sink);
  packer.pack_array(4);
  packer.pack(key.kind);
  packer.pack(key.id);
  packer.pack(budget_ns);
  packer.pack(request);
  return frame;
}

// The reply of route and invoke, on the wire. Alternatives are only ever appended.
struct ReplyOk {
  Bytes response;  // the handler's response, in the kind's codec
  MSGPACK_DEFINE_ARRAY(response);
};
struct ReplyError {  // the handler's (or the runtime's) definite error
  ErrorCode code = ErrorCode::kIo;
  std::string message;
  MSGPACK_DEFINE_ARRAY(code, message);
};
struct ReplyNotApplied {  // the request did not run; safe to retry
  std::string reason;
  MSGPACK_DEFINE_ARRAY(reason);
};
struct ReplyUnknown {  // it may or may not have run
  std::string reason;
  MSGPACK_DEFINE_ARRAY(reason);
};
struct ReplyRedirect {  // the activation lives on `node` (owner-internal)
  env::NodeId node = 0;
  MSGPACK_DEFINE_ARRAY(node);
};
using CallReply = std::variant<ReplyOk, ReplyError, ReplyNotApplied, ReplyUnknown, ReplyRedirect>;

// The same outcome in process: the response stays a Payload (typed while it has not
// crossed a node).
struct Outcome {
  enum class Kind { kOk, kError, kNotApplied, kUnknown, kRedirect };
  Kind kind = Kind::kOk;
  Payload response;        // kOk
  Error error{ErrorCode::kIo, ""};  // kError; the reason of kNotApplied / kUnknown in error.message
  env::NodeId node = 0;    // kRedirect

  static Outcome ok(Payload response) {
    Outcome o;
    o.response = std::move(response);
    return o;
  }
  static Outcome failed(Error e) { return with(Kind::kError, std::move(e)); }
  static Outcome not_applied(std::string why) { return with(Kind::kNotApplied, Error{ErrorCode::kUnavailable, std::move(why)}); }
  static Outcome unknown(std::string why) { return with(Kind::kUnknown, Error{ErrorCode::kTimeout, std::move(why)}); }
  static Outcome redirect(env::NodeId node) {
    Outcome o;
    o.kind = Kind::kRedirect;
    o.node = node;
    return o;
  }

  CallReply to_wire() && {
    switch (kind) {
      case Kind::kOk: return ReplyOk{std::move(response).to_bytes()};
      case Kind::kError: return ReplyError{error.code, std::move(error.message)};
      case Kind::kNotApplied: return ReplyNotApplied{std::move(error.message)};
      case Kind::kUnknown: return ReplyUnknown{std::move(error.message)};
      case Kind::kRedirect: return ReplyRedirect{node};
    }
    return ReplyError{ErrorCode::kIo, "unknown outcome"};
  }
  static Outcome from_wire(CallReply reply) {
    struct Visit {
      Outcome operator()(ReplyOk& r) const { return ok(Payload::from_bytes(std::move(r.response))); }
      Outcome operator()(ReplyError& r) const { return failed(Error{r.code, std::move(r.message)}); }
      Outcome operator()(ReplyNotApplied& r) const { return not_applied(std::move(r.reason)); }
      Outcome operator()(ReplyUnknown& r) const { return unknown(std::move(r.reason)); }
      Outcome operator()(ReplyRedirect& r) const { return redirect(r.node); }
    };
    return std::visit(Visit{}, reply);
  }

 private:
  static Outcome with(Kind kind, Error e) {
    Outcome o;
    o.kind = kind;
    o.error = std::move(e);
    return o;
  }
};

}  // namespace orbit::actor
