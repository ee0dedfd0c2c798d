#include "runtime/real/tcp_transport.h"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <cstdio>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "runtime/env/executor.h"
#include "runtime/real/tcp_wire.h"

namespace orbit::real {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

std::string millis(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

std::string endpoint_string(const tcp::socket& socket) {
  error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return "an unknown address";
  return to_string(HostPort{remote.address().to_string(), remote.port()});
}

// A gather write takes queued frames until it holds this many bytes (a larger first frame
// goes alone), so one connection's write never holds the others' turn for long.
constexpr size_t kWriteBatchBytesMax = size_t{1} << 20;
constexpr size_t kWriteBatchFramesMax = 4096;
// Payloads up to this size are copied next to their prefixes into one contiguous buffer
// (one iovec for many small frames); larger ones are written from where they are. At most
// kWriteBatchLargeMax of those per write keeps the iovec count (2 per large payload + 1)
// under asio's 64 per writev, so a batch is one system call when the socket has room.
constexpr size_t kWriteCopyBytesMax = size_t{16} << 10;
constexpr size_t kWriteBatchLargeMax = 16;
// An accepted connection reads into a buffer this small until its hello has arrived, so
// connections that never identify themselves cost little memory.
constexpr size_t kReadBufferBytesBeforeHello = tcp_wire::kLengthPrefixBytes + tcp_wire::kHelloBytesMax;

// A buffer sequence over a range of const_buffers owned elsewhere (an Outbound's batch):
// asio copies the sequence object into its write operation, and this copy is two pointers
// where a std::vector would be an allocation per write.
struct BufferRange {
  using value_type = asio::const_buffer;
  using const_iterator = const asio::const_buffer*;
  const_iterator first = nullptr;
  const_iterator last = nullptr;
  const_iterator begin() const { return first; }
  const_iterator end() const { return last; }
};

void default_log(TcpTransport::LogLevel level, std::string_view message) {
  if (level == TcpTransport::LogLevel::kInfo) return;
  const char* tag = level == TcpTransport::LogLevel::kError ? "error" : "warning";
  std::fprintf(stderr, "orbit %s: %.*s\n", tag, static_cast<int>(message.size()), message.data());
}

}  // namespace

std::string to_string(const HostPort& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

class TcpTransport::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(AsioExecutor& executor, TcpTransportOptions options, env::Random random)
      : executor_(executor),
        options_(std::move(options)),
        peers_(options_.peers),
        random_(random),
        acceptor_(executor.io_context()),
        accept_retry_timer_(executor.io_context()) {}

  Result<void> listen();
  void send(env::NodeId to, Bytes frame);
  void set_peer(env::NodeId peer, HostPort address);
  void remove_peer(env::NodeId peer);
  void set_peers(PeerTable peers);
  void close();

  size_t queued_frames(env::NodeId peer) const {
    auto it = outbound_.find(peer);
    return it == outbound_.end() ? 0 : it->second->queue.size();
  }

  const TcpTransportOptions& options() const { return options_; }
  uint16_t local_port() const { return local_port_; }
  bool closed() const { return closed_; }
  const TcpTransportStats& stats() const { return stats_; }

  void set_receive_handler(ReceiveHandler handler) {
    receive_handler_ = handler ? std::make_shared<const ReceiveHandler>(std::move(handler)) : nullptr;
  }
  void set_peer_lost_handler(PeerLostHandler handler) {
    peer_lost_handler_ =
        handler ? std::make_shared<const PeerLostHandler>(std::move(handler)) : nullptr;
  }
  void set_log_handler(LogHandler handler) { log_handler_ = std::move(handler); }
  void set_blocked_peers(std::set<env::NodeId> peers) {
    peers.erase(options_.self);
    blocked_ = std::move(peers);
  }
  const std::set<env::NodeId>& blocked_peers() const { return blocked_; }

 private:
  // The sending side of one peer: its queue and its (single) outgoing connection.
  struct Outbound {
    enum class State { kIdle, kConnecting, kConnected, kBackoff };

    Outbound(asio::io_context& io, HostPort addr)
        : address(std::move(addr)), socket(io), resolver(io), timer(io) {}

    HostPort address;
    State state = State::kIdle;
    // Names the current attempt or connection. Every asio completion carries the value
    // it was started with and is ignored when it no longer matches: that is how a
    // completion for a closed socket, a cancelled timer or a replaced address is told
    // apart from a live one.
    uint64_t generation = 0;
    uint32_t failures = 0;  // consecutive, drives the backoff
    std::deque<Bytes> queue;
    size_t queued_bytes = 0;
    bool writing = false;
    bool hello_sent = false;
    // The gather write in progress (while `writing`): the hello if it is not sent yet, then
    // queued frames in order. Prefixes and small payloads sit contiguously in batch_bytes;
    // large payloads stay in batch_large, spliced in at the offsets in batch_cuts.
    // batch_buffers is the resulting sequence handed to asio. Kept between writes so their
    // capacity is reused.
    bool batch_has_hello = false;
    size_t batch_frames = 0;  // queued frames in the batch (the hello not counted)
    size_t batch_size = 0;    // bytes in the batch, prefixes included
    Bytes batch_bytes;
    std::vector<Bytes> batch_large;
    std::vector<size_t> batch_cuts;
    std::vector<asio::const_buffer> batch_buffers;
    uint8_t probe = 0;  // a read that should never complete: it detects the peer closing
    std::vector<tcp::endpoint> endpoints;
    size_t next_endpoint = 0;
    tcp::socket socket;
    tcp::resolver resolver;
    asio::steady_timer timer;  // connect timeout while connecting, backoff while waiting
  };

  // The receiving side of one accepted connection.
  struct Inbound {
    Inbound(uint64_t id_in, tcp::socket s, asio::io_context& io)
        : id(id_in), socket(std::move(s)), hello_timer(io) {}

    uint64_t id;
    std::optional<env::NodeId> peer;  // known once the hello has arrived
    std::string remote;
    // Bytes received and not yet cut into frames are buffer[begin, end). Each read takes
    // whatever the socket has, up to the free space; then every whole frame is cut out.
    // The buffer holds at least one whole frame (it grows for a large one, after its length
    // prefix has passed the limits, and shrinks back once it is cut).
    Bytes buffer;
    size_t begin = 0;
    size_t end = 0;
    tcp::socket socket;
    asio::steady_timer hello_timer;
  };

  using LogLevel = TcpTransport::LogLevel;

  asio::io_context& io() { return executor_.io_context(); }
  void log(LogLevel level, const std::string& message) {
    if (log_handler_) log_handler_(level, "tcp node " + std::to_string(options_.self) + ": " + message);
  }

  // Outgoing side.
  Outbound* current(env::NodeId peer, uint64_t generation);
  void enqueue(Outbound& ob, Bytes frame);
  void start_connect(env::NodeId peer, Outbound& ob);
  void connect_next(env::NodeId peer, Outbound& ob);
  void on_resolved(env::NodeId peer, uint64_t generation, const error_code& ec,
                   const tcp::resolver::results_type& results);
  void on_connected(env::NodeId peer, uint64_t generation, const error_code& ec);
  void connect_failed(env::NodeId peer, Outbound& ob, const std::string& reason);
  void write_next(env::NodeId peer, Outbound& ob);
  void add_to_batch(Outbound& ob, Bytes frame);
  void clear_batch(Outbound& ob);
  void on_written(env::NodeId peer, uint64_t generation, const error_code& ec);
  void start_probe(env::NodeId peer, Outbound& ob);
  void on_probe(env::NodeId peer, uint64_t generation, const error_code& ec, size_t bytes);
  void break_connection(env::NodeId peer, Outbound& ob, LogLevel level, const std::string& reason);
  void reset_connection(Outbound& ob);
  void retry_later_or_idle(env::NodeId peer, Outbound& ob);
  Duration backoff_delay(uint32_t failures);

  // Incoming side.
  void start_accept();
  void on_accept(const error_code& ec, tcp::socket socket);
  Inbound* inbound(uint64_t id);
  void read_more(Inbound& in);
  void on_read(uint64_t id, const error_code& ec, size_t bytes);
  bool cut_frames(uint64_t id);
  std::optional<std::string> length_problem(const Inbound& in, uint32_t length) const;
  bool accept_hello(Inbound& in, ByteView payload);
  void make_room(Inbound& in);
  void on_hello_timeout(uint64_t id);
  void reject(Inbound& in, const std::string& reason);
  void inbound_ended(Inbound& in, const error_code& ec);

  void deliver(env::NodeId from, Bytes frame);
  void report_peer_lost(env::NodeId peer);

  AsioExecutor& executor_;
  const TcpTransportOptions options_;
  PeerTable peers_;
  env::Random random_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  uint16_t local_port_ = 0;
  bool closed_ = false;
  uint64_t next_generation_ = 1;
  uint64_t next_inbound_id_ = 1;
  std::map<env::NodeId, std::unique_ptr<Outbound>> outbound_;
  std::map<uint64_t, std::unique_ptr<Inbound>> inbound_;
  // Held by shared_ptr so a handler that replaces itself while running stays alive until
  // it returns.
  std::shared_ptr<const ReceiveHandler> receive_handler_;
  std::set<env::NodeId> blocked_;  // the drop filter (partitions)
  std::shared_ptr<const PeerLostHandler> peer_lost_handler_;
  LogHandler log_handler_ = default_log;
  TcpTransportStats stats_;
};

// ---- Listening ---------------------------------------------------------------------------

Result<void> TcpTransport::Impl::listen() {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.listen.host, ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument,
                      "listen address '" + options_.listen.host + "' is not an IP address");
  }
  const tcp::endpoint endpoint(address, options_.listen.port);
  const std::string where = to_string(options_.listen);
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return make_error(ErrorCode::kIo, "open socket for " + where + ": " + ec.message());
  }
  // Lets a restarted node bind its port while old connections sit in TIME_WAIT.
  if (acceptor_.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return make_error(ErrorCode::kIo, "set SO_REUSEADDR on " + where + ": " + ec.message());
  }
  if (acceptor_.bind(endpoint, ec); ec) {
    return make_error(ErrorCode::kIo, "bind " + where + ": " + ec.message());
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return make_error(ErrorCode::kIo, "listen on " + where + ": " + ec.message());
  }
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return make_error(ErrorCode::kIo, "local endpoint of " + where + ": " + ec.message());
  local_port_ = bound.port();
  start_accept();
  return {};
}

void TcpTransport::Impl::start_accept() {
  acceptor_.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void TcpTransport::Impl::on_accept(const error_code& ec, tcp::socket socket) {
  if (closed_) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    // Typically EMFILE: retrying at once would spin, so pause before accepting again.
    log(LogLevel::kWarning, "accept failed: " + ec.message() + "; retrying in 100 ms");
    accept_retry_timer_.expires_after(std::chrono::milliseconds(100));
    accept_retry_timer_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (!wait_ec && !self->closed_) self->start_accept();
    });
    return;
  }
  start_accept();
  if (inbound_.size() >= options_.inbound_connections_max) {
    ++stats_.connections_refused;
    log(LogLevel::kError, "refusing connection from " + endpoint_string(socket) + ": already " +
                              std::to_string(inbound_.size()) + " inbound connections");
    error_code ignored;
    socket.close(ignored);
    return;
  }
  ++stats_.connections_accepted;
  const uint64_t id = next_inbound_id_++;
  auto in = std::make_unique<Inbound>(id, std::move(socket), io());
  in->remote = endpoint_string(in->socket);
  in->hello_timer.expires_after(options_.hello_timeout);
  in->hello_timer.async_wait([self = shared_from_this(), id](const error_code& wait_ec) {
    if (!wait_ec) self->on_hello_timeout(id);
  });
  in->buffer.resize(kReadBufferBytesBeforeHello);
  Inbound& ref = *in;
  inbound_.emplace(id, std::move(in));
  read_more(ref);
}

// ---- Incoming frames ---------------------------------------------------------------------

TcpTransport::Impl::Inbound* TcpTransport::Impl::inbound(uint64_t id) {
  auto it = inbound_.find(id);
  return it == inbound_.end() ? nullptr : it->second.get();
}

void TcpTransport::Impl::read_more(Inbound& in) {
  // make_room() guarantees free space: a zero-byte read would complete at once, forever.
  assert(in.end < in.buffer.size());
  in.socket.async_read_some(asio::buffer(in.buffer.data() + in.end, in.buffer.size() - in.end),
                            [self = shared_from_this(), id = in.id](const error_code& ec, size_t bytes) {
                              self->on_read(id, ec, bytes);
                            });
}

void TcpTransport::Impl::on_read(uint64_t id, const error_code& ec, size_t bytes) {
  Inbound* in = inbound(id);
  if (in == nullptr) return;
  if (ec) return inbound_ended(*in, ec);
  in->end += bytes;
  assert(in->end <= in->buffer.size());
  if (!cut_frames(id)) return;
  // Handlers ran inside cut_frames(): the connection (or the transport) may be gone.
  in = inbound(id);
  if (in == nullptr || closed_) return;
  make_room(*in);
  read_more(*in);
}

// Cuts every whole frame out of the buffer and delivers it. False when the connection is
// gone afterwards (rejected, or closed by a handler together with the transport).
bool TcpTransport::Impl::cut_frames(uint64_t id) {
  Inbound* in = inbound(id);
  while (in != nullptr && !closed_) {
    const size_t available = in->end - in->begin;
    if (available < tcp_wire::kLengthPrefixBytes) break;
    const uint32_t length = tcp_wire::decode_length(in->buffer.data() + in->begin);
    // Checked as soon as the prefix is here, before waiting for (or allocating) the payload.
    if (std::optional<std::string> problem = length_problem(*in, length)) {
      reject(*in, *problem);
      return false;
    }
    if (available - tcp_wire::kLengthPrefixBytes < length) break;
    const uint8_t* payload = in->buffer.data() + in->begin + tcp_wire::kLengthPrefixBytes;
    in->begin += tcp_wire::kLengthPrefixBytes + length;
    if (!in->peer) {
      if (!accept_hello(*in, ByteView(payload, length))) return false;
      continue;
    }
    const env::NodeId from = *in->peer;
    deliver(from, Bytes(payload, payload + length));
    // The handler may have closed the transport, which destroyed `in`: look it up again.
    in = inbound(id);
  }
  return in != nullptr && !closed_;
}

std::optional<std::string> TcpTransport::Impl::length_problem(const Inbound& in, uint32_t length) const {
  if (!in.peer && (length < tcp_wire::kHelloCommonBytes || length > tcp_wire::kHelloBytesMax)) {
    return "malformed hello: the first frame announces " + std::to_string(length) + " bytes, a hello has " +
           std::to_string(tcp_wire::kHelloCommonBytes) + " to " + std::to_string(tcp_wire::kHelloBytesMax) +
           " (" + std::to_string(tcp_wire::kHelloBytes) + " in version " +
           std::to_string(tcp_wire::kProtocolVersion) + ")";
  }
  if (length > options_.max_frame_bytes) {
    return "frame length prefix of " + std::to_string(length) + " bytes exceeds max_frame_bytes " +
           std::to_string(options_.max_frame_bytes);
  }
  return std::nullopt;
}

// Reads the hello; false when it was refused (and the connection closed).
bool TcpTransport::Impl::accept_hello(Inbound& in, ByteView payload) {
  Result<env::NodeId> hello = tcp_wire::parse_hello(payload);
  if (!hello.ok()) {
    if (hello.code() == ErrorCode::kRejected) {
      ++stats_.connections_wrong_version;
      reject(in, "wire version mismatch: " + hello.error().message);
    } else {
      reject(in, "malformed hello: " + hello.error().message);
    }
    return false;
  }
  const env::NodeId peer = *hello;
  in.peer = peer;
  in.hello_timer.cancel();
  // A peer has one outgoing connection at a time, so an older one from it is a leftover
  // the peer has already given up on: close it quietly.
  std::vector<uint64_t> stale;
  for (const auto& [other_id, other] : inbound_) {
    if (other_id != in.id && other->peer == peer) stale.push_back(other_id);
  }
  for (uint64_t other_id : stale) inbound_.erase(other_id);
  log(LogLevel::kInfo, "accepted connection from node " + std::to_string(peer) + " at " + in.remote);
  return true;
}

// Moves the partial frame to the front and sizes the buffer for the rest of it.
void TcpTransport::Impl::make_room(Inbound& in) {
  const size_t pending = in.end - in.begin;
  if (in.begin > 0) {
    if (pending > 0) std::memmove(in.buffer.data(), in.buffer.data() + in.begin, pending);
    in.begin = 0;
    in.end = pending;
  }
  const size_t standard = in.peer ? options_.read_buffer_bytes : kReadBufferBytesBeforeHello;
  size_t wanted = standard;
  if (pending >= tcp_wire::kLengthPrefixBytes) {
    // The prefix passed length_problem() already: growing to the whole frame is bounded.
    const size_t frame = tcp_wire::kLengthPrefixBytes + tcp_wire::decode_length(in.buffer.data());
    wanted = std::max(wanted, frame);
  }
  if (in.buffer.size() < wanted) {
    in.buffer.resize(wanted);
  } else if (in.buffer.size() > std::max(wanted, options_.read_buffer_bytes)) {
    // A large frame has been cut: give its memory back.
    Bytes smaller(wanted);
    std::copy_n(in.buffer.begin(), pending, smaller.begin());
    in.buffer.swap(smaller);
  }
  assert(in.end < in.buffer.size());
}

void TcpTransport::Impl::on_hello_timeout(uint64_t id) {
  Inbound* in = inbound(id);
  if (in == nullptr || in->peer) return;
  reject(*in, "no hello within " + millis(options_.hello_timeout));
}

void TcpTransport::Impl::reject(Inbound& in, const std::string& reason) {
  ++stats_.frames_rejected;
  const std::optional<env::NodeId> peer = in.peer;
  log(LogLevel::kError,
      "closing connection from " + in.remote +
          (peer ? " (node " + std::to_string(*peer) + ")" : std::string(" (before its hello)")) +
          ": " + reason);
  const uint64_t id = in.id;  // copied: erasing destroys `in`
  inbound_.erase(id);         // the socket's destructor closes it
  if (peer) report_peer_lost(*peer);
}

void TcpTransport::Impl::inbound_ended(Inbound& in, const error_code& ec) {
  const std::optional<env::NodeId> peer = in.peer;
  std::string reason = ec == asio::error::eof ? "closed by the peer" : ec.message();
  // Bytes left in the buffer are a frame the peer began and never finished (it crashed
  // mid-write, or it is broken): lost, and named as such.
  const size_t pending = in.end - in.begin;
  if (pending > 0) {
    ++stats_.frames_truncated;
    const char* what = peer ? "truncated frame" : "truncated hello";
    if (pending < tcp_wire::kLengthPrefixBytes) {
      reason = std::string(what) + ": the connection ended " + std::to_string(pending) + " bytes into a " +
               std::to_string(tcp_wire::kLengthPrefixBytes) + "-byte length prefix (" + reason + ")";
    } else {
      const uint32_t length = tcp_wire::decode_length(in.buffer.data() + in.begin);
      reason = std::string(what) + ": the connection ended after " +
               std::to_string(pending - tcp_wire::kLengthPrefixBytes) + " of its " + std::to_string(length) +
               " payload bytes (" + reason + ")";
    }
  }
  const LogLevel level = pending > 0 ? LogLevel::kError : peer ? LogLevel::kWarning : LogLevel::kInfo;
  if (peer) {
    ++stats_.connections_broken;
    log(level, "connection from node " + std::to_string(*peer) + " at " + in.remote + " lost: " + reason);
  } else {
    log(level, "connection from " + in.remote + " ended before its hello: " + reason);
  }
  const uint64_t id = in.id;  // copied: erasing destroys `in`
  inbound_.erase(id);
  if (peer) report_peer_lost(*peer);
}

void TcpTransport::Impl::deliver(env::NodeId from, Bytes frame) {
  if (blocked_.contains(from)) {
    ++stats_.frames_dropped_blocked_in;
    return;
  }
  ++stats_.frames_received;
  const std::shared_ptr<const ReceiveHandler> handler = receive_handler_;
  if (!handler) {
    ++stats_.frames_dropped_no_handler;
    return;
  }
  env::CurrentExecutorGuard guard(&executor_);
  (*handler)(from, std::move(frame));
}

void TcpTransport::Impl::report_peer_lost(env::NodeId peer) {
  ++stats_.peer_lost_reports;
  // Posted, never called inline: the caller is in the middle of updating connection state
  // (or inside send()), and the handler may well call send() again.
  executor_.post([weak = weak_from_this(), peer] {
    const std::shared_ptr<Impl> self = weak.lock();
    if (!self || self->closed_) return;
    const std::shared_ptr<const PeerLostHandler> handler = self->peer_lost_handler_;
    if (handler) (*handler)(peer);
  });
}

// ---- Outgoing frames ---------------------------------------------------------------------

void TcpTransport::Impl::send(env::NodeId to, Bytes frame) {
  if (closed_) {
    ++stats_.frames_dropped_closed;
    return;
  }
  if (frame.size() > options_.max_frame_bytes) {
    ++stats_.frames_dropped_oversize;
    log(LogLevel::kError, "dropping a frame of " + std::to_string(frame.size()) + " bytes to node " +
                              std::to_string(to) + ": above max_frame_bytes " +
                              std::to_string(options_.max_frame_bytes));
    return;
  }
  if (blocked_.contains(to)) {
    ++stats_.frames_dropped_blocked_out;
    return;
  }
  if (to == options_.self) {
    executor_.post([weak = weak_from_this(), frame = std::move(frame)]() mutable {
      const std::shared_ptr<Impl> self = weak.lock();
      if (self && !self->closed_) self->deliver(self->options_.self, std::move(frame));
    });
    return;
  }
  auto it = outbound_.find(to);
  if (it == outbound_.end()) {
    auto peer = peers_.find(to);
    if (peer == peers_.end()) {
      ++stats_.frames_dropped_unknown_peer;
      log(LogLevel::kWarning, "dropping a frame to node " + std::to_string(to) +
                                  ": not in the peer table");
      report_peer_lost(to);
      return;
    }
    it = outbound_.emplace(to, std::make_unique<Outbound>(io(), peer->second)).first;
  }
  Outbound& ob = *it->second;
  enqueue(ob, std::move(frame));
  if (ob.state == Outbound::State::kIdle) {
    start_connect(to, ob);
  } else if (ob.state == Outbound::State::kConnected) {
    write_next(to, ob);
  }
}

void TcpTransport::Impl::enqueue(Outbound& ob, Bytes frame) {
  // Drop the oldest: a protocol above is still waiting for the newest messages, while the
  // oldest have most likely timed out already.
  while (!ob.queue.empty() &&
         (ob.queue.size() >= options_.send_queue_frames_max ||
          ob.queued_bytes + frame.size() > options_.send_queue_bytes_max)) {
    ob.queued_bytes -= ob.queue.front().size();
    ob.queue.pop_front();
    ++stats_.frames_dropped_queue_full;
  }
  ob.queued_bytes += frame.size();
  ob.queue.push_back(std::move(frame));
}

TcpTransport::Impl::Outbound* TcpTransport::Impl::current(env::NodeId peer, uint64_t generation) {
  auto it = outbound_.find(peer);
  if (it == outbound_.end() || it->second->generation != generation) return nullptr;
  return it->second.get();
}

void TcpTransport::Impl::start_connect(env::NodeId peer, Outbound& ob) {
  reset_connection(ob);
  ob.state = Outbound::State::kConnecting;
  const uint64_t generation = ob.generation;
  ob.timer.expires_after(options_.connect_timeout);
  ob.timer.async_wait([self = shared_from_this(), peer, generation](const error_code& ec) {
    if (ec) return;
    Outbound* current = self->current(peer, generation);
    if (current != nullptr && current->state == Outbound::State::kConnecting) {
      self->connect_failed(peer, *current,
                           "timed out after " + millis(self->options_.connect_timeout));
    }
  });
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(ob.address.host, ec);
  if (!ec) {
    ob.endpoints.assign(1, tcp::endpoint(address, ob.address.port));
    return connect_next(peer, ob);
  }
  ob.resolver.async_resolve(
      ob.address.host, std::to_string(ob.address.port),
      [self = shared_from_this(), peer, generation](const error_code& resolve_ec,
                                                     const tcp::resolver::results_type& results) {
        self->on_resolved(peer, generation, resolve_ec, results);
      });
}

void TcpTransport::Impl::on_resolved(env::NodeId peer, uint64_t generation, const error_code& ec,
                                     const tcp::resolver::results_type& results) {
  Outbound* ob = current(peer, generation);
  if (ob == nullptr) return;
  if (ec) return connect_failed(peer, *ob, "cannot resolve " + ob->address.host + ": " + ec.message());
  for (const auto& entry : results) ob->endpoints.push_back(entry.endpoint());
  connect_next(peer, *ob);
}

void TcpTransport::Impl::connect_next(env::NodeId peer, Outbound& ob) {
  if (ob.next_endpoint >= ob.endpoints.size()) {
    return connect_failed(peer, ob, "no address to connect to");
  }
  error_code ignored;
  ob.socket.close(ignored);
  ob.socket.async_connect(ob.endpoints[ob.next_endpoint++],
                          [self = shared_from_this(), peer, generation = ob.generation](
                              const error_code& ec) { self->on_connected(peer, generation, ec); });
}

void TcpTransport::Impl::on_connected(env::NodeId peer, uint64_t generation, const error_code& ec) {
  Outbound* ob = current(peer, generation);
  if (ob == nullptr || ob->state != Outbound::State::kConnecting) return;
  if (ec) {
    if (ob->next_endpoint < ob->endpoints.size()) return connect_next(peer, *ob);
    return connect_failed(peer, *ob, ec.message());
  }
  ob->timer.cancel();
  ob->state = Outbound::State::kConnected;
  ob->failures = 0;
  ++stats_.connections_established;
  error_code ignored;
  ob->socket.set_option(tcp::no_delay(true), ignored);
  ob->socket.set_option(asio::socket_base::keep_alive(true), ignored);
  log(LogLevel::kInfo, "connected to node " + std::to_string(peer) + " at " + to_string(ob->address));
  start_probe(peer, *ob);
  write_next(peer, *ob);
}

void TcpTransport::Impl::connect_failed(env::NodeId peer, Outbound& ob, const std::string& reason) {
  ++stats_.connect_failures;
  log(LogLevel::kWarning, "cannot connect to node " + std::to_string(peer) + " at " +
                              to_string(ob.address) + ": " + reason);
  reset_connection(ob);
  ++ob.failures;
  retry_later_or_idle(peer, ob);
  report_peer_lost(peer);
}

// Writes the hello (first on a new connection) and everything queued, up to the batch
// bounds, with one gather write; the rest goes in the next one, when this one completes.
void TcpTransport::Impl::write_next(env::NodeId peer, Outbound& ob) {
  if (ob.state != Outbound::State::kConnected || ob.writing) return;
  if (ob.hello_sent && ob.queue.empty()) return;
  clear_batch(ob);
  if (!ob.hello_sent) {
    add_to_batch(ob, tcp_wire::encode_hello(options_.self));
    ob.batch_has_hello = true;
  }
  while (!ob.queue.empty() && ob.batch_frames < kWriteBatchFramesMax && ob.batch_large.size() < kWriteBatchLargeMax) {
    const size_t next = tcp_wire::kLengthPrefixBytes + ob.queue.front().size();
    if (ob.batch_frames > 0 && ob.batch_size + next > kWriteBatchBytesMax) break;
    Bytes frame = std::move(ob.queue.front());
    ob.queue.pop_front();
    ob.queued_bytes -= frame.size();
    add_to_batch(ob, std::move(frame));
    ++ob.batch_frames;
  }
  // The sequence: contiguous stretches of batch_bytes, with each large payload in between.
  size_t from = 0;
  for (size_t i = 0; i <= ob.batch_cuts.size(); ++i) {
    const size_t to = i < ob.batch_cuts.size() ? ob.batch_cuts[i] : ob.batch_bytes.size();
    if (to > from) ob.batch_buffers.emplace_back(ob.batch_bytes.data() + from, to - from);
    if (i < ob.batch_cuts.size()) ob.batch_buffers.emplace_back(ob.batch_large[i].data(), ob.batch_large[i].size());
    from = to;
  }
  assert(!ob.batch_buffers.empty());
  ob.writing = true;
  const BufferRange buffers{ob.batch_buffers.data(), ob.batch_buffers.data() + ob.batch_buffers.size()};
  asio::async_write(ob.socket, buffers,
                    [self = shared_from_this(), peer, generation = ob.generation](
                        const error_code& ec, size_t) { self->on_written(peer, generation, ec); });
}

void TcpTransport::Impl::add_to_batch(Outbound& ob, Bytes frame) {
  const auto prefix = tcp_wire::encode_length(static_cast<uint32_t>(frame.size()));
  ob.batch_bytes.insert(ob.batch_bytes.end(), prefix.begin(), prefix.end());
  ob.batch_size += prefix.size() + frame.size();
  if (frame.size() <= kWriteCopyBytesMax) {
    ob.batch_bytes.insert(ob.batch_bytes.end(), frame.begin(), frame.end());
  } else {
    ob.batch_cuts.push_back(ob.batch_bytes.size());
    ob.batch_large.push_back(std::move(frame));
  }
}

void TcpTransport::Impl::clear_batch(Outbound& ob) {
  ob.batch_has_hello = false;
  ob.batch_frames = 0;
  ob.batch_size = 0;
  ob.batch_bytes.clear();
  ob.batch_large.clear();
  ob.batch_cuts.clear();
  ob.batch_buffers.clear();
  // A burst of frames must not pin its buffer for the connection's life.
  if (ob.batch_bytes.capacity() > 2 * kWriteBatchBytesMax) Bytes().swap(ob.batch_bytes);
}

void TcpTransport::Impl::on_written(env::NodeId peer, uint64_t generation, const error_code& ec) {
  Outbound* ob = current(peer, generation);
  if (ob == nullptr || ob->state != Outbound::State::kConnected) return;
  if (ec) return break_connection(peer, *ob, LogLevel::kWarning, "write failed: " + ec.message());
  ob->writing = false;
  if (ob->batch_has_hello) ob->hello_sent = true;
  stats_.frames_sent += ob->batch_frames;
  clear_batch(*ob);
  write_next(peer, *ob);
}

void TcpTransport::Impl::start_probe(env::NodeId peer, Outbound& ob) {
  ob.socket.async_read_some(
      asio::buffer(&ob.probe, 1),
      [self = shared_from_this(), peer, generation = ob.generation](const error_code& ec,
                                                                    size_t bytes) {
        self->on_probe(peer, generation, ec, bytes);
      });
}

void TcpTransport::Impl::on_probe(env::NodeId peer, uint64_t generation, const error_code& ec,
                                  size_t bytes) {
  Outbound* ob = current(peer, generation);
  if (ob == nullptr || ob->state != Outbound::State::kConnected) return;
  if (!ec && bytes > 0) {
    ++stats_.frames_rejected;
    return break_connection(peer, *ob, LogLevel::kError,
                            "the peer sent bytes on a one-way connection (protocol violation)");
  }
  break_connection(peer, *ob, LogLevel::kWarning,
                   ec == asio::error::eof ? "closed by the peer" : ec.message());
}

void TcpTransport::Impl::break_connection(env::NodeId peer, Outbound& ob, LogLevel level,
                                          const std::string& reason) {
  ++stats_.connections_broken;
  log(level, "connection to node " + std::to_string(peer) + " at " + to_string(ob.address) +
                 " lost: " + reason);
  reset_connection(ob);
  ++ob.failures;
  retry_later_or_idle(peer, ob);
  report_peer_lost(peer);
}

void TcpTransport::Impl::reset_connection(Outbound& ob) {
  // A new generation first: every completion still pending on the old socket, resolver or
  // timer becomes stale, whatever order asio delivers them in.
  ob.generation = next_generation_++;
  if (ob.writing) stats_.frames_lost_in_flight += ob.batch_frames;
  ob.writing = false;
  ob.hello_sent = false;
  clear_batch(ob);
  ob.endpoints.clear();
  ob.next_endpoint = 0;
  error_code ignored;
  ob.socket.close(ignored);
  ob.resolver.cancel();
  ob.timer.cancel();
  ob.state = Outbound::State::kIdle;
}

void TcpTransport::Impl::retry_later_or_idle(env::NodeId peer, Outbound& ob) {
  if (closed_ || ob.queue.empty()) {
    ob.state = Outbound::State::kIdle;
    return;
  }
  ob.state = Outbound::State::kBackoff;
  ob.timer.expires_after(backoff_delay(ob.failures));
  ob.timer.async_wait(
      [self = shared_from_this(), peer, generation = ob.generation](const error_code& ec) {
        if (ec) return;
        Outbound* current = self->current(peer, generation);
        if (current != nullptr && current->state == Outbound::State::kBackoff) {
          self->start_connect(peer, *current);
        }
      });
}

Duration TcpTransport::Impl::backoff_delay(uint32_t failures) {
  Duration delay = options_.reconnect_backoff_min;
  for (uint32_t i = 1; i < failures && delay < options_.reconnect_backoff_max; ++i) delay *= 2;
  delay = std::min(delay, options_.reconnect_backoff_max);
  return random_.duration_between(delay / 2, delay);
}

// ---- Peer table and shutdown -------------------------------------------------------------

void TcpTransport::Impl::set_peer(env::NodeId peer, HostPort address) {
  peers_[peer] = address;
  auto it = outbound_.find(peer);
  if (it == outbound_.end() || it->second->address == address) return;
  Outbound& ob = *it->second;
  ob.address = std::move(address);
  reset_connection(ob);
  ob.failures = 0;
  if (!closed_ && !ob.queue.empty()) start_connect(peer, ob);
}

void TcpTransport::Impl::remove_peer(env::NodeId peer) {
  peers_.erase(peer);
  auto it = outbound_.find(peer);
  if (it == outbound_.end()) return;
  stats_.frames_dropped_unknown_peer += it->second->queue.size();
  outbound_.erase(it);  // the socket's destructor closes it; pending completions go stale
  report_peer_lost(peer);
}

void TcpTransport::Impl::set_peers(PeerTable peers) {
  std::vector<env::NodeId> gone;
  for (const auto& [peer, address] : peers_) {
    if (peers.count(peer) == 0) gone.push_back(peer);
  }
  for (env::NodeId peer : gone) remove_peer(peer);
  for (auto& [peer, address] : peers) set_peer(peer, address);
}

void TcpTransport::Impl::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  for (auto& [peer, ob] : outbound_) stats_.frames_dropped_closed += ob->queue.size();
  // Destroying the sockets closes them; their pending completions find nothing and stop.
  outbound_.clear();
  inbound_.clear();
  receive_handler_.reset();
  peer_lost_handler_.reset();
}

// ---- TcpTransport ------------------------------------------------------------------------

Result<std::unique_ptr<TcpTransport>> TcpTransport::open(AsioExecutor& executor,
                                                         TcpTransportOptions options,
                                                         env::Random random) {
  auto invalid = [](const std::string& what) {
    return make_error(ErrorCode::kInvalidArgument, "TcpTransportOptions: " + what);
  };
  if (options.max_frame_bytes > UINT32_MAX) return invalid("max_frame_bytes above 2^32 - 1");
  if (options.send_queue_frames_max == 0) return invalid("send_queue_frames_max is 0");
  if (options.send_queue_bytes_max < options.max_frame_bytes) {
    return invalid("send_queue_bytes_max below max_frame_bytes");
  }
  if (options.connect_timeout <= Duration::zero()) return invalid("connect_timeout not positive");
  if (options.hello_timeout <= Duration::zero()) return invalid("hello_timeout not positive");
  if (options.reconnect_backoff_min <= Duration::zero() ||
      options.reconnect_backoff_max < options.reconnect_backoff_min) {
    return invalid("reconnect backoff needs 0 < min <= max");
  }
  if (options.inbound_connections_max == 0) return invalid("inbound_connections_max is 0");
  if (options.read_buffer_bytes < tcp_wire::kLengthPrefixBytes + tcp_wire::kHelloBytesMax) {
    return invalid("read_buffer_bytes below " + std::to_string(tcp_wire::kLengthPrefixBytes + tcp_wire::kHelloBytesMax));
  }
  auto impl = std::make_shared<Impl>(executor, std::move(options), random);
  if (Result<void> listening = impl->listen(); !listening.ok()) return listening.error();
  return std::make_unique<TcpTransport>(PrivateTag{}, std::move(impl));
}

TcpTransport::TcpTransport(PrivateTag, std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpTransport::~TcpTransport() { impl_->close(); }

env::NodeId TcpTransport::self() const { return impl_->options().self; }
void TcpTransport::send(env::NodeId to, Bytes frame) { impl_->send(to, std::move(frame)); }
void TcpTransport::set_receive_handler(ReceiveHandler handler) {
  impl_->set_receive_handler(std::move(handler));
}
void TcpTransport::set_peer_lost_handler(PeerLostHandler handler) {
  impl_->set_peer_lost_handler(std::move(handler));
}
size_t TcpTransport::max_frame_bytes() const { return impl_->options().max_frame_bytes; }
uint16_t TcpTransport::local_port() const { return impl_->local_port(); }
HostPort TcpTransport::local_address() const {
  return HostPort{impl_->options().listen.host, impl_->local_port()};
}
void TcpTransport::set_peers(PeerTable peers) { impl_->set_peers(std::move(peers)); }
void TcpTransport::set_peer(env::NodeId peer, HostPort address) {
  impl_->set_peer(peer, std::move(address));
}
void TcpTransport::remove_peer(env::NodeId peer) { impl_->remove_peer(peer); }
void TcpTransport::set_log_handler(LogHandler handler) { impl_->set_log_handler(std::move(handler)); }
void TcpTransport::set_blocked_peers(std::set<env::NodeId> peers) { impl_->set_blocked_peers(std::move(peers)); }
const std::set<env::NodeId>& TcpTransport::blocked_peers() const { return impl_->blocked_peers(); }
void TcpTransport::close() { impl_->close(); }
bool TcpTransport::closed() const { return impl_->closed(); }
const TcpTransportStats& TcpTransport::stats() const { return impl_->stats(); }
size_t TcpTransport::queued_frames(env::NodeId peer) const { return impl_->queued_frames(peer); }

}  // namespace orbit::real
