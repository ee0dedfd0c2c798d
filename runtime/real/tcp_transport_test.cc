#include "runtime/real/tcp_transport.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/real/asio_executor.h"
#include "runtime/real/tcp_wire.h"

namespace orbit::real {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Every wait is bounded: a test that needs this long has failed, but never hangs.
constexpr Duration kLimit = 10s;

std::string text(const Bytes& bytes) { return orbit::to_string(ByteView(bytes)); }

// One node under test: its transport and everything its handlers observed.
struct Node {
  std::unique_ptr<TcpTransport> transport;
  std::vector<std::pair<env::NodeId, std::string>> received;
  std::vector<Bytes> received_raw;
  std::vector<env::NodeId> lost;
  std::vector<std::string> errors;
  std::vector<env::Executor*> handler_executors;

  TcpTransport& t() { return *transport; }
  bool received_text(env::NodeId from, const std::string& s) const {
    return std::find(received.begin(), received.end(), std::make_pair(from, s)) != received.end();
  }
  bool lost_peer(env::NodeId peer) const {
    return std::find(lost.begin(), lost.end(), peer) != lost.end();
  }
  bool logged_error(const std::string& needle) const {
    return std::any_of(errors.begin(), errors.end(),
                       [&](const std::string& e) { return e.find(needle) != std::string::npos; });
  }
};

// A socket that speaks raw bytes to a transport, as a broken or hostile peer would.
class RawClient {
 public:
  RawClient(asio::io_context& io, uint16_t port) : socket_(io), watched_(std::make_shared<Watched>()) {
    // Blocking connect and writes are fine on the executor's thread: the kernel completes
    // the handshake and buffers small writes without the transport running.
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    watch();
  }
  void write(const Bytes& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  bool closed_by_peer() const { return watched_->closed; }

 private:
  // Shared with the pending read: a client destroyed first leaves its aborted completion
  // (run later by the fixture's executor) something valid to write to.
  struct Watched {
    std::array<uint8_t, 64> sink{};
    bool closed = false;
  };
  void watch() {
    socket_.async_read_some(asio::buffer(watched_->sink),
                            [this, watched = watched_](const boost::system::error_code& ec, size_t) {
                              if (ec) {
                                watched->closed = true;
                              } else {
                                watch();  // no error: the socket (and so this client) is alive
                              }
                            });
  }
  tcp::socket socket_;
  std::shared_ptr<Watched> watched_;
};

class TcpTransportTest : public ::testing::Test {
 protected:
  ~TcpTransportTest() override {
    // Transports first, then drain their aborted completions, then the executor.
    nodes_.clear();
    ex_.run_for(50ms);
  }

  static TcpTransportOptions options_for(env::NodeId id) {
    TcpTransportOptions options;
    options.self = id;
    options.listen = HostPort{"127.0.0.1", 0};
    options.reconnect_backoff_min = 5ms;
    options.reconnect_backoff_max = 100ms;
    return options;
  }

  Node& start(env::NodeId id) { return start(options_for(id)); }

  Node& start(TcpTransportOptions options) {
    const env::NodeId id = options.self;
    Result<std::unique_ptr<TcpTransport>> opened =
        TcpTransport::open(ex_, std::move(options), env::Random::for_node(42, id));
    EXPECT_TRUE(opened.ok()) << to_string(opened.error());
    auto node = std::make_unique<Node>();
    node->transport = std::move(opened).value();
    Node* raw = node.get();
    raw->t().set_receive_handler([raw](env::NodeId from, Bytes frame) {
      raw->handler_executors.push_back(env::current_executor());
      raw->received.emplace_back(from, text(frame));
      raw->received_raw.push_back(std::move(frame));
    });
    raw->t().set_peer_lost_handler([raw](env::NodeId peer) {
      raw->handler_executors.push_back(env::current_executor());
      raw->lost.push_back(peer);
    });
    raw->t().set_log_handler([raw](TcpTransport::LogLevel level, std::string_view message) {
      if (level == TcpTransport::LogLevel::kError) raw->errors.emplace_back(message);
    });
    nodes_[id] = std::move(node);
    return *raw;
  }

  void stop(env::NodeId id) { nodes_.erase(id); }

  // Tells every node where every other node listens.
  void link_all() {
    PeerTable table;
    for (auto& [id, node] : nodes_) table[id] = node->t().local_address();
    for (auto& [id, node] : nodes_) node->t().set_peers(table);
  }

  bool run_until(const std::function<bool()>& done) { return ex_.run_until(done, kLimit); }

  // A loopback port with nothing listening on it (bound, read, released).
  uint16_t dead_port() {
    tcp::acceptor probe(ex_.io_context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return probe.local_endpoint().port();
  }

  AsioExecutor ex_;  // declared first: destroyed after the nodes
  std::map<env::NodeId, std::unique_ptr<Node>> nodes_;
};

TEST_F(TcpTransportTest, DeliversFramesWithTheSendersId) {
  Node& a = start(1);
  Node& b = start(2);
  Node& c = start(3);
  link_all();
  a.t().send(2, to_bytes("a1"));
  a.t().send(2, to_bytes("a2"));
  c.t().send(2, to_bytes("c1"));
  b.t().send(1, to_bytes("b1"));
  a.t().send(3, to_bytes("a-to-c"));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 3 && a.received.size() == 1 &&
                                     c.received.size() == 1; }));
  // Frames from one sender keep their order; the sender is named by its hello.
  std::vector<std::string> from_a;
  for (auto& [from, s] : b.received) {
    if (from == 1) from_a.push_back(s);
  }
  EXPECT_EQ(from_a, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_TRUE(b.received_text(3, "c1"));
  EXPECT_TRUE(a.received_text(2, "b1"));
  EXPECT_TRUE(c.received_text(1, "a-to-c"));
  EXPECT_EQ(a.t().stats().frames_sent, 3u);
  EXPECT_EQ(b.t().stats().frames_received, 3u);
  EXPECT_EQ(a.t().self(), 1u);
  for (env::Executor* e : b.handler_executors) EXPECT_EQ(e, &ex_);
}

// The drop filter (real-mode partitions): a blocked peer's frames are dropped both ways and
// counted; other peers and self-sends are untouched; clearing the set heals.
TEST_F(TcpTransportTest, BlockedPeersAreDroppedBothWaysUntilHealed) {
  Node& a = start(1);
  Node& b = start(2);
  Node& c = start(3);
  link_all();
  a.t().send(2, to_bytes("before"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "before"); }));

  a.t().set_blocked_peers({2, 1});  // self is ignored
  EXPECT_EQ(a.t().blocked_peers(), (std::set<env::NodeId>{2}));
  a.t().send(2, to_bytes("a-to-b blocked"));
  b.t().send(1, to_bytes("b-to-a blocked"));
  a.t().send(3, to_bytes("a-to-c open"));
  a.t().send(1, to_bytes("a-to-self"));
  ASSERT_TRUE(run_until([&] {
    return c.received_text(1, "a-to-c open") && a.received_text(1, "a-to-self") &&
           a.t().stats().frames_dropped_blocked_in == 1;
  }));
  ex_.run_for(50ms);
  EXPECT_FALSE(b.received_text(1, "a-to-b blocked"));
  EXPECT_FALSE(a.received_text(2, "b-to-a blocked"));
  EXPECT_EQ(a.t().stats().frames_dropped_blocked_out, 1u);
  EXPECT_EQ(a.t().stats().frames_dropped_blocked_in, 1u);
  EXPECT_TRUE(a.lost.empty());  // a partition is silent: nothing is reported lost

  a.t().set_blocked_peers({});
  a.t().send(2, to_bytes("healed a-to-b"));
  b.t().send(1, to_bytes("healed b-to-a"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "healed a-to-b") && a.received_text(2, "healed b-to-a"); }));
}

TEST_F(TcpTransportTest, EmptyFrameAndSelfSend) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  a.t().send(2, Bytes{});
  a.t().send(1, to_bytes("me"));
  ASSERT_TRUE(run_until([&] { return b.received.size() == 1 && a.received.size() == 1; }));
  EXPECT_TRUE(b.received_text(1, ""));
  EXPECT_TRUE(a.received_text(1, "me"));
}

TEST_F(TcpTransportTest, LargeFrameArrivesIntact) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  Bytes big(8 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 131 + (i >> 13));
  a.t().send(2, big);
  a.t().send(2, to_bytes("after"));
  ASSERT_TRUE(run_until([&] { return b.received_raw.size() == 2; }));
  EXPECT_TRUE(b.received_raw[0] == big);
  EXPECT_EQ(text(b.received_raw[1]), "after");
}

TEST_F(TcpTransportTest, OversizeFrameIsDroppedOnSend) {
  TcpTransportOptions small = options_for(1);
  small.max_frame_bytes = 1024;
  Node& a = start(small);
  Node& b = start(2);
  link_all();
  EXPECT_EQ(a.t().max_frame_bytes(), 1024u);
  a.t().send(2, Bytes(1025, 'x'));
  EXPECT_EQ(a.t().stats().frames_dropped_oversize, 1u);
  EXPECT_TRUE(a.logged_error("above max_frame_bytes"));
  a.t().send(2, Bytes(1024, 'y'));  // exactly the limit is fine
  ASSERT_TRUE(run_until([&] { return !b.received.empty(); }));
  ex_.run_for(20ms);
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].second, std::string(1024, 'y'));
}

TEST_F(TcpTransportTest, ReceiverClosesAConnectionWhoseLengthPrefixIsOverItsLimit) {
  TcpTransportOptions big = options_for(1);
  big.max_frame_bytes = 4096;
  TcpTransportOptions small = options_for(2);
  small.max_frame_bytes = 1024;
  Node& a = start(big);
  Node& b = start(small);
  link_all();
  a.t().send(2, Bytes(2000, 'z'));
  ASSERT_TRUE(run_until([&] { return b.t().stats().frames_rejected == 1 && a.lost_peer(2); }));
  EXPECT_TRUE(b.logged_error("exceeds max_frame_bytes 1024"));
  EXPECT_TRUE(b.received.empty());
  // Both keep working: the sender reconnects for its next frame.
  a.t().send(2, to_bytes("small"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "small"); }));
}

TEST_F(TcpTransportTest, GarbageLengthPrefixAfterAValidHelloDisconnectsOnlyThatConnection) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  RawClient raw(ex_.io_context(), b.t().local_port());
  raw.write(tcp_wire::encode_frame(tcp_wire::encode_hello(99)));
  const auto prefix = tcp_wire::encode_length(0xFFFFFFF0u);
  raw.write(Bytes(prefix.begin(), prefix.end()));
  ASSERT_TRUE(run_until([&] { return raw.closed_by_peer(); }));
  EXPECT_EQ(b.t().stats().frames_rejected, 1u);
  EXPECT_TRUE(b.logged_error("exceeds max_frame_bytes"));
  EXPECT_TRUE(b.logged_error("(node 99)"));
  ASSERT_TRUE(run_until([&] { return b.lost_peer(99); }));
  a.t().send(2, to_bytes("still here"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "still here"); }));
}

TEST_F(TcpTransportTest, MalformedHellosDisconnectAndAreCounted) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  Bytes bad_magic = tcp_wire::encode_hello(5);
  bad_magic[1] = '?';
  Bytes bad_version = tcp_wire::encode_hello(5);
  bad_version[4] = 0x7F;
  const auto huge = tcp_wire::encode_length(0x7FFFFFFFu);
  const std::vector<Bytes> attempts = {
      tcp_wire::encode_frame(bad_magic),
      tcp_wire::encode_frame(bad_version),
      Bytes(huge.begin(), huge.end()),             // a first frame far too large for a hello
      tcp_wire::encode_frame(to_bytes("hi")),      // a first frame too small for a hello
      to_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),  // not an Orbit peer at all
  };
  uint64_t expected = 0;
  for (const Bytes& attempt : attempts) {
    RawClient raw(ex_.io_context(), b.t().local_port());
    raw.write(attempt);
    ASSERT_TRUE(run_until([&] { return raw.closed_by_peer(); })) << "attempt " << expected;
    ++expected;
    EXPECT_EQ(b.t().stats().frames_rejected, expected);
  }
  EXPECT_TRUE(b.logged_error("malformed hello"));
  EXPECT_TRUE(b.lost.empty());  // nobody identified itself, so no peer is reported
  a.t().send(2, to_bytes("fine"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "fine"); }));
}

// Mixed versions: a node of the previous wire version is refused at its hello, by a message
// naming both versions; only its connection is closed, and a current peer on the same
// transport (connected before and after) is served as usual.
TEST_F(TcpTransportTest, APeerOfAnotherWireVersionIsRefusedAndOthersAreServed) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  a.t().send(2, to_bytes("before"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "before"); }));

  RawClient old_peer(ex_.io_context(), b.t().local_port());
  Bytes v1 = tcp_wire::encode_frame(tcp_wire::encode_hello_as_version(9, 1));
  const Bytes v1_frame = tcp_wire::encode_frame(to_bytes("old format"));
  v1.insert(v1.end(), v1_frame.begin(), v1_frame.end());
  old_peer.write(v1);
  ASSERT_TRUE(run_until([&] { return old_peer.closed_by_peer(); }));
  EXPECT_TRUE(b.logged_error("peer speaks wire version 1, this node speaks 2"));
  EXPECT_TRUE(b.logged_error("wire version mismatch"));
  EXPECT_EQ(b.t().stats().connections_wrong_version, 1u);
  EXPECT_EQ(b.t().stats().frames_rejected, 1u);
  EXPECT_FALSE(b.received_text(9, "old format"));  // nothing after a refused hello is read
  EXPECT_TRUE(b.lost.empty());  // it never identified itself as a node of this cluster

  // A future version with a longer hello is named too, not called malformed.
  RawClient new_peer(ex_.io_context(), b.t().local_port());
  Bytes v3 = tcp_wire::encode_hello_as_version(9, 3);
  v3.resize(20, 0);
  new_peer.write(tcp_wire::encode_frame(v3));
  ASSERT_TRUE(run_until([&] { return new_peer.closed_by_peer(); }));
  EXPECT_TRUE(b.logged_error("peer speaks wire version 3, this node speaks 2"));

  a.t().send(2, to_bytes("after"));
  RawClient current(ex_.io_context(), b.t().local_port());
  Bytes v2 = tcp_wire::encode_frame(tcp_wire::encode_hello(7));
  const Bytes v2_frame = tcp_wire::encode_frame(to_bytes("current format"));
  v2.insert(v2.end(), v2_frame.begin(), v2_frame.end());
  current.write(v2);
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "after") && b.received_text(7, "current format"); }));
  EXPECT_FALSE(current.closed_by_peer());
  EXPECT_EQ(b.t().stats().frames_rejected, 2u);
}

// A connection that ends inside a frame: the whole frames before it are delivered, the
// partial one is named in an error, only that connection is closed, and others carry on.
TEST_F(TcpTransportTest, TruncatedFramesAreNamedAndCloseOnlyTheirConnection) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  struct Case {
    std::string name;
    Bytes tail;  // what follows a valid hello and one whole frame
    std::string error;
  };
  const auto prefix = tcp_wire::encode_length(10);
  const std::vector<Case> cases = {
      {"inside the payload", Bytes{prefix[0], prefix[1], prefix[2], prefix[3], 'a', 'b', 'c'},
       "truncated frame: the connection ended after 3 of its 10 payload bytes"},
      {"inside the prefix", Bytes(prefix.begin(), prefix.begin() + 2),
       "truncated frame: the connection ended 2 bytes into a 4-byte length prefix"},
  };
  env::NodeId raw_id = 50;
  uint64_t truncated = 0;
  for (const Case& c : cases) {
    {
      RawClient raw(ex_.io_context(), b.t().local_port());
      Bytes bytes = tcp_wire::encode_frame(tcp_wire::encode_hello(raw_id));
      const Bytes whole = tcp_wire::encode_frame(to_bytes("whole " + c.name));
      bytes.insert(bytes.end(), whole.begin(), whole.end());
      bytes.insert(bytes.end(), c.tail.begin(), c.tail.end());
      raw.write(bytes);
      ASSERT_TRUE(run_until([&] { return b.received_text(raw_id, "whole " + c.name); })) << c.name;
    }  // the raw client's socket closes here, mid-frame
    ++truncated;
    ASSERT_TRUE(run_until([&] { return b.t().stats().frames_truncated == truncated; })) << c.name;
    EXPECT_TRUE(b.logged_error(c.error)) << c.name;
    EXPECT_TRUE(b.logged_error("(node " + std::to_string(raw_id) + ")") || b.logged_error("node " + std::to_string(raw_id) + " at"));
    ASSERT_TRUE(run_until([&] { return b.lost_peer(raw_id); })) << c.name;
    ++raw_id;
  }
  // A hello cut short is named as such.
  {
    RawClient raw(ex_.io_context(), b.t().local_port());
    const Bytes hello = tcp_wire::encode_frame(tcp_wire::encode_hello(70));
    raw.write(Bytes(hello.begin(), hello.begin() + 7));
    ex_.run_for(10ms);
  }
  ASSERT_TRUE(run_until([&] { return b.t().stats().frames_truncated == truncated + 1; }));
  EXPECT_TRUE(b.logged_error("truncated hello"));
  EXPECT_EQ(b.t().stats().frames_rejected, 0u);
  a.t().send(2, to_bytes("unaffected"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "unaffected"); }));
  EXPECT_FALSE(b.lost_peer(1));
}

// The read side cuts frames out of whatever a read returns: many frames in one segment,
// and one frame trickling in a byte at a time, arrive whole and in order.
TEST_F(TcpTransportTest, FramesAreCutFromWhateverTheReadsReturn) {
  Node& b = start(2);
  RawClient raw(ex_.io_context(), b.t().local_port());
  Bytes burst = tcp_wire::encode_frame(tcp_wire::encode_hello(5));
  for (int i = 0; i < 300; ++i) {
    const Bytes frame = tcp_wire::encode_frame(to_bytes("f" + std::to_string(i)));
    burst.insert(burst.end(), frame.begin(), frame.end());
  }
  raw.write(burst);
  ASSERT_TRUE(run_until([&] { return b.received.size() == 300; }));
  for (int i = 0; i < 300; ++i) ASSERT_EQ(b.received[i], std::make_pair(env::NodeId{5}, "f" + std::to_string(i)));

  // A frame larger than the read buffer, one byte per write with the loop running between.
  const std::string big(100 << 10, 'q');
  const Bytes slow = tcp_wire::encode_frame(to_bytes(big));
  for (size_t i = 0; i < 64; ++i) {
    raw.write(Bytes{slow[i]});
    ex_.run_for(std::chrono::microseconds(200));
  }
  raw.write(Bytes(slow.begin() + 64, slow.end()));
  const Bytes next = tcp_wire::encode_frame(to_bytes("next"));
  raw.write(next);
  ASSERT_TRUE(run_until([&] { return b.received.size() == 302; }));
  EXPECT_EQ(b.received[300].second, big);
  EXPECT_EQ(b.received[301].second, "next");
  EXPECT_EQ(b.t().stats().frames_rejected, 0u);
  EXPECT_EQ(b.t().stats().frames_truncated, 0u);
}

// Everything queued while a write is in flight goes out in the next gather write: a burst
// of small frames with large ones among them arrives complete and in order.
TEST_F(TcpTransportTest, QueuedFramesGoOutInOrderAcrossGatherWrites) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  std::vector<Bytes> sent;
  for (int i = 0; i < 2000; ++i) {
    Bytes frame = to_bytes("small " + std::to_string(i));
    if (i % 250 == 7) frame = Bytes(size_t{40} << 10, static_cast<uint8_t>(i));  // above the copy limit
    if (i % 500 == 9) frame = Bytes{};
    sent.push_back(frame);
    a.t().send(2, std::move(frame));
  }
  ASSERT_TRUE(run_until([&] { return b.received_raw.size() == sent.size(); }));
  for (size_t i = 0; i < sent.size(); ++i) ASSERT_TRUE(b.received_raw[i] == sent[i]) << "frame " << i;
  EXPECT_EQ(a.t().stats().frames_sent, sent.size());
  EXPECT_EQ(a.t().stats().frames_lost_in_flight, 0u);
}

// A connection that breaks while a write is in flight loses that write's frames (counted)
// and keeps the queued ones for the next connection.
TEST_F(TcpTransportTest, ABrokenConnectionLosesOnlyTheWriteInFlight) {
  Node& a = start(1);
  auto fake = std::make_unique<tcp::acceptor>(ex_.io_context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  a.t().set_peer(7, HostPort{"127.0.0.1", fake->local_endpoint().port()});
  tcp::socket accepted(ex_.io_context());
  bool got = false;
  fake->async_accept(accepted, [&](const boost::system::error_code& ec) { got = !ec; });
  // Two frames too large to fit in the socket buffers: the first is being written (alone:
  // it exceeds the batch bound) while the second waits in the queue.
  a.t().send(7, Bytes(size_t{8} << 20, 'x'));
  a.t().send(7, Bytes(size_t{8} << 20, 'y'));
  ASSERT_TRUE(run_until([&] { return got; }));
  ex_.run_for(20ms);  // the write starts and stalls: nobody reads
  EXPECT_EQ(a.t().queued_frames(7), 1u);
  fake.reset();  // reconnection attempts fail from now on
  accepted.close();
  ASSERT_TRUE(run_until([&] { return a.lost_peer(7); }));
  EXPECT_EQ(a.t().stats().frames_lost_in_flight, 1u);
  EXPECT_EQ(a.t().stats().frames_sent, 0u);
  EXPECT_EQ(a.t().queued_frames(7), 1u);
}

TEST_F(TcpTransportTest, ConnectionThatNeverSaysHelloIsClosed) {
  TcpTransportOptions options = options_for(2);
  options.hello_timeout = 50ms;
  Node& b = start(options);
  RawClient raw(ex_.io_context(), b.t().local_port());
  ASSERT_TRUE(run_until([&] { return raw.closed_by_peer(); }));
  EXPECT_EQ(b.t().stats().frames_rejected, 1u);
  EXPECT_TRUE(b.logged_error("no hello within 50 ms"));
}

TEST_F(TcpTransportTest, BytesOnAnOutgoingConnectionAreAProtocolViolation) {
  Node& a = start(1);
  tcp::acceptor fake(ex_.io_context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  a.t().set_peer(7, HostPort{"127.0.0.1", fake.local_endpoint().port()});
  tcp::socket accepted(ex_.io_context());
  bool got = false;
  fake.async_accept(accepted, [&](const boost::system::error_code& ec) { got = !ec; });
  a.t().send(7, to_bytes("x"));
  ASSERT_TRUE(run_until([&] { return got; }));
  asio::write(accepted, asio::buffer(std::string("unexpected")));
  ASSERT_TRUE(run_until([&] { return a.lost_peer(7); }));
  EXPECT_EQ(a.t().stats().frames_rejected, 1u);
  EXPECT_TRUE(a.logged_error("one-way connection"));
}

TEST_F(TcpTransportTest, PeerLossIsVisibleWhenAPeerStops) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  a.t().send(2, to_bytes("ping"));
  b.t().send(1, to_bytes("pong"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "ping") && a.received_text(2, "pong"); }));
  EXPECT_TRUE(a.lost.empty());
  stop(2);
  ASSERT_TRUE(run_until([&] { return a.lost_peer(2); }));
  EXPECT_GE(a.t().stats().connections_broken, 1u);
}

TEST_F(TcpTransportTest, UnreachablePeerIsReportedLost) {
  Node& a = start(1);
  a.t().set_peer(5, HostPort{"127.0.0.1", dead_port()});
  a.t().send(5, to_bytes("anyone?"));
  ASSERT_TRUE(run_until([&] { return a.lost_peer(5); }));
  EXPECT_GE(a.t().stats().connect_failures, 1u);
  // The frame stays queued for the retries.
  EXPECT_EQ(a.t().queued_frames(5), 1u);
}

TEST_F(TcpTransportTest, UnknownPeerIsDroppedAndReportedLost) {
  Node& a = start(1);
  a.t().send(8, to_bytes("who?"));
  EXPECT_EQ(a.t().stats().frames_dropped_unknown_peer, 1u);
  EXPECT_TRUE(a.lost.empty());  // reported through the executor, never inline
  ASSERT_TRUE(run_until([&] { return a.lost_peer(8); }));
}

TEST_F(TcpTransportTest, ReconnectsWithBackoffWhenThePeerRestartsOnItsPort) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  const uint16_t port = b.t().local_port();
  a.t().send(2, to_bytes("before"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "before"); }));
  stop(2);
  ASSERT_TRUE(run_until([&] { return a.lost_peer(2); }));
  a.t().send(2, to_bytes("during"));
  // Let a few connection attempts fail.
  ASSERT_TRUE(run_until([&] { return a.t().stats().connect_failures >= 2; }));
  TcpTransportOptions again = options_for(2);
  again.listen.port = port;
  Result<std::unique_ptr<TcpTransport>> probe =
      TcpTransport::open(ex_, again, env::Random::for_node(42, 2));
  if (!probe.ok()) GTEST_SKIP() << "port " << port << " was taken meanwhile: " << to_string(probe.error());
  probe.value().reset();
  Node& b2 = start(again);
  ASSERT_TRUE(run_until([&] { return b2.received_text(1, "during"); }));
  a.t().send(2, to_bytes("after"));
  ASSERT_TRUE(run_until([&] { return b2.received_text(1, "after"); }));
  EXPECT_EQ(b2.received.front().second, "during");
  EXPECT_EQ(a.t().stats().connections_established, 2u);
}

TEST_F(TcpTransportTest, ReconnectsToANewAddressFromTheUpdatedPeerTable) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  a.t().send(2, to_bytes("one"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "one"); }));
  stop(2);
  Node& b2 = start(2);  // restarted elsewhere
  a.t().set_peer(2, b2.t().local_address());
  a.t().send(2, to_bytes("two"));
  ASSERT_TRUE(run_until([&] { return b2.received_text(1, "two"); }));
}

TEST_F(TcpTransportTest, FullSendQueueDropsTheOldestFrames) {
  TcpTransportOptions options = options_for(1);
  options.send_queue_frames_max = 4;
  Node& a = start(options);
  a.t().set_peer(2, HostPort{"127.0.0.1", dead_port()});
  for (int i = 0; i < 10; ++i) a.t().send(2, to_bytes(std::to_string(i)));
  EXPECT_EQ(a.t().stats().frames_dropped_queue_full, 6u);
  EXPECT_EQ(a.t().queued_frames(2), 4u);
  Node& b = start(2);
  a.t().set_peer(2, b.t().local_address());
  ASSERT_TRUE(run_until([&] { return b.received.size() == 4; }));
  ex_.run_for(20ms);
  std::vector<std::string> got;
  for (auto& [from, s] : b.received) got.push_back(s);
  EXPECT_EQ(got, (std::vector<std::string>{"6", "7", "8", "9"}));
}

TEST_F(TcpTransportTest, RemovedPeerLosesItsQueue) {
  Node& a = start(1);
  a.t().set_peer(2, HostPort{"127.0.0.1", dead_port()});
  a.t().send(2, to_bytes("x"));
  a.t().send(2, to_bytes("y"));
  a.t().remove_peer(2);
  EXPECT_EQ(a.t().queued_frames(2), 0u);
  EXPECT_EQ(a.t().stats().frames_dropped_unknown_peer, 2u);
  ASSERT_TRUE(run_until([&] { return a.lost_peer(2); }));
}

TEST_F(TcpTransportTest, HostNamesAreResolved) {
  Node& a = start(1);
  Node& b = start(2);
  a.t().set_peer(2, HostPort{"localhost", b.t().local_port()});
  a.t().send(2, to_bytes("by name"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "by name"); }));
}

TEST_F(TcpTransportTest, FramesWithoutAReceiveHandlerAreCountedAndDropped) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  b.t().set_receive_handler(nullptr);
  a.t().send(2, to_bytes("nobody listens"));
  ASSERT_TRUE(run_until([&] { return b.t().stats().frames_dropped_no_handler == 1; }));
  EXPECT_TRUE(b.received.empty());
}

TEST_F(TcpTransportTest, CloseStopsEverythingAndIsIdempotent) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  a.t().send(2, to_bytes("x"));
  ASSERT_TRUE(run_until([&] { return b.received_text(1, "x"); }));
  b.t().close();
  b.t().close();
  EXPECT_TRUE(b.t().closed());
  b.t().send(1, to_bytes("after close"));
  EXPECT_EQ(b.t().stats().frames_dropped_closed, 1u);
  a.t().send(2, to_bytes("into the void"));
  ASSERT_TRUE(run_until([&] { return a.lost_peer(2); }));
  ex_.run_for(50ms);
  EXPECT_EQ(b.received.size(), 1u);  // no handler runs after close
  EXPECT_TRUE(b.lost.empty());
  EXPECT_TRUE(a.received.empty());
}

TEST_F(TcpTransportTest, HandlerMayCloseTheTransport) {
  Node& a = start(1);
  Node& b = start(2);
  link_all();
  b.t().set_receive_handler([&b](env::NodeId, Bytes) { b.t().close(); });
  a.t().send(2, to_bytes("first"));
  a.t().send(2, to_bytes("second"));
  ASSERT_TRUE(run_until([&] { return b.t().closed(); }));
  ex_.run_for(20ms);
  EXPECT_EQ(b.t().stats().frames_received, 1u);
}

TEST_F(TcpTransportTest, OpenRejectsBadOptionsAndBusyPorts) {
  Node& a = start(1);
  TcpTransportOptions busy = options_for(2);
  busy.listen.port = a.t().local_port();
  Result<std::unique_ptr<TcpTransport>> in_use = TcpTransport::open(ex_, busy, env::Random(1));
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.code(), ErrorCode::kIo);

  TcpTransportOptions bad_host = options_for(2);
  bad_host.listen.host = "not an address";
  EXPECT_EQ(TcpTransport::open(ex_, bad_host, env::Random(1)).code(), ErrorCode::kInvalidArgument);

  TcpTransportOptions bad_queue = options_for(2);
  bad_queue.send_queue_bytes_max = bad_queue.max_frame_bytes - 1;
  EXPECT_EQ(TcpTransport::open(ex_, bad_queue, env::Random(1)).code(), ErrorCode::kInvalidArgument);

  TcpTransportOptions bad_backoff = options_for(2);
  bad_backoff.reconnect_backoff_max = bad_backoff.reconnect_backoff_min / 2;
  EXPECT_EQ(TcpTransport::open(ex_, bad_backoff, env::Random(1)).code(), ErrorCode::kInvalidArgument);
}

// Outside the fixture: the executor goes away right after the transports, with reads,
// writes and timers still pending, and nothing runs in between.
TEST(TcpTransportTeardownTest, ExecutorMayBeDestroyedRightAfterTheTransports) {
  auto ex = std::make_unique<AsioExecutor>();
  auto open = [&](env::NodeId id) {
    TcpTransportOptions options;
    options.self = id;
    Result<std::unique_ptr<TcpTransport>> t = TcpTransport::open(*ex, options, env::Random(id));
    EXPECT_TRUE(t.ok());
    return std::move(t).value();
  };
  std::unique_ptr<TcpTransport> a = open(1);
  std::unique_ptr<TcpTransport> b = open(2);
  a->set_peer(2, b->local_address());
  b->set_peer(1, a->local_address());
  int received = 0;
  b->set_receive_handler([&received](env::NodeId, Bytes) { ++received; });
  a->send(2, to_bytes("one"));
  ASSERT_TRUE(ex->run_until([&] { return received == 1; }, kLimit));
  a->send(2, Bytes(1 << 20, 'x'));  // a write in progress
  b->send(1, to_bytes("connecting"));  // a connection attempt in progress
  a->set_peer(3, HostPort{"localhost", 1});  // a resolve in progress
  a->send(3, to_bytes("resolving"));
  a.reset();
  b.reset();
  ex.reset();
}

}  // namespace
}  // namespace orbit::real
