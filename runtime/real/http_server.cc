#include "runtime/real/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <exception>
#include <map>
#include <utility>

#include "runtime/env/task_scope.h"

namespace orbit::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

bool is_http_parse_error(const error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

}  // namespace

std::string target_path(const std::string& target) {
  return target.substr(0, target.find('?'));
}

std::optional<std::string> query_param(const std::string& target, const std::string& name) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return std::nullopt;
  std::string_view query(target);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq));
    if (key != name) continue;
    return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

// ---- Impl and sessions ---------------------------------------------------------------------

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  class Session;

  Impl(AsioExecutor& executor, HttpHandler handler, HttpServerOptions options)
      : executor_(executor),
        handler_(std::move(handler)),
        options_(options),
        acceptor_(executor.io_context()),
        // A handler that escapes its own try (it cannot: serve() catches everything) must
        // not abort a server process; this only guards against a bug in serve().
        scope_([](std::exception_ptr) {}) {}

  Result<void> listen(const HostPort& listen);
  void close();

  AsioExecutor& executor_;
  HttpHandler handler_;
  HttpServerOptions options_;
  tcp::acceptor acceptor_;
  TaskScope scope_;
  uint16_t local_port_ = 0;
  bool closed_ = false;
  uint64_t next_session_id_ = 1;
  uint64_t requests_served_ = 0;
  std::map<uint64_t, std::shared_ptr<Session>> sessions_;

 private:
  void start_accept();
  void on_accept(const error_code& ec, tcp::socket socket);
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Impl> server, uint64_t id, tcp::socket socket)
      : server_(std::move(server)), id_(id), stream_(std::move(socket)) {}

  void start_read() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_->options_.max_header_bytes));
    parser_->body_limit(server_->options_.max_body_bytes);
    stream_.expires_after(server_->options_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](const error_code& ec, size_t) {
                       env::CurrentExecutorGuard guard(&self->server_->executor_);
                       self->on_read(ec);
                     });
  }

  // Sends `response`, then reads the next request (keep-alive) or closes.
  void respond(HttpResponse response, unsigned version, bool keep_alive) {
    if (closed_) return;
    ++server_->requests_served_;
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(version == 10 ? 10 : 11);
    message->result(static_cast<unsigned>(response.status));
    message->set(http::field::server, "orbit");
    message->set(http::field::content_type, response.content_type);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    stream_.expires_after(server_->options_.read_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, keep_alive](const error_code& ec, size_t) {
                        if (self->closed_) return;
                        if (ec || !keep_alive) return self->close();
                        self->start_read();
                      });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    // May destroy this session's last owner but one: the caller's shared_from_this keeps it.
    server_->sessions_.erase(id_);
  }

  bool closed() const { return closed_; }

 private:
  void on_read(const error_code& ec) {
    if (closed_ || server_->closed_) return;
    if (ec) {
      if (ec == http::error::body_limit) {
        return respond({413, "text/plain; charset=utf-8", "request body too large\n"}, 11, false);
      }
      if (ec == http::error::header_limit) {
        return respond({431, "text/plain; charset=utf-8", "request headers too large\n"}, 11, false);
      }
      if (ec != http::error::end_of_stream && ec != http::error::partial_message &&
          is_http_parse_error(ec)) {
        return respond({400, "text/plain; charset=utf-8", "malformed request: " + ec.message() + "\n"},
                       11, false);
      }
      return close();  // peer closed, timed out, or the socket failed
    }
    stream_.expires_never();
    http::request<http::string_body> message = parser_->release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.body = std::move(message.body());
    server_->scope_.spawn(serve(server_->handler_, std::move(request), weak_from_this(),
                                message.version(), message.keep_alive()));
  }

  // Runs the handler for one request and answers it. Arguments by value: the frame owns them.
  static Task<void> serve(HttpHandler handler, HttpRequest request, std::weak_ptr<Session> session,
                          unsigned version, bool keep_alive) {
    HttpResponse response;
    try {
      response = co_await handler(std::move(request));
    } catch (const std::exception& e) {
      response = HttpResponse{500, "text/plain; charset=utf-8",
                              std::string("internal error: ") + e.what() + "\n"};
    } catch (...) {
      response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    if (std::shared_ptr<Session> self = session.lock()) {
      self->respond(std::move(response), version, keep_alive);
    }
  }

  std::shared_ptr<Impl> server_;
  uint64_t id_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool closed_ = false;
};

Result<void> HttpServer::Impl::listen(const HostPort& listen) {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(listen.host, ec);
  if (ec) {
    return make_error(ErrorCode::kInvalidArgument,
                      "http listen address '" + listen.host + "' is not an IP address");
  }
  const tcp::endpoint endpoint(address, listen.port);
  const std::string where = "http " + to_string(listen);
  if (acceptor_.open(endpoint.protocol(), ec); ec) {
    return make_error(ErrorCode::kIo, "open socket for " + where + ": " + ec.message());
  }
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

void HttpServer::Impl::start_accept() {
  acceptor_.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    env::CurrentExecutorGuard guard(&self->executor_);
    self->on_accept(ec, std::move(socket));
  });
}

void HttpServer::Impl::on_accept(const error_code& ec, tcp::socket socket) {
  if (closed_) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    // Typically EMFILE: accept again after the executor has run other work.
    executor_.schedule_after(100ms, [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && !self->closed_) self->start_accept();
    });
    return;
  }
  start_accept();
  if (sessions_.size() >= options_.max_connections) {
    error_code ignored;
    socket.close(ignored);
    return;
  }
  const uint64_t id = next_session_id_++;
  auto session = std::make_shared<Session>(shared_from_this(), id, std::move(socket));
  sessions_.emplace(id, session);
  session->start_read();
}

void HttpServer::Impl::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  // Handlers in flight first: they hold only weak references to their sessions.
  scope_.cancel_all();
  std::map<uint64_t, std::shared_ptr<Session>> doomed;
  doomed.swap(sessions_);
  for (auto& [id, session] : doomed) session->close();
  // Sessions still referenced by pending asio completions die when those complete (aborted).
}

// ---- HttpServer ------------------------------------------------------------------------------

Result<std::unique_ptr<HttpServer>> HttpServer::open(AsioExecutor& executor, HostPort listen,
                                                     HttpHandler handler, HttpServerOptions options) {
  if (!handler) return make_error(ErrorCode::kInvalidArgument, "http server needs a handler");
  auto impl = std::make_shared<Impl>(executor, std::move(handler), options);
  if (Result<void> listened = impl->listen(listen); !listened.ok()) return listened.error();
  return std::make_unique<HttpServer>(PrivateTag{}, std::move(impl));
}

HttpServer::HttpServer(PrivateTag, std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { close(); }

uint16_t HttpServer::local_port() const { return impl_->local_port_; }

void HttpServer::close() { impl_->close(); }

uint64_t HttpServer::requests_served() const { return impl_->requests_served_; }

}  // namespace orbit::real
