// Invariant checkers: each reads one recorded history::History (never runtime internals), so the
// same checker judges a simulated run and a real-mode run. A checker returns a typed outcome:
// pass, violation (with the events involved, as indices into history.events()), or unknown
// (it could not decide: a search limit, a malformed event, a history that ends too early).
// Never a bare bool: "unknown" must not be mistaken for "pass".
//
// Determinism: a checker's result is a function of the history and the context alone. No wall
// clock, no randomness, no hash-container iteration deciding anything; searches are capped by
// a step count, never by elapsed time.
//
// Ordering convention: "before"/"after" between events means history order (event index).
// The recorder appends events in causal order, including events stamped with the same true
// time; durations (bounds, lease validity) use the events' true times.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "history/history.h"

namespace orbit::checkers {

enum class Verdict { kPass, kViolation, kUnknown };

std::string_view to_string(Verdict verdict);

// One party to a lease or activation conflict, as structured data for reports and timelines.
struct HolderRef {
  std::string holder;                    // the activation's holder id ("n2.b1.a1")
  int64_t node = 0;                      // the node it ran on
  std::optional<int64_t> lease_version;  // the lease version (fencing token) it held, if known
  size_t event = 0;                      // index of the event that started its claim
};

// A snapshot a violation is about: what was loaded (or accepted) and what should have been.
struct SnapshotRef {
  std::string actor;
  int64_t version = 0;
  std::string sha256;           // the bytes' hash as loaded/accepted; empty if not known
  std::string expected_sha256;  // the acknowledged write's hash at that version; empty if none
  size_t event = 0;             // index of the load (or accepting write) event
};

struct Violation {
  std::string explanation;
  // Indices into history.events() of the events involved, ascending.
  std::vector<size_t> events;
  // "kind/id" of the actor concerned, or empty when the violation is not about one actor.
  std::string actor;
  // Lease exclusivity / single activation: the overlapping holders (older first).
  std::vector<HolderRef> holders;
  // Snapshot integrity: the snapshot concerned.
  std::optional<SnapshotRef> snapshot;
};

struct CheckResult {
  std::string checker;
  Verdict verdict = Verdict::kUnknown;
  std::vector<Violation> violations;
  // What was checked ("412 ops on 8 actors"), and why the verdict is unknown when it is.
  std::string note;
};

struct CheckContext {
  // Faults are healed and clocks resynced from this true time on (the liveness phase).
  // INT64_MAX: the run has no liveness phase.
  int64_t liveness_start_ns = std::numeric_limits<int64_t>::max();
  // Every client op invoked in the liveness phase must complete "ok" within this (true ns).
  int64_t liveness_bound_ns = 10'000'000'000;
  // A duplicate activation must be gone by liveness_start_ns + this (true ns).
  int64_t duplicate_detection_bound_ns = 30'000'000'000;
  // Total search steps the linearizability checker may spend on one history (all actors).
  // A step count, never a wall-time cap, so a verdict does not depend on the machine.
  uint64_t max_search_steps = 2'000'000;
  // On a quiet network a directory registration reaches the owner within this (true ns).
  int64_t directory_handoff_bound_ns = 200'000'000;
};

// A safety checker judges what must never happen; a liveness checker judges what must
// eventually happen once faults heal. A run's outcome tells them apart.
enum class CheckerClass { kSafety, kLiveness };

std::string_view to_string(CheckerClass checker_class);

struct ClientOps;  // client_ops.h

// What a checker reads: the history, and its client ops paired once per run (several
// checkers need them; pairing is a pass over the whole history).
struct CheckInput {
  const history::History& history;
  const ClientOps& ops;
};

class Checker {
 public:
  virtual ~Checker() = default;
  // Stable, snake_case; the registry is sorted by it.
  virtual std::string_view name() const = 0;
  virtual CheckerClass checker_class() const = 0;
  // Relative cost: a judge runs lower first. The linearizability search (bounded by a step
  // budget) is the highest.
  virtual int cost_order() const = 0;
  // Pure: the same history and context give the same result. input.ops must be
  // read_client_ops(input.history).
  virtual CheckResult check(const CheckInput& input, const CheckContext& context) const = 0;
};

// The registry: one instance of every checker, sorted by name.
std::vector<std::unique_ptr<Checker>> all_checkers();

// The registered checker called `name` (a static registry instance), or nullptr.
const Checker* find_checker(std::string_view name);

// nullopt when every name is registered, else "unknown checker 'x' (known: a, b, ...)"
// naming the first unknown one.
std::optional<std::string> validate_checker_names(const std::vector<std::string>& names);

// Runs every registered checker over one history, in registry order, pairing its client ops
// once.
std::vector<CheckResult> run_all_checkers(const history::History& history, const CheckContext& context);

}  // namespace orbit::checkers
