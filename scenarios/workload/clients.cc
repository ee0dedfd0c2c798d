#include "scenarios/workload/clients.h"

#include "runtime/env/sleep.h"
#include "scenarios/workload/kinds.h"

namespace orbit::scenarios {
namespace {

// The definite failures: the runtime guarantees the call did not take effect.
bool definitely_not_applied(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kRejected ||
         error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kCorrupt;
}

struct Op {
  uint64_t id;
  std::string actor;
};

Op invoke(node::OrbitNode& node, ClientShared& shared, const std::string& process, const std::string& kind,
          const std::string& id, const std::string& f, Json value) {
  Op op{shared.next_op++, kind + "/" + id};
  Json data = Json::object();
  data["process"] = process;
  data["op"] = op.id;
  data["actor"] = op.actor;
  data["f"] = f;
  data["value"] = std::move(value);
  node.env().recorder.record("op_invoke", std::move(data));
  return op;
}

void complete(node::OrbitNode& node, const std::string& process, const Op& op, const char* type, Json value,
              const std::string& error = "", bool precondition_failed = false) {
  Json data = Json::object();
  data["process"] = process;
  data["op"] = op.id;
  data["actor"] = op.actor;
  data["type"] = type;
  data["value"] = std::move(value);
  if (!error.empty()) data["error"] = error;
  if (precondition_failed) data["precondition_failed"] = true;
  node.env().recorder.record("op_complete", std::move(data));
}

Task<void> think(node::OrbitNode& node, const ClientOptions& options) {
  co_await sleep(node.env().executor, node.env().random.duration_between(options.think_min, options.think_max));
}

}  // namespace

Task<void> register_client(node::OrbitNode& node, std::string process, ClientOptions options,
                           std::shared_ptr<ClientShared> shared) {
  env::Random& random = node.env().random;
  while (!shared->stopped) {
    co_await think(node, options);
    if (shared->stopped) break;
    const std::string id = options.ids[random.below(options.ids.size())];
    const double dice = random.unit();
    Json request = Json::object();
    std::string f;
    Json op_value;
    if (dice < options.read_share) {
      f = "read";
      request["f"] = "read";
    } else if (dice < 1.0 - options.cas_share) {
      f = "write";
      const int64_t v = static_cast<int64_t>(shared->next_value++);
      request["f"] = "write";
      request["value"] = v;
      op_value = v;
    } else {
      f = "cas";
      const int64_t expected = static_cast<int64_t>(random.below(shared->next_value + 1));
      const int64_t v = static_cast<int64_t>(shared->next_value++);
      request["f"] = "cas";
      request["expected"] = expected == 0 ? Json() : Json(expected);
      request["value"] = v;
      op_value = Json::array({request["expected"], v});
    }
    const Op op = invoke(node, *shared, process, std::string(RegisterActor::kKind), id, f, op_value);
    Result<Json> reply = co_await node.actors().get<RegisterActor>(id).call(request, options.op_timeout);
    if (reply.ok()) {
      if (f == "read") {
        complete(node, process, op, "ok", (*reply)["value"]);
      } else if (reply->value("applied", false)) {
        complete(node, process, op, "ok", Json());
      } else {
        complete(node, process, op, "fail", Json(), "cas mismatch", /*precondition_failed=*/true);
      }
    } else {
      complete(node, process, op, definitely_not_applied(reply.error()) ? "fail" : "info", Json(), to_string(reply.error()));
    }
  }
}

Task<void> counter_client(node::OrbitNode& node, std::string process, ClientOptions options,
                          std::shared_ptr<ClientShared> shared) {
  env::Random& random = node.env().random;
  while (!shared->stopped) {
    co_await think(node, options);
    if (shared->stopped) break;
    const std::string id = options.ids[random.below(options.ids.size())];
    const bool read = random.chance(options.read_share);
    const Op op = invoke(node, *shared, process, std::string(CounterActor::kKind), id, read ? "read" : "add",
                         read ? Json() : Json(1));
    Result<int64_t> reply = co_await node.actors().get<CounterActor>(id).call(read ? 0 : 1, options.op_timeout);
    if (reply.ok()) {
      complete(node, process, op, "ok", read ? Json(*reply) : Json());
    } else {
      complete(node, process, op, definitely_not_applied(reply.error()) ? "fail" : "info", Json(), to_string(reply.error()));
    }
  }
}

}  // namespace orbit::scenarios
