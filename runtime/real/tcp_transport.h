// TcpTransport: the real env::Transport, length-prefixed frames over TCP (see tcp_wire.h)
// on an AsioExecutor's io_context.
//
// Shape: each node listens on one port. To send to a peer it opens one outgoing
// connection, lazily on the first send, and writes frames on it in order; it never reads
// frames from that connection. Frames from a peer arrive on the peer's own outgoing
// connection, identified by the hello that opens it. So a pair of talking nodes holds two
// connections, one per direction.
//
// Hot path: everything queued for a peer goes out in one gather write (prefixes and small
// payloads copied into one buffer, large payloads written in place), and the frames queued
// while it is in flight go in the next. The receiving side reads whatever the socket has
// into a per-connection buffer and cuts every whole frame out of it, so a burst of small
// frames costs one read, not two per frame.
//
// Fault model: peers crash, restart (possibly at a new address: set_peer()), stop
// answering, or are not Orbit peers at all. Delivery is best effort, as the seam says:
//  - Each peer has a bounded send queue (send_queue_frames_max frames and
//    send_queue_bytes_max bytes). When it is full, the OLDEST queued frame is dropped: the
//    newest messages are the ones a protocol still waits for. Counted in stats().
//  - A broken connection loses the frames of the gather write in progress (counted in
//    frames_lost_in_flight; the peer may have received some of them); frames still queued
//    are kept and sent after reconnecting. While frames are queued, reconnection is retried with
//    exponential backoff (reconnect_backoff_min doubling to reconnect_backoff_max, each
//    delay jittered to a uniform value in [delay/2, delay] from the env::Random given at
//    open, so restarted peers are not hit in lockstep). A peer with nothing queued stays
//    disconnected until the next send.
//  - The peer-lost handler is called for every broken connection (either direction) and
//    every failed connection attempt, so one failure may be reported more than once, and
//    a dead peer with queued frames is reported at every retry. Deliberate changes
//    (close(), set_peer() to a new address) are not reported.
//  - Limits on input, enforced before anything is allocated: a length prefix above
//    max_frame_bytes, a malformed hello, a hello of another wire version (tcp_wire.h: the
//    error names both versions), no hello within hello_timeout, or bytes arriving on an
//    outgoing connection close that connection, log an error and count frames_rejected.
//    A connection that ends in the middle of a frame (a truncated frame: the peer crashed
//    mid-write, or is broken) logs an error naming it and counts frames_truncated. Either
//    way only that connection is closed: the frames already cut from it were delivered,
//    and every other connection carries on.
//  - A frame above max_frame_bytes passed to send() is dropped with an error log
//    (frames_dropped_oversize); it is never truncated.
//  - Partitions (real mode's fault injection, set_blocked_peers()): frames to a blocked
//    peer are dropped in send() and frames from it are dropped on arrival, both counted.
//    Connections stay up, so nothing is reported lost: like a black-holed link, only the
//    protocol above (heartbeats, timeouts) notices.
//
// Threading: every method runs on the executor's thread (or before the executor runs),
// and every handler is called there with env::current_executor() set. Handlers may call
// any method, including close(), but must not destroy the transport: post that instead.
// The transport must be destroyed before its executor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/env/bytes.h"
#include "runtime/env/random.h"
#include "runtime/env/result.h"
#include "runtime/env/time.h"
#include "runtime/env/transport.h"
#include "runtime/real/asio_executor.h"

namespace orbit::real {

struct HostPort {
  std::string host;   // an IP literal or a name to resolve
  uint16_t port = 0;  // when listening, 0 asks the OS for a free port (see local_port())
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
[[nodiscard]] std::string to_string(const HostPort& address);

// Where each node listens.
using PeerTable = std::map<env::NodeId, HostPort>;

struct TcpTransportOptions {
  env::NodeId self = 0;
  HostPort listen{"127.0.0.1", 0};
  PeerTable peers;
  // Largest payload sent or accepted, in bytes; at most 2^32 - 1 (the prefix is 4 bytes).
  size_t max_frame_bytes = size_t{16} << 20;
  // Per-peer send queue bounds (frames waiting to be written, not counting those of the
  // write in flight). send_queue_bytes_max must be at least max_frame_bytes.
  size_t send_queue_frames_max = 4096;
  size_t send_queue_bytes_max = size_t{64} << 20;
  // A connection attempt that has not completed by then fails (a black-holed host would
  // otherwise hold it for minutes of SYN retries).
  Duration connect_timeout = 5s;
  // An accepted connection must deliver its hello within this, or it is closed.
  Duration hello_timeout = 5s;
  // Delay before the k-th consecutive reconnection attempt: min * 2^(k-1), capped at max,
  // jittered into [delay/2, delay].
  Duration reconnect_backoff_min = 20ms;
  Duration reconnect_backoff_max = 2s;
  // Accepted connections beyond this are closed at once.
  size_t inbound_connections_max = 1024;
  // Each identified inbound connection reads into a buffer of this many bytes (grown for
  // a larger frame while it arrives, then shrunk back).
  size_t read_buffer_bytes = size_t{64} << 10;
};

// Counters for tests and metrics. Monotonic over the transport's life.
struct TcpTransportStats {
  uint64_t frames_sent = 0;                  // written to a socket (not proof of delivery)
  uint64_t frames_received = 0;              // complete frames read (and local self-sends)
  uint64_t frames_dropped_oversize = 0;      // send() above max_frame_bytes
  uint64_t frames_dropped_queue_full = 0;    // oldest frames evicted from a full send queue
  uint64_t frames_dropped_unknown_peer = 0;  // no address for the destination
  uint64_t frames_dropped_no_handler = 0;    // arrived while no receive handler was set
  uint64_t frames_dropped_closed = 0;        // send() after close()
  uint64_t frames_lost_in_flight = 0;        // in the write in progress when the connection broke
  uint64_t frames_rejected = 0;              // inbound protocol violations (see above)
  uint64_t frames_truncated = 0;             // a connection ended inside a frame or hello
  uint64_t connections_wrong_version = 0;    // hellos of another wire version (also rejected)
  uint64_t frames_dropped_blocked_out = 0;   // send() to a blocked peer (partition)
  uint64_t frames_dropped_blocked_in = 0;    // arrived from a blocked peer (partition)
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;          // over inbound_connections_max
  uint64_t connections_established = 0;      // outgoing, including reconnections
  uint64_t connect_failures = 0;
  uint64_t connections_broken = 0;           // established ones lost, either direction
  uint64_t peer_lost_reports = 0;            // peer-lost events raised
};

class TcpTransport final : public env::Transport {
 public:
  enum class LogLevel { kInfo, kWarning, kError };
  // Receives the transport's log lines. The default writes warnings and errors to stderr.
  using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

  // Binds and listens on options.listen, then accepts connections on `executor`'s
  // thread. Errors: kInvalidArgument for inconsistent options or an unparsable listen
  // address, kIo when the port cannot be bound (in use, no permission).
  [[nodiscard]] static Result<std::unique_ptr<TcpTransport>> open(AsioExecutor& executor,
                                                                  TcpTransportOptions options,
                                                                  env::Random random);

  // Closes everything (as close()).
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  env::NodeId self() const override;
  // A frame to self is delivered through the executor without touching the network.
  void send(env::NodeId to, Bytes frame) override;
  void set_receive_handler(ReceiveHandler handler) override;
  void set_peer_lost_handler(PeerLostHandler handler) override;
  size_t max_frame_bytes() const override;

  // The port actually bound (useful when options.listen.port was 0).
  [[nodiscard]] uint16_t local_port() const;
  [[nodiscard]] HostPort local_address() const;

  // Peer table updates. A changed address drops the current connection (and the frame in
  // flight on it) and reconnects to the new one if frames are queued. A removed peer's
  // queue is dropped (counted as unknown-peer drops) and reported lost.
  void set_peers(PeerTable peers);
  void set_peer(env::NodeId peer, HostPort address);
  void remove_peer(env::NodeId peer);

  void set_log_handler(LogHandler handler);

  // The drop filter: every frame to or from these peers is dropped (and counted) until the
  // set changes; an empty set heals. Self is never blocked (it is ignored if listed).
  void set_blocked_peers(std::set<env::NodeId> peers);
  [[nodiscard]] const std::set<env::NodeId>& blocked_peers() const;

  // Stops listening, closes every connection and drops every queue; handlers are cleared
  // and never called again; later sends are dropped. Idempotent.
  void close();
  [[nodiscard]] bool closed() const;

  [[nodiscard]] const TcpTransportStats& stats() const;
  // Frames waiting for `peer` (not counting those being written).
  [[nodiscard]] size_t queued_frames(env::NodeId peer) const;

 private:
  class Impl;
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Use open(); public only so that make_unique can reach it (the tag keeps others out).
  TcpTransport(PrivateTag, std::shared_ptr<Impl> impl);

 private:
  // Shared with pending asio handlers, so a handler that completes after close() (or
  // after this handle is gone) still finds valid memory and sees that it is closed.
  std::shared_ptr<Impl> impl_;
};

}  // namespace orbit::real
