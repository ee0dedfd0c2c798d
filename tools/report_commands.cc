#include "tools/report_commands.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "reports/history_export.h"
#include "reports/run_report.h"
#include "reports/timeline.h"

namespace orbit::tools {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;

bool write_out(const std::string& path, const std::string& text, const char* command) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return static_cast<bool>(std::cout.flush());
  }
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.flush();
  if (!out) {
    std::fprintf(stderr, "orbit-sim %s: cannot write %s\n", command, path.c_str());
    return false;
  }
  return true;
}

}  // namespace

ReportCommands::ReportCommands(CLI::App& app) {
  timeline_ = app.add_subcommand("timeline", "Draw a report.json as one self-contained HTML timeline");
  timeline_->add_option("report", report_path_, "report.json path")->required();
  timeline_->add_option("-o,--out", out_path_, "HTML file to write (default: the report's path with .html)");
  timeline_->add_option("--max-arrows", max_messages_, "message arrows kept in the file (the rest sampled out)")
      ->check(CLI::Range(size_t{1}, size_t{10'000'000}));

  export_ = app.add_subcommand("export", "Export a report's history: JSON Lines of every event, or the register history as Jepsen EDN");
  export_->add_option("report", report_path_, "report.json path")->required();
  export_->add_option("--format", format_, "jsonl (every event) or edn (register operations, Jepsen form)")
      ->check(CLI::IsMember({"jsonl", "edn"}));
  export_->add_option("-o,--out", out_path_, "file to write (default: standard output)");
  export_->add_option("--actor", actor_, "edn: only this register, e.g. register/r0 (Knossos checks one at a time)");
}

std::optional<int> ReportCommands::run() const {
  if (timeline_->parsed()) return timeline();
  if (export_->parsed()) return export_history();
  return std::nullopt;
}

int ReportCommands::timeline() const {
  auto loaded = reports::load_report_with_history(report_path_);
  if (!loaded) {
    std::fprintf(stderr, "orbit-sim timeline: %s\n", loaded.error().message.c_str());
    return kExitUsage;
  }
  reports::TimelineOptions options;
  options.max_messages = max_messages_;
  options.history_source = loaded->history_source;
  std::string out = out_path_;
  if (out.empty()) {
    const std::string suffix = ".report.json";
    out = report_path_.ends_with(suffix) ? report_path_.substr(0, report_path_.size() - suffix.size()) + ".html"
                                          : report_path_ + ".html";
  }
  const std::string html = reports::timeline_html(loaded->report, loaded->history, options);
  if (!write_out(out, html, "timeline")) return kExitUsage;
  std::fprintf(stderr, "orbit-sim timeline: wrote %s (%zu bytes, %zu history events from %s)\n", out.c_str(), html.size(),
               loaded->history.size(), loaded->history_source.c_str());
  return kExitOk;
}

int ReportCommands::export_history() const {
  auto loaded = reports::load_report_with_history(report_path_);
  if (!loaded) {
    std::fprintf(stderr, "orbit-sim export: %s\n", loaded.error().message.c_str());
    return kExitUsage;
  }
  std::string text;
  if (format_ == "jsonl") {
    if (!actor_.empty()) {
      std::fprintf(stderr, "orbit-sim export: --actor applies to --format edn only\n");
      return kExitUsage;
    }
    text = reports::history_jsonl(loaded->history);
  } else {
    auto edn = reports::register_history_edn(loaded->history, actor_);
    if (!edn) {
      std::fprintf(stderr, "orbit-sim export: %s: %s\n", report_path_.c_str(), edn.error().message.c_str());
      return kExitUsage;
    }
    text = std::move(*edn);
  }
  return write_out(out_path_, text, "export") ? kExitOk : kExitUsage;
}

}  // namespace orbit::tools
