// http_request: one blocking HTTP/1.1 exchange, for tools (orbit-cli, the launcher) and
// tests only; node code never blocks its executor thread on this.
//
// It runs on its own short-lived io_context, so it may be called from any thread, including
// one with no executor. `timeout` bounds the whole exchange (resolve, connect, write, read).
// Errors: kInvalidArgument for a bad method, kUnavailable when the connection is refused or
// the host cannot be resolved, kTimeout when the deadline passes, kCorrupt for a response
// that is not HTTP or exceeds 64 MiB, kIo for other socket failures. Each message names the
// address. Any HTTP status (including 4xx/5xx) is a successful exchange.
#pragma once

#include <string_view>

#include "runtime/env/result.h"
#include "runtime/env/time.h"
#include "runtime/real/http_server.h"   // HttpResponse
#include "runtime/real/tcp_transport.h"  // HostPort

namespace orbit::real {

[[nodiscard]] Result<HttpResponse> http_request(std::string_view method, const HostPort& to,
                                                std::string_view target, std::string_view body,
                                                Duration timeout);

// Parses "HOST:PORT" (the last ':' separates the port; "[v6]:port" is accepted).
// kInvalidArgument names the problem.
[[nodiscard]] Result<HostPort> parse_host_port(std::string_view text);

}  // namespace orbit::real
