#include "runtime/real/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/env/sleep.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/http_client.h"

namespace orbit::real {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The server runs on an executor thread; the blocking client runs on the test thread, as
// orbit-cli does against a store.
class HttpServerTest : public ::testing::Test {
 protected:
  ~HttpServerTest() override { stop(); }

  void start(HttpHandler handler, HttpServerOptions options = {}) {
    auto opened = HttpServer::open(ex_, HostPort{"127.0.0.1", 0}, std::move(handler), options);
    ASSERT_TRUE(opened.ok()) << to_string(opened.error());
    server_ = std::move(opened).value();
    port_ = server_->local_port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { ex_.run(); });
  }

  // Joins the executor thread, then closes the server (allowed while nothing runs).
  void stop() {
    if (thread_.joinable()) {
      ex_.stop();
      thread_.join();
    }
    if (server_) server_->close();
    server_.reset();
    ex_.run_for(20ms);  // aborted completions
  }

  Result<HttpResponse> get(const std::string& target, Duration timeout = 5s) {
    return http_request("GET", HostPort{"127.0.0.1", port_}, target, "", timeout);
  }

  // Sends raw bytes and returns everything the server writes until it closes (or 5 s).
  std::string raw_exchange(const std::string& bytes) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    asio::write(socket, asio::buffer(bytes));
    std::string out;
    std::array<char, 4096> chunk{};
    boost::system::error_code ec;
    timeval tv{5, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (true) {
      const size_t n = socket.read_some(asio::buffer(chunk), ec);
      if (ec) break;
      out.append(chunk.data(), n);
    }
    return out;
  }

  AsioExecutor ex_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

Task<HttpResponse> echo(HttpRequest request) {
  co_return HttpResponse{200, "application/json",
                         request.method + " " + request.target + " [" + request.body + "]"};
}

TEST_F(HttpServerTest, AnswersGetAndPostWithTheHandlersResponse) {
  start(echo);
  Result<HttpResponse> got = get("/leases?kind=counter");
  ASSERT_TRUE(got.ok()) << to_string(got.error());
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->content_type, "application/json");
  EXPECT_EQ(got->body, "GET /leases?kind=counter []");

  Result<HttpResponse> posted = http_request("POST", HostPort{"127.0.0.1", port_},
                                             "/admin/partition", R"({"blocked":[2]})", 5s);
  ASSERT_TRUE(posted.ok()) << to_string(posted.error());
  EXPECT_EQ(posted->body, R"(POST /admin/partition [{"blocked":[2]}])");
}

TEST_F(HttpServerTest, HandlerRunsOnTheExecutorThreadAndMayAwait) {
  std::atomic<bool> on_executor{false};
  start([&](HttpRequest) -> Task<HttpResponse> {
    return [](std::atomic<bool>* flag, AsioExecutor* ex) -> Task<HttpResponse> {
      flag->store(env::current_executor() == ex);
      co_await sleep(20ms);  // resumes through the executor's timer
      co_return HttpResponse{404, "text/plain", "nothing here"};
    }(&on_executor, &ex_);
  });
  Result<HttpResponse> got = get("/missing");
  ASSERT_TRUE(got.ok()) << to_string(got.error());
  EXPECT_EQ(got->status, 404);
  EXPECT_EQ(got->body, "nothing here");
  EXPECT_TRUE(on_executor.load());
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500AndServerKeepsServing) {
  start([](HttpRequest request) -> Task<HttpResponse> {
    if (request.target == "/boom") throw std::runtime_error("kaboom");
    return echo(std::move(request));
  });
  Result<HttpResponse> boom = get("/boom");
  ASSERT_TRUE(boom.ok());
  EXPECT_EQ(boom->status, 500);
  EXPECT_NE(boom->body.find("kaboom"), std::string::npos);
  Result<HttpResponse> fine = get("/fine");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine->status, 200);
}

TEST_F(HttpServerTest, MalformedRequestGets400) {
  start(echo);
  const std::string reply = raw_exchange("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  const std::string bad_header = raw_exchange("GET / HTTP/1.1\r\nno colon here\r\n\r\n");
  EXPECT_EQ(bad_header.rfind("HTTP/1.1 400", 0), 0u) << bad_header;
  // Still serving afterwards.
  ASSERT_TRUE(get("/").ok());
}

TEST_F(HttpServerTest, OversizedBodyGets413AndOversizedHeadersGet431) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  options.max_header_bytes = 2000;
  start(echo, options);
  Result<HttpResponse> big = http_request("POST", HostPort{"127.0.0.1", port_}, "/x",
                                          std::string(5000, 'x'), 5s);
  // The server answers 413 as soon as it sees the Content-Length; the client may or may not
  // have finished writing the body by then, so a reset is acceptable too.
  if (big.ok()) {
    EXPECT_EQ(big->status, 413);
  } else {
    EXPECT_EQ(big.code(), ErrorCode::kIo) << to_string(big.error());
  }
  const std::string reply = raw_exchange("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 999999\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  const std::string headers =
      raw_exchange("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4000, 'h') + "\r\n\r\n");
  EXPECT_EQ(headers.rfind("HTTP/1.1 431", 0), 0u) << headers;
  Result<HttpResponse> small = http_request("POST", HostPort{"127.0.0.1", port_}, "/x",
                                            std::string(900, 'y'), 5s);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->status, 200);
}

TEST_F(HttpServerTest, IdleAndSlowConnectionsAreClosedAfterTheReadTimeout) {
  HttpServerOptions options;
  options.read_timeout = 200ms;
  start(echo, options);
  const auto began = std::chrono::steady_clock::now();
  // Half a request, then silence: closed without a response.
  EXPECT_EQ(raw_exchange("GET / HTTP/1.1\r\nHost: a\r\n"), "");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);
  ASSERT_TRUE(get("/").ok());
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapAreClosed) {
  HttpServerOptions options;
  options.max_connections = 2;
  start(echo, options);
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<tcp::socket>(io));
    held.back()->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  }
  // Let the server accept both before the third arrives.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(raw_exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), "") << "a third connection is refused";
  held.clear();
  std::this_thread::sleep_for(100ms);
  Result<HttpResponse> after = get("/");
  ASSERT_TRUE(after.ok()) << to_string(after.error());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start(echo);
  const std::string reply = raw_exchange(
      "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /two HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("GET /one []"), std::string::npos) << reply;
  EXPECT_NE(reply.find("GET /two []"), std::string::npos) << reply;
}

TEST_F(HttpServerTest, ServesConcurrentConnections) {
  // Each handler waits 200 ms; 16 clients at once finish in far less than 16 * 200 ms only
  // if the server interleaves them on its single thread.
  start([](HttpRequest request) -> Task<HttpResponse> {
    return [](HttpRequest r) -> Task<HttpResponse> {
      co_await sleep(200ms);
      co_return HttpResponse{200, "text/plain", r.target};
    }(std::move(request));
  });
  constexpr int kClients = 16;
  std::vector<std::thread> clients;
  std::vector<std::string> bodies(kClients);
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Result<HttpResponse> got = get("/c" + std::to_string(i));
      if (got.ok()) bodies[i] = got->body;
    });
  }
  for (auto& t : clients) t.join();
  const auto took = std::chrono::steady_clock::now() - began;
  for (int i = 0; i < kClients; ++i) EXPECT_EQ(bodies[i], "/c" + std::to_string(i));
  EXPECT_LT(took, 2s);
}

TEST_F(HttpServerTest, ClientTimesOutOnASlowHandler) {
  start([](HttpRequest) -> Task<HttpResponse> {
    return []() -> Task<HttpResponse> {
      co_await sleep(5s);
      co_return HttpResponse{};
    }();
  });
  const auto began = std::chrono::steady_clock::now();
  Result<HttpResponse> got = get("/slow", 200ms);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.code(), ErrorCode::kTimeout) << to_string(got.error());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
}

TEST_F(HttpServerTest, ClosedServerRefusesConnections) {
  start(echo);
  ASSERT_TRUE(get("/").ok());
  stop();
  Result<HttpResponse> got = get("/");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.code(), ErrorCode::kUnavailable) << to_string(got.error());
  EXPECT_NE(got.error().message.find("127.0.0.1:" + std::to_string(port_)), std::string::npos);
}

TEST_F(HttpServerTest, CloseDestroysHandlersInFlight) {
  std::atomic<bool> entered{false};
  start([&](HttpRequest) -> Task<HttpResponse> {
    return [](std::atomic<bool>* flag) -> Task<HttpResponse> {
      flag->store(true);
      co_await sleep(60s);
      co_return HttpResponse{};
    }(&entered);
  });
  std::thread client([&] {
    Result<HttpResponse> got = get("/hang", 10s);
    EXPECT_FALSE(got.ok());  // the connection is closed without a response
  });
  while (!entered.load()) std::this_thread::sleep_for(1ms);
  const auto began = std::chrono::steady_clock::now();
  stop();
  client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

TEST(HttpServerOpen, RejectsBadAddresses) {
  AsioExecutor ex;
  auto bad_host = HttpServer::open(ex, HostPort{"not-an-ip", 0},
                                   [](HttpRequest r) { return echo(std::move(r)); });
  ASSERT_FALSE(bad_host.ok());
  EXPECT_EQ(bad_host.code(), ErrorCode::kInvalidArgument);
  auto first = HttpServer::open(ex, HostPort{"127.0.0.1", 0}, echo);
  ASSERT_TRUE(first.ok());
  auto clash = HttpServer::open(ex, HostPort{"127.0.0.1", (*first)->local_port()}, echo);
  // SO_REUSEADDR does not allow two listeners on one port.
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.code(), ErrorCode::kIo);
  EXPECT_NE(clash.error().message.find("bind"), std::string::npos) << clash.error().message;
}

TEST(HttpTargets, PathAndQueryParameters) {
  EXPECT_EQ(target_path("/leases?kind=a"), "/leases");
  EXPECT_EQ(target_path("/state/k/1"), "/state/k/1");
  EXPECT_EQ(query_param("/leases?kind=count%20er&x=1", "kind"), "count er");
  EXPECT_EQ(query_param("/leases?x=1&kind=b+c", "kind"), "b c");
  EXPECT_EQ(query_param("/leases?flag", "flag"), "");
  EXPECT_EQ(query_param("/leases", "kind"), std::nullopt);
  EXPECT_EQ(query_param("/leases?kinds=a", "kind"), std::nullopt);
}

TEST(HostPortParsing, AcceptsHostColonPortAndNamesBadInput) {
  Result<HostPort> ok = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->host, "127.0.0.1");
  EXPECT_EQ(ok->port, 8080);
  Result<HostPort> v6 = parse_host_port("[::1]:9");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"nohost", ":80", "host:", "host:99999", "host:8x"}) {
    Result<HostPort> r = parse_host_port(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace orbit::real
