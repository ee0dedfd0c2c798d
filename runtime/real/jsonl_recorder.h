// JsonlRecorder: real mode's env::Recorder. Each typed event (history/event.h) becomes one
// line of the history's JSON Lines form (reports/history_jsonl.h, docs/HISTORY.md):
//   {"data":{...},"kind":"<kind>","node":<id>,"t":<true time ns>}
// The recorder keeps its own string table for intern(); names are written as strings, so
// the files of different processes merge by parsing (tools/real/history_merge.h).
//
// "True time" in real mode: every process of one cluster on one machine stamps its events
// with CLOCK_REALTIME minus a common epoch the launcher hands out (--epoch-ns), so files of
// different processes merge into one order. Deliberately NOT the node's env::Clock: a clock
// fault skews that one (OsClock's offset), and the checkers need the undistorted order.
//
// Fault model: the process may be SIGKILLed at any instant. Each line goes out in a single
// write(2) on an O_APPEND descriptor, so an event the runtime has recorded is in the file
// (the page cache survives the process) and a line is never interleaved or half-written by
// the kill. A machine crash may lose the tail (no fsync: histories are test artefacts).
// A failed write is counted (write_errors()) and reported once on stderr; recording never
// throws into the runtime.
//
// Thread-safety: intern() and record() may be called from any thread (one mutex covers the
// string table and orders the lines).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "history/history.h"
#include "runtime/env/recorder.h"
#include "runtime/env/result.h"

namespace orbit::real {

// CLOCK_REALTIME in nanoseconds minus `epoch_ns`: the common "true time" of one real-mode run.
[[nodiscard]] int64_t true_time_ns(int64_t epoch_ns);

class JsonlRecorder final : public env::Recorder {
 public:
  // Opens (creating, appending to) `path`. `node` stamps every event (-1 for the launcher,
  // as history::kWorldNode). Errors: kIo naming the path.
  [[nodiscard]] static Result<std::unique_ptr<JsonlRecorder>> open(const std::string& path, int64_t node,
                                                                   int64_t epoch_ns);
  ~JsonlRecorder() override;
  JsonlRecorder(const JsonlRecorder&) = delete;
  JsonlRecorder& operator=(const JsonlRecorder&) = delete;

  history::Sym intern(std::string_view s) override;
  void record(history::Payload event) override;
  // As record(), for a different node id (the launcher records faults on the node they hit).
  void record_for(int64_t node, history::Payload event);

  [[nodiscard]] uint64_t lines_written() const { return lines_written_.load(); }
  [[nodiscard]] uint64_t write_errors() const { return write_errors_.load(); }
  [[nodiscard]] const std::string& path() const { return path_; }

  JsonlRecorder(int fd, std::string path, int64_t node, int64_t epoch_ns);

 private:
  int fd_;
  std::string path_;
  int64_t node_;
  int64_t epoch_ns_;
  std::mutex mutex_;
  history::History names_;  // the string table only (guarded by mutex_); no events
  std::atomic<uint64_t> lines_written_{0};
  std::atomic<uint64_t> write_errors_{0};
};

}  // namespace orbit::real
