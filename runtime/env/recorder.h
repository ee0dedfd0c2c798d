// env::Recorder: where runtime code reports what happened, for the run's history (lease
// grants as the holder sees them, activations, snapshot writes and loads, client calls).
// The simulator stamps each record with true time and the node; real mode stamps it with
// the node's wall clock and writes JSON Lines. Checkers read only these histories.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace orbit::env {

class Recorder {
 public:
  virtual ~Recorder() = default;
  // Appends one event. `data` must be a JSON object; keep it small and canonical (no
  // addresses, no unordered iteration): it feeds the simulator's trace hash.
  virtual void record(std::string kind, nlohmann::json data) = 0;
};

// Drops everything (tests that do not look at histories).
class NullRecorder final : public Recorder {
 public:
  void record(std::string, nlohmann::json) override {}
};

}  // namespace orbit::env
