// (test only) A small fixture for writing histories by hand in checker tests: client ops by
// op id, runtime events with the fields the runtime records, and faults, each returning the
// index of the event it recorded.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "sim/history.h"

namespace orbit::checkers::testing {

constexpr int64_t ms(int64_t n) { return n * 1'000'000; }
constexpr int64_t sec(int64_t n) { return n * 1'000'000'000; }

class TestHistory {
 public:
  sim::History history;

  size_t event(int64_t t, int64_t node, std::string kind, nlohmann::json data) {
    history.record(t, node, std::move(kind), std::move(data));
    return history.size() - 1;
  }

  // --- Client ops (node 100 is the client's) ---------------------------------------------
  size_t invoke(int64_t t, int64_t op, const std::string& process, const std::string& actor, const std::string& f,
                nlohmann::json value = nullptr) {
    ops_[op] = {process, actor};
    return event(t, kClientNode, "op_invoke",
                 {{"process", process}, {"op", op}, {"actor", actor}, {"f", f}, {"value", std::move(value)}});
  }
  size_t complete(int64_t t, int64_t op, const std::string& type, nlohmann::json value = nullptr) {
    const auto& [process, actor] = ops_.at(op);
    return event(t, kClientNode, "op_complete",
                 {{"process", process}, {"op", op}, {"actor", actor}, {"type", type}, {"value", std::move(value)}});
  }
  // An op invoked at `from` and completed at `to`.
  void op(int64_t from, int64_t to, int64_t id, const std::string& process, const std::string& actor,
          const std::string& f, nlohmann::json value, const std::string& type, nlohmann::json result = nullptr) {
    invoke(from, id, process, actor, f, std::move(value));
    complete(to, id, type, std::move(result));
  }

  // --- Runtime events ----------------------------------------------------------------------
  size_t lease(int64_t t, int64_t node, const std::string& kind, const std::string& actor, const std::string& holder,
               int64_t version, int64_t valid_for_ns) {
    return event(t, node, kind,
                 {{"actor", actor}, {"holder", holder}, {"version", version}, {"valid_for_ns", valid_for_ns}});
  }
  size_t activation(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t token,
                    int64_t state_version) {
    return event(t, node, "activation",
                 {{"actor", actor}, {"holder", holder}, {"token", token}, {"state_version", state_version}});
  }
  size_t deactivation(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t token,
                      const std::string& reason = "idle") {
    return event(t, node, "deactivation", {{"actor", actor}, {"holder", holder}, {"token", token}, {"reason", reason}});
  }
  size_t snapshot_write(int64_t t, int64_t node, const std::string& actor, const std::string& holder, int64_t version,
                        int64_t token, const std::string& sha, bool ok, const std::string& error = "") {
    return event(t, node, "snapshot_write",
                 {{"actor", actor}, {"holder", holder}, {"version", version}, {"token", token}, {"sha256", sha},
                  {"ok", ok}, {"error", ok ? "" : error}});
  }
  size_t snapshot_load(int64_t t, int64_t node, const std::string& actor, int64_t version, const std::string& sha,
                       const std::string& loaded_sha, bool verified = true) {
    return event(t, node, "snapshot_load",
                 {{"actor", actor}, {"version", version}, {"sha256", sha}, {"loaded_sha256", loaded_sha},
                  {"verified", verified}, {"newest", true}});
  }
  size_t integrity_failure(int64_t t, int64_t node, const std::string& actor, int64_t version) {
    return event(t, node, "snapshot_integrity_failure",
                 {{"actor", actor}, {"version", version}, {"expected_sha256", "e"}, {"actual_sha256", "a"}});
  }

  // --- Faults ------------------------------------------------------------------------------
  size_t crash(int64_t t, int64_t node) { return event(t, node, "crash", nlohmann::json::object()); }
  size_t drift(int64_t t, int64_t node, int64_t ppm) { return event(t, node, "clock_drift", {{"ppm", ppm}}); }

 private:
  static constexpr int64_t kClientNode = 100;
  std::map<int64_t, std::pair<std::string, std::string>> ops_;  // op -> (process, actor)
};

}  // namespace orbit::checkers::testing
