// env::Recorder: where runtime code reports what happened, for the run's history (lease
// grants as the holder sees them, activations, snapshot writes and loads, client calls).
// Events are typed (history/event.h): no call site builds JSON to record something. The
// simulator stamps each event with true time and the node and appends it to the run's
// history::History; real mode stamps it with the run's common true time and writes a
// JSON Lines file. Checkers read only these histories.
#pragma once

#include <string_view>

#include "history/event.h"

namespace orbit::env {

class Recorder {
 public:
  virtual ~Recorder() = default;
  // The Sym naming `s` in this recorder's string table (first use adds it). A Sym is only
  // valid for the recorder that made it; keep it as long as the recorder lives.
  virtual history::Sym intern(std::string_view s) = 0;
  // Appends one event. Its Syms must come from intern() of this recorder.
  virtual void record(history::Payload event) = 0;
};

// Drops everything (tests that do not look at histories).
class NullRecorder final : public Recorder {
 public:
  history::Sym intern(std::string_view) override { return {}; }
  void record(history::Payload) override {}
};

}  // namespace orbit::env
