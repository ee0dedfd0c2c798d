// orbit-sim's report subcommands: `timeline` (a report drawn as one self-contained HTML file)
// and `export` (the run's history as JSON Lines, or its register history as Jepsen EDN).
// Both read a report.json and its history (docs/REPORTS.md).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace orbit::tools {

class ReportCommands {
 public:
  // Adds the `timeline` and `export` subcommands to `app`.
  explicit ReportCommands(CLI::App& app);

  // After parsing: the exit code of the subcommand that ran, or nullopt when neither was
  // given. 0 on success, 2 for a bad report, history or option (the message names it).
  std::optional<int> run() const;

 private:
  int timeline() const;
  int export_history() const;

  CLI::App* timeline_ = nullptr;
  CLI::App* export_ = nullptr;
  std::string report_path_;
  std::string out_path_;
  size_t max_messages_ = 25'000;
  std::string format_ = "jsonl";
  std::string actor_;
};

}  // namespace orbit::tools
