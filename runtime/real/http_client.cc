#include "runtime/real/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <chrono>
#include <optional>

namespace orbit::real {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr size_t kMaxResponseBytes = size_t{64} << 20;

Error exchange_error(const error_code& ec, const std::string& where, const char* step) {
  std::string message = std::string(step) + " " + where + ": " + ec.message();
  if (ec == beast::error::timeout) return make_error(ErrorCode::kTimeout, message);
  if (ec == asio::error::connection_refused || ec == asio::error::host_not_found ||
      ec == asio::error::host_not_found_try_again || ec == asio::error::network_unreachable ||
      ec == asio::error::host_unreachable) {
    return make_error(ErrorCode::kUnavailable, message);
  }
  if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
      ec != http::error::end_of_stream) {
    return make_error(ErrorCode::kCorrupt, message);
  }
  return make_error(ErrorCode::kIo, message);
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(text) + "' is not HOST:PORT");
  }
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(text) + "': port '" + std::string(port_text) +
                          "' is not a number in 0..65535");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

Result<HttpResponse> http_request(std::string_view method, const HostPort& to,
                                  std::string_view target, std::string_view body,
                                  Duration timeout) {
  const http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown) {
    return make_error(ErrorCode::kInvalidArgument, "unknown HTTP method '" + std::string(method) + "'");
  }
  const std::string where = "http://" + to_string(to) + std::string(target);
  asio::io_context io{1};
  beast::tcp_stream stream(io);
  tcp::resolver resolver(io);
  beast::flat_buffer buffer;
  http::request<http::string_body> request{verb, std::string(target), 11};
  request.set(http::field::host, to.host);
  request.set(http::field::user_agent, "orbit");
  request.set(http::field::connection, "close");
  if (!body.empty() || verb == http::verb::post || verb == http::verb::put) {
    request.set(http::field::content_type, "application/json");
    request.body() = std::string(body);
    request.prepare_payload();
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);

  std::optional<Error> failure;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
  const auto fail = [&](const error_code& ec, const char* step) {
    failure = exchange_error(ec, where, step);
  };
  // Resolution goes through the same deadline (the resolver has no timeout of its own).
  asio::steady_timer resolve_timer(io);
  resolve_timer.expires_at(deadline);
  bool resolved = false;
  resolve_timer.async_wait([&](const error_code& ec) {
    if (!ec && !resolved) {
      resolver.cancel();
      failure = make_error(ErrorCode::kTimeout, "resolve " + where + ": timed out");
    }
  });
  resolver.async_resolve(to.host, std::to_string(to.port), [&](const error_code& ec,
                                                                tcp::resolver::results_type results) {
    resolved = true;
    resolve_timer.cancel();
    if (failure) return;
    if (ec) return fail(ec, "resolve");
    stream.expires_at(deadline);
    stream.async_connect(results, [&](const error_code& connect_ec, const tcp::endpoint&) {
      if (connect_ec) return fail(connect_ec, "connect to");
      stream.expires_at(deadline);
      http::async_write(stream, request, [&](const error_code& write_ec, size_t) {
        if (write_ec) return fail(write_ec, "send request to");
        stream.expires_at(deadline);
        http::async_read(stream, buffer, parser, [&](const error_code& read_ec, size_t) {
          if (read_ec == http::error::body_limit) {
            failure = make_error(ErrorCode::kCorrupt, "response from " + where + " exceeds 64 MiB");
            return;
          }
          if (read_ec) return fail(read_ec, "read response from");
        });
      });
    });
  });
  io.run();
  if (failure) return *failure;
  http::response<http::string_body> message = parser.release();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  if (auto it = message.find(http::field::content_type); it != message.end()) {
    response.content_type = std::string(it->value());
  } else {
    response.content_type.clear();
  }
  response.body = std::move(message.body());
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return response;
}

}  // namespace orbit::real
