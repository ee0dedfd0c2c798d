#include "scenarios/workload/clients.h"

#include "runtime/env/sleep.h"
#include "scenarios/workload/kinds.h"

namespace orbit::scenarios {
namespace {

// The definite failures: the runtime guarantees the call did not take effect.
bool definitely_not_applied(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kRejected ||
         error.code == ErrorCode::kInvalidArgument || error.code == ErrorCode::kCorrupt ||
         error.code == ErrorCode::kOverloaded;
}

// One operation as the history names it: the client's process and the actor, as Syms of
// the node's recorder.
struct Op {
  history::Sym process;
  int64_t id;
  history::Sym actor;
};

// Records the invoke. `value`: a write's value, an add's amount, a CAS's new value;
// `expected`: a CAS's expected value (empty: "unset").
Op invoke(node::OrbitNode& node, ClientShared& shared, history::Sym process, std::string_view kind,
          const std::string& id, history::OpFunction f, history::OptInt value = {}, history::OptInt expected = {}) {
  env::Recorder& recorder = node.env().recorder;
  Op op{process, static_cast<int64_t>(shared.next_op++), recorder.intern(std::string(kind) + "/" + id)};
  recorder.record(history::OpInvoke{op.process, op.id, op.actor, f, value, expected});
  return op;
}

// Records the completion. `value`: a read's result (empty: unset); `error`: why not ok.
void complete(node::OrbitNode& node, const Op& op, history::OpType type, history::OptInt value = {},
              std::string_view error = "", bool precondition_failed = false) {
  env::Recorder& recorder = node.env().recorder;
  recorder.record(
      history::OpComplete{op.process, op.id, op.actor, type, value, recorder.intern(error), precondition_failed});
}

history::OpType failure_type(const Error& error) {
  return definitely_not_applied(error) ? history::OpType::kFail : history::OpType::kInfo;
}

Task<void> think(node::OrbitNode& node, const ClientOptions& options) {
  co_await sleep(node.env().executor, node.env().random.duration_between(options.think_min, options.think_max));
}

}  // namespace

Task<void> register_client(node::OrbitNode& node, std::string process, ClientOptions options,
                           std::shared_ptr<ClientShared> shared) {
  env::Random& random = node.env().random;
  const history::Sym process_sym = node.env().recorder.intern(process);
  while (!shared->stopped) {
    co_await think(node, options);
    if (shared->stopped) break;
    const std::string id = options.ids[random.below(options.ids.size())];
    const double dice = random.unit();
    RegisterRequest request;
    history::OpFunction f = history::OpFunction::kRead;
    history::OptInt op_value;
    history::OptInt op_expected;
    if (dice < options.read_share) {
      request.op = RegisterOp::kRead;
    } else if (dice < 1.0 - options.cas_share) {
      f = history::OpFunction::kWrite;
      const int64_t v = static_cast<int64_t>(shared->next_value++);
      request.op = RegisterOp::kWrite;
      request.value = v;
      op_value = v;
    } else {
      f = history::OpFunction::kCas;
      const int64_t expected = static_cast<int64_t>(random.below(shared->next_value + 1));
      const int64_t v = static_cast<int64_t>(shared->next_value++);
      request.op = RegisterOp::kCas;
      if (expected != 0) request.expected = expected;  // 0: "never written"
      request.value = v;
      op_value = v;
      if (expected != 0) op_expected = expected;
    }
    const Op op = invoke(node, *shared, process_sym, RegisterActor::kKind, id, f, op_value, op_expected);
    Result<RegisterReply> reply = co_await node.actors().get<RegisterActor>(id).call(request, options.op_timeout);
    if (reply.ok()) {
      if (f == history::OpFunction::kRead) {
        complete(node, op, history::OpType::kOk, reply->value);
      } else if (reply->applied) {
        complete(node, op, history::OpType::kOk);
      } else {
        complete(node, op, history::OpType::kFail, {}, "cas mismatch", /*precondition_failed=*/true);
      }
    } else {
      complete(node, op, failure_type(reply.error()), {}, to_string(reply.error()));
    }
  }
}

Task<void> counter_client(node::OrbitNode& node, std::string process, ClientOptions options,
                          std::shared_ptr<ClientShared> shared) {
  env::Random& random = node.env().random;
  const history::Sym process_sym = node.env().recorder.intern(process);
  while (!shared->stopped) {
    co_await think(node, options);
    if (shared->stopped) break;
    const std::string id = options.ids[random.below(options.ids.size())];
    const bool read = random.chance(options.read_share);
    const Op op = invoke(node, *shared, process_sym, CounterActor::kKind, id,
                         read ? history::OpFunction::kRead : history::OpFunction::kAdd,
                         read ? history::OptInt() : history::OptInt(1));
    Result<int64_t> reply = co_await node.actors().get<CounterActor>(id).call(read ? 0 : 1, options.op_timeout);
    if (reply.ok()) {
      complete(node, op, history::OpType::kOk, read ? history::OptInt(*reply) : history::OptInt());
    } else {
      complete(node, op, failure_type(reply.error()), {}, to_string(reply.error()));
    }
  }
}

}  // namespace orbit::scenarios
