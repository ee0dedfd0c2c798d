// Real mode's history merge: every process of a run (the launcher, the store, each node
// boot) writes its own JSON Lines file (runtime/real/jsonl_recorder.h), all stamped with the
// run's common true time. The checkers read one history::History, ordered by time; each
// file is parsed with reports/history_jsonl.h.
#pragma once

#include <string>
#include <vector>

#include "runtime/env/result.h"
#include "history/history.h"

namespace orbit::tools {

struct MergeStats {
  size_t files = 0;
  size_t events = 0;
  // A last line without its newline that does not parse: a write cut short by a machine
  // crash (a SIGKILL cannot cut a single write(2)). Skipped and counted, never guessed at.
  size_t torn_tail_lines = 0;
};

// Reads every file and merges the events into one history ordered by time, stably: events
// with equal times keep file order (the order of `paths`), then line order. Errors name the
// file and line (unreadable file, a malformed line that is not a torn tail).
[[nodiscard]] Result<history::History> merge_history_files(const std::vector<std::string>& paths,
                                                       MergeStats* stats = nullptr);

}  // namespace orbit::tools
