// HttpServer: a small HTTP/1.1 server (Boost.Beast) on an AsioExecutor's io_context, for the
// operational endpoints of real-mode processes (/metrics, /health, admin hooks).
//
// Handlers run on the executor's thread with env::current_executor() set, so they may touch
// node state and co_await the node's Tasks. One request per connection is in flight at a
// time (HTTP/1.1 keep-alive is honoured; pipelined requests wait their turn).
//
// Fault model: clients are operators' tools and scrapers, but the port is open to anything
// on the host, so input is bounded before it is buffered:
//  - a request whose headers exceed max_header_bytes gets 431, whose body exceeds
//    max_body_bytes gets 413; both then close the connection;
//  - anything Beast cannot parse as HTTP/1.x gets 400 and the connection is closed;
//  - a connection that has not delivered a whole request within read_timeout, or is idle
//    that long between keep-alive requests, is closed without a response;
//  - connections beyond max_connections are closed on accept;
//  - a handler that throws produces 500 with the exception's message (the server keeps
//    serving).
//
// Threading: open(), local_port(), close() and the destructor belong to the executor's
// thread (or to any thread while the executor is not running). The server must be
// destroyed before its executor. close() destroys the coroutines of handlers in flight
// (their connections are closed without a response).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/env/result.h"
#include "runtime/env/task.h"
#include "runtime/env/time.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/tcp_transport.h"  // HostPort

namespace orbit::real {

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, as sent: "/leases?kind=counter"
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Takes the request by value: the handler's coroutine owns it (see task.h on lazy tasks).
using HttpHandler = std::function<Task<HttpResponse>(HttpRequest)>;

struct HttpServerOptions {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
  Duration read_timeout = 10s;
  size_t max_connections = 256;
};

// The path part of a target ("/a/b?x=1" -> "/a/b").
[[nodiscard]] std::string target_path(const std::string& target);
// The value of query parameter `name` in a target, percent-decoded ('+' is a space), or
// std::nullopt when absent.
[[nodiscard]] std::optional<std::string> query_param(const std::string& target,
                                                     const std::string& name);

class HttpServer {
 public:
  // Listens on `listen` (an IP literal; port 0 = the OS picks, see local_port()).
  // Errors: kInvalidArgument for a host that is not an IP literal, kIo when the port cannot
  // be bound (the message names the address).
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> open(AsioExecutor& executor,
                                                                HostPort listen,
                                                                HttpHandler handler,
                                                                HttpServerOptions options = {});

  ~HttpServer();  // close()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] uint16_t local_port() const;

  // Stops accepting, closes every connection, destroys handlers in flight. Idempotent.
  void close();

  // Requests answered (any status), for tests.
  [[nodiscard]] uint64_t requests_served() const;

  class Impl;
  struct PrivateTag {
    explicit PrivateTag() = default;
  };
  // Use open(); public only so that make_unique can reach it.
  HttpServer(PrivateTag, std::shared_ptr<Impl> impl);

 private:
  // Shared with pending asio handlers, which find it closed after close().
  std::shared_ptr<Impl> impl_;
};

}  // namespace orbit::real
