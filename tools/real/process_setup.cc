#include "tools/real/process_setup.h"

#include <cstdio>
#include <cstdlib>
#include <random>

#include <spdlog/sinks/stdout_sinks.h>

#include "runtime/real/http_client.h"

namespace orbit::tools {

void die(std::string_view program, int code, const std::string& message) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(), message.c_str());
  std::exit(code);
}

Result<real::PeerTable> parse_peers(const std::vector<std::string>& specs, env::NodeId self) {
  real::PeerTable table;
  for (const std::string& spec : specs) {
    auto bad = [&](const std::string& why) { return Error{ErrorCode::kInvalidArgument, "--peer " + spec + ": " + why}; };
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) return bad("expected ID=HOST:PORT");
    const std::string id_text = spec.substr(0, eq);
    if (id_text.empty() || id_text.size() > 10 || id_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(id_text) > UINT32_MAX) {
      return bad("the node id must be a non-negative 32-bit integer");
    }
    const auto id = static_cast<env::NodeId>(std::stoull(id_text));
    if (id == self) return bad("that is this process's own --id");
    Result<real::HostPort> address = real::parse_host_port(spec.substr(eq + 1));
    if (!address) return bad(address.error().message);
    if (table.contains(id)) return bad("node " + id_text + " given twice");
    table[id] = *address;
  }
  return table;
}

Result<std::shared_ptr<spdlog::logger>> make_logger(const std::string& program, std::string_view role, env::NodeId id,
                                                    const std::string& level) {
  const spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    return Error{ErrorCode::kInvalidArgument, "--log-level " + level + ": expected trace, debug, info, warn, error or off"};
  }
  auto logger = spdlog::stderr_logger_mt(program);
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l node=" + std::to_string(id) + " role=" + std::string(role) +
                          " msg=\"%v\"",
                      spdlog::pattern_time_type::utc);
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

env::Random os_seeded_random(env::NodeId id) {
  std::random_device entropy;
  return env::Random((uint64_t{entropy()} << 32) ^ entropy() ^ id);
}

Result<std::unique_ptr<real::TcpTransport>> open_transport(real::AsioExecutor& executor, env::NodeId self,
                                                           real::HostPort listen, real::PeerTable peers,
                                                           env::Random& random, std::shared_ptr<spdlog::logger> log) {
  real::TcpTransportOptions options;
  options.self = self;
  options.listen = std::move(listen);
  options.peers = std::move(peers);
  // Restarted peers come back within a second on loopback: retry at least that often.
  options.reconnect_backoff_max = std::chrono::milliseconds(500);
  auto transport = real::TcpTransport::open(executor, options, random.fork());
  if (!transport) return transport.error();
  (*transport)->set_log_handler([log](real::TcpTransport::LogLevel level, std::string_view message) {
    switch (level) {
      case real::TcpTransport::LogLevel::kInfo: log->debug("{}", message); break;
      case real::TcpTransport::LogLevel::kWarning: log->info("{}", message); break;
      case real::TcpTransport::LogLevel::kError: log->error("{}", message); break;
    }
  });
  return transport;
}

}  // namespace orbit::tools
