// RpcNode in the simulator: calls, replies, timeouts, peer loss, duplicates, restarts, and
// frames that are not what they claim to be. Malformed frames are injected as raw bytes
// through the sender's env::Transport (the simulated network delivers them whole, like the
// real transport's length-prefixed frames), so the receiving RpcNode sees exactly what a
// broken or hostile peer would send.
#include "runtime/rpc/rpc_node.h"

#include <gtest/gtest.h>

#include <optional>

#include "runtime/env/sleep.h"
#include "sim/world.h"

namespace orbit::rpc {
namespace {

using sim::NodeContext;
using sim::World;

// The test methods' messages.
struct EchoRequest {
  std::string text;
  int64_t n = 0;
  MSGPACK_DEFINE_ARRAY(text, n);
};
struct EchoReply {
  NodeId from = 0;
  EchoRequest body;
  MSGPACK_DEFINE_ARRAY(from, body);
};

Bytes echo_request(std::string text, int64_t n = 0) { return encode_message(EchoRequest{std::move(text), n}); }

// A node with an RpcNode serving test.echo, test.fail and test.slow (an echo after 10 s),
// handling test.notify, and a scope for test calls.
class RpcProcess final : public sim::NodeProcess {
 public:
  RpcProcess(NodeContext& ctx, size_t max_pending_calls) : env_(ctx.env()), rpc(env_, max_pending_calls) {
    rpc.serve(Method::kTestEcho, [](NodeId from, ByteView body) -> Task<Result<Bytes>> { return echo(from, body); });
    rpc.serve(Method::kTestFail, [](NodeId, ByteView) -> Task<Result<Bytes>> { return fail(); });
    rpc.serve(Method::kTestSlow, [this](NodeId from, ByteView body) -> Task<Result<Bytes>> { return slow(from, body); });
    rpc.on_notify(Method::kTestNotify, [this](NodeId from, ByteView body) {
      Result<int64_t> n = wire::decode<int64_t>(body, method_name(Method::kTestNotify));
      notes.push_back(n.ok() ? *n + 1000 * from : -1);
    });
  }
  ~RpcProcess() override {
    scope.cancel_all();
    rpc.shutdown();
  }

  static Task<Result<Bytes>> echo(NodeId from, ByteView body) {
    Result<EchoRequest> request = wire::decode<EchoRequest>(body, method_name(Method::kTestEcho));
    if (!request.ok()) co_return request.error();
    co_return encode_message(EchoReply{from, std::move(*request)});
  }
  static Task<Result<Bytes>> fail() { co_return Error{ErrorCode::kConflict, "lost the race"}; }
  Task<Result<Bytes>> slow(NodeId from, ByteView body) {
    co_await sleep(env_.executor, 10s);
    co_return co_await echo(from, body);
  }

  env::Env env_;
  RpcNode rpc;
  std::vector<int64_t> notes;
  TaskScope scope;
};

using Outcome = std::shared_ptr<std::optional<Result<Bytes>>>;

struct Cluster {
  std::unique_ptr<World> world;
  std::vector<RpcProcess*> procs;

  explicit Cluster(uint32_t n, uint64_t seed = 1, size_t max_pending_calls = 100000) {
    sim::WorldConfig config;
    config.nodes = n;
    world = std::move(*World::create(seed, config));
    procs.resize(n);
    world->set_boot([this, max_pending_calls](NodeContext& ctx) -> std::unique_ptr<sim::NodeProcess> {
      auto p = std::make_unique<RpcProcess>(ctx, max_pending_calls);
      procs[ctx.id()] = p.get();
      return p;
    });
    world->start();
    world->run_for(1ms);
  }

  const RpcStats& stats(NodeId node) const { return procs[node]->rpc.stats(); }

  // Starts a call from node `from` now; the outcome appears when it completes.
  Outcome start_call(NodeId from, NodeId to, Method method, Bytes request, Duration timeout = 1s) {
    auto out = std::make_shared<std::optional<Result<Bytes>>>();
    world->at(world->now_ns(), [this, from, to, method, request = std::move(request), timeout, out]() mutable {
      procs[from]->scope.spawn([](RpcNode& rpc, NodeId t, Method m, Bytes b, Duration d, Outcome o) -> Task<void> {
        o->emplace(co_await rpc.call(t, m, std::move(b), d));
      }(procs[from]->rpc, to, method, std::move(request), timeout, out));
    });
    return out;
  }

  // Calls from node `from` and runs the world until the call completes (or `limit`).
  std::optional<Result<Bytes>> call(NodeId from, NodeId to, Method method, Bytes request, Duration timeout = 1s,
                                    Duration limit = 30s) {
    Outcome out = start_call(from, to, method, std::move(request), timeout);
    const int64_t end = world->now_ns() + limit.count();
    while (!out->has_value() && world->now_ns() < end) world->run_for(1ms);
    return *out;
  }

  // An echo call whose reply is decoded; nullopt when the call did not complete.
  std::optional<Result<EchoReply>> echo(NodeId from, NodeId to, std::string text, int64_t n = 0) {
    std::optional<Result<Bytes>> r = call(from, to, Method::kTestEcho, echo_request(std::move(text), n));
    if (!r.has_value()) return std::nullopt;
    return decode_reply<EchoReply>(*r, Method::kTestEcho);
  }

  // Hands `bytes` to node `from`'s transport for `to`, bypassing its RpcNode.
  void inject(NodeId from, NodeId to, Bytes bytes) {
    world->at(world->now_ns(), [this, from, to, bytes = std::move(bytes)]() mutable {
      procs[from]->env_.transport.send(to, std::move(bytes));
    });
  }
};

// Every echo from every other node to `to` succeeds and comes back intact.
void expect_serving(Cluster& c, NodeId to, const std::string& when) {
  for (NodeId from = 0; from < c.procs.size(); ++from) {
    auto r = c.echo(from, to, "still there", 42);
    ASSERT_TRUE(r.has_value()) << when << ": call from " << from << " did not complete";
    ASSERT_TRUE(r->ok()) << when << ": call from " << from << ": " << to_string(r->error());
    EXPECT_EQ((*r)->from, from);
    EXPECT_EQ((*r)->body.text, "still there");
    EXPECT_EQ((*r)->body.n, 42);
  }
}

TEST(RpcNodeTest, CallGetsTheReply) {
  Cluster c(3);
  auto r = c.echo(0, 2, "x", 1);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << to_string(r->error());
  EXPECT_EQ((*r)->from, 0u);
  EXPECT_EQ((*r)->body.text, "x");
  EXPECT_EQ((*r)->body.n, 1);
  EXPECT_EQ(c.stats(0).calls, 1u);
  EXPECT_EQ(c.stats(2).served, 1u);
  EXPECT_EQ(c.stats(0).replies, 1u);
}

TEST(RpcNodeTest, CallToSelfRunsLocally) {
  Cluster c(2);
  auto r = c.echo(1, 1, "me");
  ASSERT_TRUE(r.has_value() && r->ok());
  EXPECT_EQ((*r)->from, 1u);
  EXPECT_EQ((*r)->body.text, "me");
  EXPECT_EQ(c.stats(0).served, 0u);
  EXPECT_EQ(c.world->network_stats().delivered, 0u) << "a call to self never touches the network";
}

TEST(RpcNodeTest, CallToSelfGetsHandlerErrorsToo) {
  Cluster c(2);
  auto r = c.call(1, 1, Method::kTestFail, encode_message(Empty{}));
  ASSERT_TRUE(r.has_value() && !r->ok());
  EXPECT_EQ(r->code(), ErrorCode::kConflict);
  EXPECT_EQ(r->error().message, "lost the race");
}

TEST(RpcNodeTest, HandlerErrorsTravelByCode) {
  Cluster c(2);
  auto r = c.call(0, 1, Method::kTestFail, encode_message(Empty{}));
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->code(), ErrorCode::kConflict);
  EXPECT_EQ(r->error().message, "lost the race");
}

TEST(RpcNodeTest, UnknownMethodIsAnErrorNamingTheNumber) {
  Cluster c(2);
  // A number the enum does not name, one past the handler table, and a named method this
  // node does not serve (test.notify is one-way only).
  auto unnamed = c.call(0, 1, static_cast<Method>(59), encode_message(Empty{}));
  ASSERT_TRUE(unnamed.has_value() && !unnamed->ok());
  EXPECT_EQ(unnamed->code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(unnamed->error().message, "unknown method 59");

  auto huge = c.call(0, 1, static_cast<Method>(4000), encode_message(Empty{}));
  ASSERT_TRUE(huge.has_value() && !huge->ok());
  EXPECT_EQ(huge->code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(huge->error().message, "unknown method 4000");

  auto unserved = c.call(0, 1, Method::kTestNotify, encode_message(Empty{}));
  ASSERT_TRUE(unserved.has_value() && !unserved->ok());
  EXPECT_EQ(unserved->code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(unserved->error().message, "unknown method 63 (test.notify)");

  EXPECT_EQ(c.stats(1).unknown_methods, 3u);
  EXPECT_EQ(c.stats(1).malformed_frames, 0u) << "an unknown method is answered, not dropped";
  expect_serving(c, 1, "after unknown methods");
}

TEST(RpcNodeTest, ABodyThatIsNotTheMessageIsTheHandlersErrorNamingTheMethod) {
  Cluster c(3);
  // A string where test.echo expects an EchoRequest.
  auto wrong_type = c.call(0, 1, Method::kTestEcho, encode_message(std::string("hello")));
  ASSERT_TRUE(wrong_type.has_value() && !wrong_type->ok());
  EXPECT_EQ(wrong_type->code(), ErrorCode::kCorrupt);
  EXPECT_NE(wrong_type->error().message.find("test.echo"), std::string::npos) << wrong_type->error().message;
  EXPECT_NE(wrong_type->error().message.find("unexpected shape"), std::string::npos) << wrong_type->error().message;

  // A header and no body at all.
  Bytes header_only(kHeaderBytes);
  auto empty = c.call(0, 1, Method::kTestEcho, header_only);
  ASSERT_TRUE(empty.has_value() && !empty->ok());
  EXPECT_EQ(empty->code(), ErrorCode::kCorrupt);
  EXPECT_EQ(empty->error().message, "test.echo: truncated (0 bytes)");

  // A body cut short.
  Bytes cut = echo_request("a string long enough to cut", 7);
  cut.resize(cut.size() - 4);
  auto truncated = c.call(0, 1, Method::kTestEcho, cut);
  ASSERT_TRUE(truncated.has_value() && !truncated->ok());
  EXPECT_EQ(truncated->code(), ErrorCode::kCorrupt);
  EXPECT_NE(truncated->error().message.find("test.echo: truncated"), std::string::npos) << truncated->error().message;

  // A whole message followed by garbage.
  Bytes trailing = echo_request("x", 1);
  trailing.push_back(0xc0);
  auto extra = c.call(0, 1, Method::kTestEcho, trailing);
  ASSERT_TRUE(extra.has_value() && !extra->ok());
  EXPECT_EQ(extra->code(), ErrorCode::kCorrupt);
  EXPECT_EQ(extra->error().message, "test.echo: 1 trailing bytes after the message");

  EXPECT_EQ(c.stats(1).served, 4u) << "the frames were well formed: their bodies were the handler's to judge";
  EXPECT_EQ(c.stats(1).malformed_frames, 0u);
  expect_serving(c, 1, "after bad bodies");
}

TEST(RpcNodeTest, AReplyBodyThatIsNotTheMessageIsNamedByDecodeReply) {
  Cluster c(2);
  auto r = c.call(0, 1, Method::kTestEcho, echo_request("x"));
  ASSERT_TRUE(r.has_value() && r->ok());
  Result<std::string> wrong = decode_reply<std::string>(*r, Method::kTestEcho);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.code(), ErrorCode::kCorrupt);
  EXPECT_NE(wrong.error().message.find("test.echo: unexpected shape"), std::string::npos) << wrong.error().message;
  // An error travels through decode_reply untouched.
  Result<EchoReply> failed = decode_reply<EchoReply>(Result<Bytes>(Error{ErrorCode::kTimeout, "timed out"}), Method::kTestEcho);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), (Error{ErrorCode::kTimeout, "timed out"}));
}

TEST(RpcNodeTest, PartitionedCallTimesOut) {
  Cluster c(2);
  ASSERT_TRUE(c.world->partition({0}, {1}).ok());
  const int64_t start = c.world->now_ns();
  auto r = c.call(0, 1, Method::kTestEcho, echo_request("x"), 500ms);
  ASSERT_TRUE(r.has_value() && !r->ok());
  EXPECT_EQ(r->code(), ErrorCode::kTimeout);
  EXPECT_GE(c.world->now_ns() - start, 500'000'000);
  EXPECT_EQ(c.stats(0).timeouts, 1u);
}

TEST(RpcNodeTest, AReplyAfterTheTimeoutIsCountedLateAndDropped) {
  Cluster c(2);
  // test.slow answers after 10 s; the caller gives up after 1 s.
  auto r = c.call(0, 1, Method::kTestSlow, echo_request("late"), 1s);
  ASSERT_TRUE(r.has_value() && !r->ok());
  EXPECT_EQ(r->code(), ErrorCode::kTimeout);
  c.world->run_for(10s);
  EXPECT_EQ(c.stats(0).replies, 1u);
  EXPECT_EQ(c.stats(0).late_replies, 1u);
  EXPECT_EQ(c.stats(0).foreign_replies, 0u);
  expect_serving(c, 1, "after a late reply");
}

// Deadlines share one timer: after a pause, the timer due for an earlier call must not time
// out a later call whose reply arrived (during the pause) before that later call's deadline;
// with a timer per call the reply would have won.
TEST(RpcNodeTest, AfterAPauseAReplyThatArrivedBeforeItsDeadlineStillWins) {
  Cluster c(3);
  sim::LinkConfig slow;
  slow.latency_min = slow.latency_max = 300ms;
  ASSERT_TRUE(c.world->set_link(1, 0, slow).ok());
  // X: never answered in time (deadline +100 ms). Y: answered, arriving at about +300 ms
  // (deadline +1 s). Node 0 sleeps through both deadlines.
  Outcome x = c.start_call(0, 2, Method::kTestSlow, echo_request("x"), 100ms);
  Outcome y = c.start_call(0, 1, Method::kTestEcho, echo_request("y"), 1s);
  c.world->run_for(50ms);
  ASSERT_TRUE(c.world->pause(0).ok());
  c.world->run_for(2s);
  ASSERT_TRUE(c.world->resume(0).ok());
  c.world->run_for(10ms);
  ASSERT_TRUE(x->has_value() && y->has_value());
  EXPECT_EQ((*x)->code(), ErrorCode::kTimeout);
  ASSERT_TRUE((*y)->ok()) << to_string((*y)->error());
  EXPECT_EQ(c.stats(0).timeouts, 1u);
}

TEST(RpcNodeTest, PeerLossFailsPendingCallsWithUnavailable) {
  Cluster c(2);
  Outcome out = c.start_call(0, 1, Method::kTestSlow, echo_request("x"), 60s);
  c.world->run_for(100ms);
  ASSERT_TRUE(c.world->crash(1).ok());
  c.world->run_for(100ms);
  ASSERT_TRUE(out->has_value());
  EXPECT_EQ((*out)->code(), ErrorCode::kUnavailable);
  EXPECT_EQ(c.stats(0).peer_lost_failures, 1u);
}

TEST(RpcNodeTest, DuplicatedRequestsRunOnceAndDuplicatedRepliesAreIgnored) {
  Cluster c(2);
  sim::LinkConfig dup;
  dup.duplicate_probability = 1.0;
  ASSERT_TRUE(c.world->set_all_links(dup).ok());
  auto r = c.echo(0, 1, "seven", 7);
  ASSERT_TRUE(r.has_value() && r->ok());
  EXPECT_EQ((*r)->body.n, 7);
  c.world->run_for(1s);
  EXPECT_EQ(c.stats(1).served, 1u) << "the request arrived twice but ran once";
  EXPECT_EQ(c.stats(1).duplicate_requests, 1u);
  EXPECT_EQ(c.stats(0).late_replies, 1u) << "the duplicated reply found no pending call";
}

// Old-style garbage (random bytes, version-1 MessagePack maps, a bare array) is counted
// and dropped, and the node keeps serving.
TEST(RpcNodeTest, GarbageFramesAreCountedAndDropped) {
  Cluster c(2);
  c.inject(0, 1, to_bytes("\xff\x00garbage"));
  Bytes map;
  {
    wire::ByteSink sink(map);
    msgpack::packer<wire::ByteSink> p(sink);
    p.pack_map(2);
    p.pack(std::string("k"));
    p.pack(0);
    p.pack(std::string("m"));
    p.pack(5);
  }
  c.inject(0, 1, map);
  c.inject(0, 1, wire::encode(std::vector<int>{1, 2}));
  c.world->run_for(1s);
  EXPECT_EQ(c.stats(1).malformed_frames, 3u);
  expect_serving(c, 1, "after garbage");
}

TEST(RpcNodeTest, NotificationsArriveOneWay) {
  Cluster c(3);
  c.world->at(c.world->now_ns(), [&c] {
    c.procs[2]->rpc.notify(0, Method::kTestNotify, encode_message(int64_t{5}));
    c.procs[2]->rpc.notify(2, Method::kTestNotify, encode_message(int64_t{6}));
  });
  c.world->run_for(1s);
  EXPECT_EQ(c.procs[0]->notes, (std::vector<int64_t>{2005}));
  EXPECT_EQ(c.procs[2]->notes, (std::vector<int64_t>{2006}));
  EXPECT_EQ(c.stats(0).notifications, 1u);
}

TEST(RpcNodeTest, ANotificationForAnUnhandledMethodIsCountedAndDropped) {
  Cluster c(2);
  c.world->at(c.world->now_ns(), [&c] {
    c.procs[0]->rpc.notify(1, Method::kTestEcho, encode_message(int64_t{5}));  // served, not a notification
    c.procs[0]->rpc.notify(1, static_cast<Method>(4000), encode_message(int64_t{5}));
  });
  c.world->run_for(1s);
  EXPECT_EQ(c.stats(1).unknown_methods, 2u);
  EXPECT_EQ(c.stats(1).served, 0u);
  EXPECT_TRUE(c.procs[1]->notes.empty());
  expect_serving(c, 1, "after unhandled notifications");
}

TEST(RpcNodeTest, CrashOfTheCallerMidCallIsClean) {
  Cluster c(2);
  (void)c.start_call(0, 1, Method::kTestSlow, echo_request("x"), 60s);
  c.world->run_for(100ms);
  ASSERT_TRUE(c.world->crash(0).ok());  // ASan checks the teardown
  c.world->run_for(20s);
  ASSERT_TRUE(c.world->restart(0).ok());
  c.world->run_for(10ms);
  auto r = c.echo(0, 1, "again");
  EXPECT_TRUE(r.has_value() && r->ok());
}

TEST(RpcNodeTest, ShutdownFailsPendingCallsAndRefusesNewOnes) {
  Cluster c(2);
  Outcome pending = c.start_call(0, 1, Method::kTestSlow, echo_request("x"), 60s);
  c.world->run_for(100ms);
  ASSERT_FALSE(pending->has_value());
  c.world->at(c.world->now_ns(), [&c] { c.procs[0]->rpc.shutdown(); });
  c.world->run_for(1ms);
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ((*pending)->code(), ErrorCode::kCancelled);
  auto after = c.call(0, 1, Method::kTestEcho, echo_request("x"));
  ASSERT_TRUE(after.has_value() && !after->ok());
  EXPECT_EQ(after->code(), ErrorCode::kCancelled);
  // A shut-down node serves nothing: a call to it times out.
  auto to_it = c.call(1, 0, Method::kTestEcho, echo_request("x"), 500ms);
  ASSERT_TRUE(to_it.has_value() && !to_it->ok());
  EXPECT_EQ(to_it->code(), ErrorCode::kTimeout);
}

TEST(RpcNodeTest, TooManyPendingCallsFailFast) {
  Cluster c(2, /*seed=*/1, /*max_pending_calls=*/2);
  std::vector<Outcome> outs;
  for (int i = 0; i < 3; ++i) outs.push_back(c.start_call(0, 1, Method::kTestSlow, echo_request("x", i), 60s));
  c.world->run_for(1ms);
  ASSERT_TRUE(outs[2]->has_value()) << "the third call fails at once";
  EXPECT_EQ((*outs[2])->code(), ErrorCode::kUnavailable);
  EXPECT_EQ((*outs[2])->error().message, "too many pending calls (2)");
  EXPECT_FALSE(outs[0]->has_value());
  EXPECT_FALSE(outs[1]->has_value());
  // The slots come back when the calls end.
  c.world->run_for(11s);
  ASSERT_TRUE(outs[0]->has_value() && (*outs[0])->ok());
  ASSERT_TRUE(outs[1]->has_value() && (*outs[1])->ok());
  auto r = c.echo(0, 1, "room again");
  ASSERT_TRUE(r.has_value() && r->ok());
}

}  // namespace
}  // namespace orbit::rpc

namespace orbit::rpc {
namespace {

TEST(RpcNodeTest, ARestartedCallersRequestsAreNotMistakenForDuplicates) {
  Cluster c(2);
  ASSERT_TRUE(c.echo(0, 1, "one", 1).value().ok());
  ASSERT_TRUE(c.world->crash(0).ok());
  ASSERT_TRUE(c.world->restart(0).ok());
  c.world->run_for(10ms);
  // The first call id again, from a new session: it must run.
  auto r = c.echo(0, 1, "two", 2);
  ASSERT_TRUE(r.has_value() && r->ok());
  EXPECT_EQ((*r)->body.n, 2);
  EXPECT_EQ(c.stats(1).duplicate_requests, 0u);
}

// Found by the campaign (counter seed 608): a server stalled past the caller's restart
// answered the previous boot's call id 1, and the reply was taken by the new boot's call
// id 1, so a read of one actor returned another's value.
TEST(RpcNodeTest, AReplyToThePreviousBootsCallIsNotTakenByTheNewBoot) {
  Cluster c(2);
  (void)c.start_call(0, 1, Method::kTestSlow, echo_request("old"), 60s);
  c.world->run_for(100ms);
  ASSERT_TRUE(c.world->crash(0).ok());
  ASSERT_TRUE(c.world->restart(0).ok());
  c.world->run_for(100ms);
  // The new boot's first call has the same id; the old reply arrives while it is pending.
  auto r = c.call(0, 1, Method::kTestSlow, echo_request("new"), 60s);
  ASSERT_TRUE(r.has_value() && r->ok());
  Result<EchoReply> reply = decode_reply<EchoReply>(*r, Method::kTestSlow);
  ASSERT_TRUE(reply.ok()) << to_string(reply.error());
  EXPECT_EQ(reply->body.text, "new");
  EXPECT_EQ(c.stats(0).foreign_replies, 1u);
}

// --- Malformed frames (issue 13): each is rejected with an error naming the problem,
// counted, and costs nothing else: calls from every node, the offender included, keep
// working, and a call in flight from the offender is answered.

// A well-formed frame as the RpcNode would write it, for hand-made variations.
Bytes raw_frame(FrameKind kind, Method method, uint8_t status, uint64_t session, uint64_t call_id, Bytes body) {
  write_header(body, FrameHeader{kind, method, status, session, call_id});
  return body;
}

// A request for test.echo as another boot of node 0 would send it (call id sequence 1).
Bytes good_request() { return raw_frame(FrameKind::kRequest, Method::kTestEcho, 0, 77, uint64_t{1} << 32, echo_request("raw")); }

// A version-1 request as the JSON-tree RpcNode wrote it: {"k":0,"i":1,"s":5,"m":"echo","b":{"x":1}}.
Bytes version1_request() {
  Bytes out;
  wire::ByteSink sink(out);
  msgpack::packer<wire::ByteSink> p(sink);
  p.pack_map(5);
  p.pack(std::string("k"));
  p.pack(0);
  p.pack(std::string("i"));
  p.pack(1);
  p.pack(std::string("s"));
  p.pack(5);
  p.pack(std::string("m"));
  p.pack(std::string("echo"));
  p.pack(std::string("b"));
  p.pack_map(1);
  p.pack(std::string("x"));
  p.pack(1);
  return out;
}

struct BadFrame {
  std::string what;
  Bytes bytes;
  std::string problem;  // the error read_header names
};

std::vector<BadFrame> bad_frames() {
  std::vector<BadFrame> out;
  out.push_back({"empty", Bytes{}, "truncated frame: 0 bytes, the header alone has 24"});
  Bytes short_header = good_request();
  short_header.resize(23);
  out.push_back({"truncated header", short_header, "truncated frame: 23 bytes, the header alone has 24"});
  Bytes v1_header = good_request();
  v1_header[0] = 1;
  out.push_back({"version 1 header", v1_header, "frame of wire version 1, this node speaks version 2"});
  out.push_back({"version 1 map", version1_request(), "frame of wire version 1 (a MessagePack map), this node speaks version 2"});
  Bytes v3 = good_request();
  v3[0] = 3;
  out.push_back({"version 3", v3, "frame of wire version 3, this node speaks version 2"});
  Bytes kind = good_request();
  kind[1] = 3;
  out.push_back({"unknown kind", kind, "unknown frame kind 3"});
  for (size_t at : {5, 6, 7}) {
    Bytes reserved = good_request();
    reserved[at] = 0x40;
    out.push_back({"reserved byte " + std::to_string(at), reserved, "reserved header bytes are not zero"});
  }
  const auto bad_status = static_cast<uint8_t>(2 + static_cast<int>(kLastErrorCode));
  out.push_back({"unknown reply status",
                 raw_frame(FrameKind::kReply, Method::kTestEcho, bad_status, 77, uint64_t{1} << 32, encode_message(std::string("x"))),
                 "unknown reply status " + std::to_string(bad_status)});
  return out;
}

TEST(RpcNodeMalformedTest, AHandMadeGoodFrameIsServed) {
  // The control: the frames below differ from this one only in the byte under test.
  Cluster c(2);
  c.inject(0, 1, good_request());
  c.world->run_for(100ms);
  EXPECT_EQ(c.stats(1).served, 1u);
  EXPECT_EQ(c.stats(1).malformed_frames, 0u);
  EXPECT_EQ(c.stats(0).foreign_replies, 1u) << "the reply went to node 0, whose session is not 77";
}

TEST(RpcNodeMalformedTest, EachMalformedFrameIsRejectedNamingItsProblem) {
  for (BadFrame& bad : bad_frames()) {
    SCOPED_TRACE(bad.what);
    Cluster c(3);
    // A call from the offender is in flight when its bad frame arrives.
    Outcome in_flight = c.start_call(0, 1, Method::kTestSlow, echo_request("in flight", 9), 60s);
    c.world->run_for(10ms);
    c.inject(0, 1, bad.bytes);
    c.world->run_for(10ms);
    EXPECT_EQ(c.stats(1).malformed_frames, 1u);
    EXPECT_EQ(c.stats(1).served, 1u) << "only the call in flight";
    EXPECT_EQ(c.procs[1]->rpc.last_malformed_frame(), "frame from node 0 dropped: " + bad.problem);
    expect_serving(c, 1, bad.what);
    c.world->run_for(10s);
    ASSERT_TRUE(in_flight->has_value());
    Result<EchoReply> reply = decode_reply<EchoReply>(**in_flight, Method::kTestSlow);
    ASSERT_TRUE(reply.ok()) << to_string(reply.error());
    EXPECT_EQ(reply->body.text, "in flight");
    EXPECT_EQ(c.stats(1).malformed_frames, 1u);
  }
}

TEST(RpcNodeMalformedTest, MalformedFramesBetweenGoodOnesLoseNothing) {
  Cluster c(3);
  std::vector<Outcome> outs;
  // Bad and good frames from the same sender at the same instant, interleaved.
  for (int i = 0; i < 8; ++i) {
    for (BadFrame& bad : bad_frames()) c.inject(0, 1, std::move(bad.bytes));
    outs.push_back(c.start_call(0, 1, Method::kTestEcho, echo_request("from 0", i)));
    outs.push_back(c.start_call(2, 1, Method::kTestEcho, echo_request("from 2", i)));
  }
  c.world->run_for(1s);
  for (size_t i = 0; i < outs.size(); ++i) {
    ASSERT_TRUE(outs[i]->has_value()) << i;
    Result<EchoReply> reply = decode_reply<EchoReply>(**outs[i], Method::kTestEcho);
    ASSERT_TRUE(reply.ok()) << i << ": " << to_string(reply.error());
    EXPECT_EQ(reply->body.n, static_cast<int64_t>(i / 2));
  }
  EXPECT_EQ(c.stats(1).malformed_frames, 8 * bad_frames().size());
  EXPECT_EQ(c.stats(1).served, outs.size());
}

TEST(RpcNodeMalformedTest, AMalformedReplyIsDroppedAndTheCallTimesOut) {
  // A reply whose header is broken cannot be matched to a call: it is dropped, and the
  // caller learns nothing from it (its call times out, as for a lost reply).
  Cluster c(2);
  Outcome out = c.start_call(0, 1, Method::kTestSlow, echo_request("x"), 2s);
  c.world->run_for(10ms);
  Bytes reply = raw_frame(FrameKind::kReply, Method::kTestSlow, 0, 0, 0, encode_message(EchoReply{}));
  reply[5] = 1;
  c.inject(1, 0, reply);
  c.world->run_for(3s);
  ASSERT_TRUE(out->has_value());
  EXPECT_EQ((*out)->code(), ErrorCode::kTimeout);
  EXPECT_EQ(c.stats(0).malformed_frames, 1u);
  EXPECT_EQ(c.procs[0]->rpc.last_malformed_frame(), "frame from node 1 dropped: reserved header bytes are not zero");
}

TEST(RpcNodeMalformedTest, AnErrorReplyWhoseMessageDoesNotDecodeStillFailsTheCall) {
  // Node 1 answers node 0's call by hand with status kConflict and a body that is not a
  // string: the caller gets the code, and a message naming the problem.
  uint64_t session = 0;
  uint64_t call_id = 0;
  Cluster c(2);
  // Learn the caller's session and call id from the request node 1 receives.
  c.world->at(c.world->now_ns(), [&c, &session, &call_id] {
    c.procs[1]->env_.transport.set_receive_handler([&session, &call_id](NodeId, Bytes frame) {
      Result<FrameHeader> h = read_header(frame);
      if (h.ok()) {
        session = h->session;
        call_id = h->call_id;
      }
    });
  });
  Outcome out = c.start_call(0, 1, Method::kTestEcho, echo_request("x"), 5s);
  c.world->run_for(10ms);
  ASSERT_NE(call_id, 0u);
  const auto conflict = static_cast<uint8_t>(1 + static_cast<uint8_t>(ErrorCode::kConflict));
  c.inject(1, 0, raw_frame(FrameKind::kReply, Method::kTestEcho, conflict, session, call_id, encode_message(int64_t{5})));
  c.world->run_for(10ms);
  ASSERT_TRUE(out->has_value());
  ASSERT_FALSE((*out)->ok());
  EXPECT_EQ((*out)->code(), ErrorCode::kConflict);
  EXPECT_NE((*out)->error().message.find("error reply"), std::string::npos) << (*out)->error().message;
}

TEST(RpcNodeMalformedTest, AnOversizeFrameIsDroppedBySendAndNothingElseIsLost) {
  // The transport refuses a frame above its limit (the simulated network records it as
  // FrameOversize; the TCP transport drops it in send() and closes a connection whose
  // length prefix announces one): the call times out, later calls work.
  Cluster c(3);
  const size_t limit = c.procs[0]->env_.transport.max_frame_bytes();
  auto big = c.call(0, 1, Method::kTestEcho, echo_request(std::string(limit, 'x')), 500ms);
  ASSERT_TRUE(big.has_value() && !big->ok());
  EXPECT_EQ(big->code(), ErrorCode::kTimeout);
  EXPECT_EQ(c.world->network_stats().oversize, 1u);
  EXPECT_EQ(c.stats(1).served, 0u);
  expect_serving(c, 1, "after an oversize frame");
}

}  // namespace
}  // namespace orbit::rpc
