// (test only) A small fixture for writing typed histories by hand in checker tests: client
// ops by op id, runtime events with the fields the runtime records, and faults, each
// returning the index of the event it recorded. Functions, types and errors are spelled
// by their history names ("write", "ok", "rejected") so tests read like the histories.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "history/history.h"
#include "history/sha256.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/checkers/client_ops.h"

namespace orbit::checkers::testing {

constexpr int64_t ms(int64_t n) { return n * 1'000'000; }
constexpr int64_t sec(int64_t n) { return n * 1'000'000'000; }

// A register's "null": no value.
inline constexpr std::nullopt_t kNull = std::nullopt;

template <class E>
E named(std::string_view name) {
  const std::optional<E> value = history::parse_enum<E>(name);
  assert(value.has_value() && "not a name of this enum");
  return *value;
}

// A stand-in digest for a short label ("aaa"): the label's bytes, zero-padded. Distinct
// labels give distinct digests, which is all the checkers compare.
inline history::Sha256 digest(std::string_view label) {
  history::Sha256 out;
  for (size_t i = 0; i < label.size() && i < out.bytes.size(); ++i) out.bytes[i] = static_cast<uint8_t>(label[i]);
  return out;
}
// The hex a checker reports for digest(label).
inline std::string hex(std::string_view label) { return history::to_hex(digest(label)); }

class TestHistory {
 public:
  history::History history;

  history::Sym sym(std::string_view s) { return history.intern(s); }

  size_t event(int64_t t, int64_t node, history::Payload payload) {
    history.append(t, node, std::move(payload));
    return history.size() - 1;
  }
  // Appends an event of another history (its names re-interned here).
  size_t copy(const TestHistory& from, const history::Event& e) {
    history.append_from(from.history, e);
    return history.size() - 1;
  }

  // --- Client ops (node 100 is the client's) ---------------------------------------------
  size_t invoke(int64_t t, int64_t op, const std::string& process, const std::string& actor, std::string_view f,
                history::OptInt value = kNull, history::OptInt expected = kNull) {
    ops_[op] = {process, actor};
    return event(t, kClientNode,
                 history::OpInvoke{sym(process), op, sym(actor), named<history::OpFunction>(f), value, expected});
  }
  size_t invoke_cas(int64_t t, int64_t op, const std::string& process, const std::string& actor,
                    history::OptInt expected, history::OptInt value) {
    return invoke(t, op, process, actor, "cas", value, expected);
  }
  size_t complete(int64_t t, int64_t op, std::string_view type, history::OptInt value = kNull,
                  bool precondition_failed = false) {
    const auto& [process, actor] = ops_.at(op);
    return event(t, kClientNode,
                 history::OpComplete{sym(process), op, sym(actor), named<history::OpType>(type), value, sym(""),
                                     precondition_failed});
  }
  // An op invoked at `from` and completed at `to`.
  void op(int64_t from, int64_t to, int64_t id, const std::string& process, const std::string& actor,
          std::string_view f, history::OptInt value, std::string_view type, history::OptInt result = kNull) {
    invoke(from, id, process, actor, f, value);
    complete(to, id, type, result);
  }
  void cas(int64_t from, int64_t to, int64_t id, const std::string& process, const std::string& actor,
           history::OptInt expected, history::OptInt value, std::string_view type) {
    invoke_cas(from, id, process, actor, expected, value);
    complete(to, id, type);
  }

  // --- Runtime events ----------------------------------------------------------------------
  size_t acquire(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t version,
                 int64_t valid_for_ns) {
    return event(t, node, history::LeaseAcquired{sym(actor), sym(holder), version, Duration(valid_for_ns)});
  }
  size_t renew(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t version,
               int64_t valid_for_ns) {
    return event(t, node, history::LeaseRenewed{sym(actor), sym(holder), version, Duration(valid_for_ns)});
  }
  size_t activation(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t token,
                    int64_t state_version) {
    return event(t, node, history::Activation{sym(actor), sym(holder), token, state_version});
  }
  size_t deactivation(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t token,
                      const std::string& reason = "idle") {
    return event(t, node, history::Deactivation{sym(actor), sym(holder), token, sym(reason)});
  }
  size_t snapshot_write(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t version,
                        int64_t token, std::string_view sha, bool ok, std::string_view error = "") {
    const history::StoreError code = ok ? history::StoreError::kNone : named<history::StoreError>(error);
    return event(t, node, history::SnapshotWrite{sym(actor), sym(holder), version, token, digest(sha), ok, code});
  }
  size_t snapshot_write_begin(int64_t t, int64_t node, const std::string& actor, const std::string& holder,
                              int64_t version, int64_t token, std::string_view sha) {
    return event(t, node, history::SnapshotWriteBegin{sym(actor), sym(holder), version, token, digest(sha)});
  }
  size_t snapshot_read_begin(int64_t t, int64_t node, const std::string& actor, const std::string& holder) {
    return event(t, node, history::SnapshotReadBegin{sym(actor), sym(holder)});
  }
  size_t snapshot_load(int64_t t, int64_t node, const std::string& actor, int64_t version, std::string_view sha,
                       std::string_view loaded_sha, bool verified = true, const std::string& holder = "") {
    return event(t, node,
                 history::SnapshotLoad{sym(actor), sym(holder), version, digest(sha), digest(loaded_sha), verified,
                                       /*newest=*/true});
  }
  size_t integrity_failure(int64_t t, int64_t node, const std::string& actor, int64_t version) {
    return event(t, node,
                 history::SnapshotIntegrityFailure{sym(actor), sym(""), version, digest("e"), digest("a"), sym("")});
  }

  // --- Faults ------------------------------------------------------------------------------
  size_t crash(int64_t t, int64_t node) { return event(t, node, history::Crash{0, sym("")}); }
  size_t drift(int64_t t, int64_t node, int64_t ppm) { return event(t, node, history::ClockDrift{ppm}); }

 private:
  static constexpr int64_t kClientNode = 100;
  std::map<int64_t, std::pair<std::string, std::string>> ops_;  // op -> (process, actor)
};

// Runs one checker the way run_all_checkers does: client ops paired once, then check().
inline CheckResult run(const Checker& checker, const history::History& history, const CheckContext& context = {}) {
  const ClientOps ops = read_client_ops(history);
  return checker.check(CheckInput{history, ops}, context);
}
inline CheckResult run(const Checker& checker, const TestHistory& h, const CheckContext& context = {}) {
  return run(checker, h.history, context);
}

}  // namespace orbit::checkers::testing
