// The `judge` subcommand of orbit-sim and orbit-cluster: one history file (JSON Lines,
// reports/history_jsonl.h), one scenario's required checkers, the shared judge
// (scenarios/judge.h) under the liveness window the history records. Both tools call this
// one function, so the same history file gets the same verdict and the same bytes on
// stdout whichever tool judges it.
#pragma once

#include <cstdint>
#include <string>

#include "scenarios/judge.h"

namespace orbit::reports {

// The verdict as text: the outcome, one line per checker (verdict and note), and each
// violation's actor, explanation and event indices.
std::string format_judgement(const scenarios::Judgement& judgement);

struct JudgeFileOptions {
  std::string history_path;
  std::string scenario;
  // The judge's search budgets; 0: the simulator's (scenarios::JudgeSpec defaults).
  uint64_t search_steps = 0;
};

// Prints format_judgement on stdout. Returns 0 (pass), 1 (a violation, or unknown), 2 (an
// unreadable or malformed history, an unknown scenario: the message on stderr starts with
// `tool`).
int judge_history_file(const std::string& tool, const JudgeFileOptions& options);

}  // namespace orbit::reports
