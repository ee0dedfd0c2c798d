// What every real-mode process (orbit-node, orbit-store) does the same way at start-up:
// exit with a message, read --peer tables and --log-level, seed its random source from the
// OS, and open its TCP transport with logs routed to spdlog.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "runtime/env/random.h"
#include "runtime/env/result.h"
#include "runtime/env/transport.h"
#include "runtime/real/asio_executor.h"
#include "runtime/real/tcp_transport.h"

namespace orbit::tools {

// Prints "<program>: <message>" to stderr and exits with `code` (2: bad flags or config).
[[noreturn]] void die(std::string_view program, int code, const std::string& message);

// "--peer ID=HOST:PORT" flags. Errors (kInvalidArgument) name the flag: a missing '=', an id
// that is not a non-negative 32-bit integer, `self`'s own id, a bad address, a repeated id.
Result<real::PeerTable> parse_peers(const std::vector<std::string>& specs, env::NodeId self);

// A logfmt stderr logger named `program`; kInvalidArgument for an unknown --log-level.
Result<std::shared_ptr<spdlog::logger>> make_logger(const std::string& program, std::string_view role, env::NodeId id,
                                                    const std::string& level);

// Real mode's random source: OS entropy mixed with the node id (never used by the simulator).
env::Random os_seeded_random(env::NodeId id);

// The process's TCP transport on `executor`, its log lines forwarded to `log` one level
// down (the transport's info is debug here: reconnections are routine).
Result<std::unique_ptr<real::TcpTransport>> open_transport(real::AsioExecutor& executor, env::NodeId self,
                                                           real::HostPort listen, real::PeerTable peers,
                                                           env::Random& random, std::shared_ptr<spdlog::logger> log);

}  // namespace orbit::tools
