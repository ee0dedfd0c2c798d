// Which codec carries RPC bodies: encode + decode of one typical route request and one
// typical reply, as whole frames, with
//   MsgpackCxx  the chosen codec: msgpack-cxx typed adaptors (codec.h) behind the 24-byte
//               header (frame.h), exactly as RpcNode callers and handlers use them;
//   Cereal      cereal's PortableBinaryArchive behind the same header, over a streambuf
//               that appends to / reads from the frame's own bytes (no copy);
//   CerealStringStream  the same over std::stringstream, cereal's usual way;
//   OldJson     the version-1 path: an nlohmann::json tree of the whole frame, to_msgpack,
//               from_msgpack, and the fields read back into the same struct.
// Every variant carries the same content (header fields, key, budget, the opaque payload
// as binary) and ends with the same struct the handler would use. Counters: `allocs` and
// `alloc_bytes` per encode + decode (malloc calls, which include operator new and
// msgpack-cxx's zone), and `frame_bytes`, the size on the wire.
//
//   bazel run //runtime/rpc:codec_bench -- --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Results and the reasoning: docs/WIRE.md, "Choosing the codec".
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <sstream>
#include <streambuf>
#include <variant>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/common.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>
#include <nlohmann/json.hpp>

#include "runtime/rpc/codec.h"
#include "runtime/rpc/frame.h"

// Counting every allocation: malloc is replaced by wrappers around glibc's own entry points
// (glibc supports replacing malloc, free, calloc and realloc together), so operator new
// and msgpack-cxx's zone (which calls malloc directly) are both counted. Not under ASan,
// which owns malloc itself.
#if !defined(__SANITIZE_ADDRESS__)
namespace {
std::atomic<uint64_t> g_allocs{0};
std::atomic<uint64_t> g_alloc_bytes{0};
}  // namespace
extern "C" {
void* __libc_malloc(size_t size) noexcept;
void* __libc_calloc(size_t n, size_t size) noexcept;
void* __libc_realloc(void* p, size_t size) noexcept;
void __libc_free(void* p) noexcept;
void* malloc(size_t size) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_alloc_bytes.fetch_add(size, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(size_t n, size_t size) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_alloc_bytes.fetch_add(n * size, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t size) noexcept {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_alloc_bytes.fetch_add(size, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
void free(void* p) noexcept { __libc_free(p); }
}
#define ORBIT_COUNTING_ALLOCS 1
#endif

namespace orbit::rpc {
namespace {

using Json = nlohmann::json;

// --- The messages: a route request and its reply, as issue 13 describes them.

struct ActorKey {
  std::string kind;
  std::string id;
  MSGPACK_DEFINE_ARRAY(kind, id);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(kind, id);
  }
};

struct RouteRequest {
  ActorKey key;
  int64_t budget_ns = 0;
  Bytes payload;  // the actor's request, opaque, in its kind's codec
  MSGPACK_DEFINE_ARRAY(key, budget_ns, payload);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(key, budget_ns, payload);
  }
};

struct ReplyOk {
  Bytes response;
  MSGPACK_DEFINE_ARRAY(response);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(response);
  }
};
struct ReplyError {
  ErrorCode code = ErrorCode::kIo;
  std::string message;
  MSGPACK_DEFINE_ARRAY(code, message);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(code, message);
  }
};
struct ReplyNotApplied {
  std::string reason;
  MSGPACK_DEFINE_ARRAY(reason);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(reason);
  }
};
struct ReplyUnknown {
  std::string reason;
  MSGPACK_DEFINE_ARRAY(reason);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(reason);
  }
};
struct ReplyRedirect {
  uint32_t node = 0;
  MSGPACK_DEFINE_ARRAY(node);
  template <class Archive>
  void serialize(Archive& ar) {
    ar(node);
  }
};
using CallReply = std::variant<ReplyOk, ReplyError, ReplyNotApplied, ReplyUnknown, ReplyRedirect>;

constexpr uint64_t kSession = 0x5eed5eed5eed5eed;
constexpr uint64_t kCallId = (uint64_t{123456} << 32) | 17;

RouteRequest typical_request() {
  RouteRequest r;
  r.key = ActorKey{"register", "r17"};
  r.budget_ns = 2'000'000'000;
  r.payload.resize(24);
  for (size_t i = 0; i < r.payload.size(); ++i) r.payload[i] = static_cast<uint8_t>(i * 7 + 1);
  return r;
}

CallReply typical_reply() {
  Bytes response(16);
  for (size_t i = 0; i < response.size(); ++i) response[i] = static_cast<uint8_t>(i * 5 + 3);
  return ReplyOk{std::move(response)};
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "codec_bench: %s\n", what);
    std::abort();
  }
}

// --- Allocation counting around one benchmark loop.

class AllocCounter {
 public:
  AllocCounter() { reset(); }
  void reset() {
#if ORBIT_COUNTING_ALLOCS
    allocs_ = g_allocs.load(std::memory_order_relaxed);
    bytes_ = g_alloc_bytes.load(std::memory_order_relaxed);
#endif
  }
  void report(benchmark::State& state, size_t frame_bytes) const {
#if ORBIT_COUNTING_ALLOCS
    const double n = static_cast<double>(state.iterations());
    state.counters["allocs"] = static_cast<double>(g_allocs.load(std::memory_order_relaxed) - allocs_) / n;
    state.counters["alloc_bytes"] = static_cast<double>(g_alloc_bytes.load(std::memory_order_relaxed) - bytes_) / n;
#endif
    state.counters["frame_bytes"] = static_cast<double>(frame_bytes);
  }

 private:
  uint64_t allocs_ = 0;
  uint64_t bytes_ = 0;
};

// --- (a) msgpack-cxx typed adaptors, as RpcNode callers and handlers use them.

template <typename T>
Bytes msgpack_encode(const T& message, FrameKind kind, Method method) {
  Bytes frame = encode_message(message);
  write_header(frame, FrameHeader{kind, method, 0, kSession, kCallId});
  return frame;
}

template <typename T>
T msgpack_decode(const Bytes& frame, Method method) {
  Result<FrameHeader> header = read_header(frame);
  check(header.ok() && header->call_id == kCallId, "msgpack header");
  Result<T> message = wire::decode<T>(body_of(frame), method_name(method));
  check(message.ok(), "msgpack body");
  return std::move(*message);
}

// --- (b) cereal PortableBinaryArchive behind the same header.

// Appends to a Bytes: the archive writes straight into the frame.
class AppendBuf final : public std::streambuf {
 public:
  explicit AppendBuf(Bytes& out) : out_(out) {}

 protected:
  int_type overflow(int_type ch) override {
    if (ch != traits_type::eof()) out_.push_back(static_cast<uint8_t>(ch));
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.insert(out_.end(), reinterpret_cast<const uint8_t*>(s), reinterpret_cast<const uint8_t*>(s) + n);
    return n;
  }

 private:
  Bytes& out_;
};

// Reads a ByteView in place.
class ViewBuf final : public std::streambuf {
 public:
  explicit ViewBuf(ByteView in) {
    char* begin = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    setg(begin, begin, begin + in.size());
  }
  bool consumed() const { return gptr() == egptr(); }
};

template <typename T>
Bytes cereal_encode(const T& message, FrameKind kind, Method method) {
  Bytes frame;
  frame.reserve(kHeaderBytes + 64);
  frame.resize(kHeaderBytes);
  AppendBuf buf(frame);
  std::ostream os(&buf);
  {
    cereal::PortableBinaryOutputArchive archive(os);
    archive(message);
  }
  write_header(frame, FrameHeader{kind, method, 0, kSession, kCallId});
  return frame;
}

template <typename T>
T cereal_decode(const Bytes& frame) {
  Result<FrameHeader> header = read_header(frame);
  check(header.ok() && header->call_id == kCallId, "cereal header");
  ViewBuf buf(body_of(frame));
  std::istream is(&buf);
  T message;
  {
    cereal::PortableBinaryInputArchive archive(is);
    archive(message);
  }
  check(buf.consumed(), "cereal trailing bytes");
  return message;
}

template <typename T>
std::string cereal_encode_stringstream(const T& message) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive archive(os);
    archive(message);
  }
  return std::move(os).str();
}

template <typename T>
T cereal_decode_stringstream(const std::string& bytes) {
  std::istringstream is(bytes);
  T message;
  {
    cereal::PortableBinaryInputArchive archive(is);
    archive(message);
  }
  return message;
}

// --- (c) The version-1 path: a JSON tree of the whole frame as a MessagePack map.

Json json_binary(const Bytes& bytes) { return Json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end())); }

Bytes old_encode_request(const RouteRequest& r) {
  Json body = Json::object();
  body["key"] = Json{{"kind", r.key.kind}, {"id", r.key.id}};
  body["req"] = json_binary(r.payload);
  body["budget_ns"] = r.budget_ns;
  Json frame{{"k", 0}, {"i", kCallId}, {"s", kSession}, {"m", "actor.route"}, {"b", std::move(body)}};
  return Json::to_msgpack(frame);
}

RouteRequest old_decode_request(const Bytes& bytes) {
  Json frame = Json::from_msgpack(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  check(!frame.is_discarded() && frame.is_object() && frame["k"].get<int>() == 0, "json frame");
  check(frame["i"].get<uint64_t>() == kCallId && frame["s"].get<uint64_t>() == kSession, "json ids");
  check(frame["m"].get<std::string>() == "actor.route", "json method");
  Json& body = frame["b"];
  RouteRequest r;
  r.key.kind = body["key"]["kind"].get<std::string>();
  r.key.id = body["key"]["id"].get<std::string>();
  r.budget_ns = body["budget_ns"].get<int64_t>();
  r.payload = std::move(body["req"].get_binary());
  return r;
}

Bytes old_encode_reply(const CallReply& reply) {
  const auto& ok = std::get<ReplyOk>(reply);
  Json frame{{"k", 1}, {"i", kCallId}, {"s", kSession}, {"b", Json{{"ok", json_binary(ok.response)}}}};
  return Json::to_msgpack(frame);
}

CallReply old_decode_reply(const Bytes& bytes) {
  Json frame = Json::from_msgpack(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  check(!frame.is_discarded() && frame.is_object() && frame["k"].get<int>() == 1, "json frame");
  check(frame["i"].get<uint64_t>() == kCallId && frame["s"].get<uint64_t>() == kSession, "json ids");
  Json& body = frame["b"];
  check(body.contains("ok") && !body.contains("err"), "json reply");
  return ReplyOk{std::move(body["ok"].get_binary())};
}

// --- The benchmarks: one iteration is one encode and one decode of a whole frame.

void BM_Request_MsgpackCxx(benchmark::State& state) {
  const RouteRequest request = typical_request();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = msgpack_encode(request, FrameKind::kRequest, Method::kActorRoute);
    RouteRequest back = msgpack_decode<RouteRequest>(frame, Method::kActorRoute);
    size = frame.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Request_Cereal(benchmark::State& state) {
  const RouteRequest request = typical_request();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = cereal_encode(request, FrameKind::kRequest, Method::kActorRoute);
    RouteRequest back = cereal_decode<RouteRequest>(frame);
    size = frame.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Request_CerealStringStream(benchmark::State& state) {
  // The body alone (no header): cereal as its documentation uses it.
  const RouteRequest request = typical_request();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    std::string bytes = cereal_encode_stringstream(request);
    RouteRequest back = cereal_decode_stringstream<RouteRequest>(bytes);
    size = bytes.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Request_OldJson(benchmark::State& state) {
  const RouteRequest request = typical_request();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = old_encode_request(request);
    RouteRequest back = old_decode_request(frame);
    size = frame.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Reply_MsgpackCxx(benchmark::State& state) {
  const CallReply reply = typical_reply();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = msgpack_encode(reply, FrameKind::kReply, Method::kActorRoute);
    CallReply back = msgpack_decode<CallReply>(frame, Method::kActorRoute);
    size = frame.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Reply_Cereal(benchmark::State& state) {
  const CallReply reply = typical_reply();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = cereal_encode(reply, FrameKind::kReply, Method::kActorRoute);
    CallReply back = cereal_decode<CallReply>(frame);
    size = frame.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Reply_CerealStringStream(benchmark::State& state) {
  const CallReply reply = typical_reply();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    std::string bytes = cereal_encode_stringstream(reply);
    CallReply back = cereal_decode_stringstream<CallReply>(bytes);
    size = bytes.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

void BM_Reply_OldJson(benchmark::State& state) {
  const CallReply reply = typical_reply();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = old_encode_reply(reply);
    CallReply back = old_decode_reply(frame);
    size = frame.size();
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, size);
}

// The request's two halves apart, to show where each codec spends.
template <Bytes (*Encode)(const RouteRequest&)>
void request_encode_only(benchmark::State& state) {
  const RouteRequest request = typical_request();
  size_t size = 0;
  AllocCounter counter;
  for (auto _ : state) {
    Bytes frame = Encode(request);
    size = frame.size();
    benchmark::DoNotOptimize(frame);
  }
  counter.report(state, size);
}

template <Bytes (*Encode)(const RouteRequest&), RouteRequest (*Decode)(const Bytes&)>
void request_decode_only(benchmark::State& state) {
  const Bytes frame = Encode(typical_request());
  AllocCounter counter;
  for (auto _ : state) {
    RouteRequest back = Decode(frame);
    benchmark::DoNotOptimize(back);
  }
  counter.report(state, frame.size());
}

Bytes msgpack_encode_request(const RouteRequest& r) { return msgpack_encode(r, FrameKind::kRequest, Method::kActorRoute); }
RouteRequest msgpack_decode_request(const Bytes& frame) { return msgpack_decode<RouteRequest>(frame, Method::kActorRoute); }
Bytes cereal_encode_request(const RouteRequest& r) { return cereal_encode(r, FrameKind::kRequest, Method::kActorRoute); }
RouteRequest cereal_decode_request(const Bytes& frame) { return cereal_decode<RouteRequest>(frame); }

BENCHMARK(request_encode_only<msgpack_encode_request>)->Name("BM_RequestEncodeOnly_MsgpackCxx");
BENCHMARK(request_encode_only<cereal_encode_request>)->Name("BM_RequestEncodeOnly_Cereal");
BENCHMARK(request_encode_only<old_encode_request>)->Name("BM_RequestEncodeOnly_OldJson");
BENCHMARK(request_decode_only<msgpack_encode_request, msgpack_decode_request>)->Name("BM_RequestDecodeOnly_MsgpackCxx");
BENCHMARK(request_decode_only<cereal_encode_request, cereal_decode_request>)->Name("BM_RequestDecodeOnly_Cereal");
BENCHMARK(request_decode_only<old_encode_request, old_decode_request>)->Name("BM_RequestDecodeOnly_OldJson");

// The three codecs must agree on the content before their speed means anything.
void check_round_trips() {
  const RouteRequest request = typical_request();
  for (const RouteRequest& back :
       {msgpack_decode<RouteRequest>(msgpack_encode(request, FrameKind::kRequest, Method::kActorRoute), Method::kActorRoute),
        cereal_decode<RouteRequest>(cereal_encode(request, FrameKind::kRequest, Method::kActorRoute)),
        cereal_decode_stringstream<RouteRequest>(cereal_encode_stringstream(request)),
        old_decode_request(old_encode_request(request))}) {
    check(back.key.kind == request.key.kind && back.key.id == request.key.id, "request key round trip");
    check(back.budget_ns == request.budget_ns && back.payload == request.payload, "request round trip");
  }
  const CallReply reply = typical_reply();
  for (const CallReply& back :
       {msgpack_decode<CallReply>(msgpack_encode(reply, FrameKind::kReply, Method::kActorRoute), Method::kActorRoute),
        cereal_decode<CallReply>(cereal_encode(reply, FrameKind::kReply, Method::kActorRoute)),
        cereal_decode_stringstream<CallReply>(cereal_encode_stringstream(reply)), old_decode_reply(old_encode_reply(reply))}) {
    check(back.index() == 0 && std::get<ReplyOk>(back).response == std::get<ReplyOk>(reply).response,
          "reply round trip");
  }
}

BENCHMARK(BM_Request_MsgpackCxx);
BENCHMARK(BM_Request_Cereal);
BENCHMARK(BM_Request_CerealStringStream);
BENCHMARK(BM_Request_OldJson);
BENCHMARK(BM_Reply_MsgpackCxx);
BENCHMARK(BM_Reply_Cereal);
BENCHMARK(BM_Reply_CerealStringStream);
BENCHMARK(BM_Reply_OldJson);

}  // namespace
}  // namespace orbit::rpc

int main(int argc, char** argv) {
  orbit::rpc::check_round_trips();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
