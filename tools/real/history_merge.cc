#include "tools/real/history_merge.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace orbit::tools {

Result<sim::History> merge_history_files(const std::vector<std::string>& paths, MergeStats* stats) {
  MergeStats local;
  std::vector<sim::HistoryEvent> all;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::kIo, "cannot read history file '" + path + "'"};
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (!text.empty() && text.back() != '\n') {
      const size_t cut = text.rfind('\n');
      const std::string tail = cut == std::string::npos ? text : text.substr(cut + 1);
      if (!sim::History::from_jsonl(tail).ok()) {
        ++local.torn_tail_lines;
        text.resize(cut == std::string::npos ? 0 : cut + 1);
      }
    }
    Result<sim::History> parsed = sim::History::from_jsonl(text);
    if (!parsed) return Error{parsed.error().code, path + ": " + parsed.error().message};
    ++local.files;
    for (const auto& e : parsed->events()) all.push_back(e);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const sim::HistoryEvent& a, const sim::HistoryEvent& b) { return a.time_ns < b.time_ns; });
  sim::History merged;
  for (auto& e : all) merged.record(e.time_ns, e.node, std::move(e.kind), std::move(e.data));
  local.events = merged.size();
  if (stats) *stats = local;
  return merged;
}

}  // namespace orbit::tools
