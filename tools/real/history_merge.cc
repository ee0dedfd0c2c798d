#include "tools/real/history_merge.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "reports/history_jsonl.h"

namespace orbit::tools {

Result<history::History> merge_history_files(const std::vector<std::string>& paths, MergeStats* stats) {
  MergeStats local;
  std::vector<history::History> files;
  files.reserve(paths.size());
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{ErrorCode::kIo, "cannot read history file '" + path + "'"};
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (!text.empty() && text.back() != '\n') {
      const size_t cut = text.rfind('\n');
      const std::string tail = cut == std::string::npos ? text : text.substr(cut + 1);
      history::History scratch;
      if (!reports::parse_line(tail, scratch).ok()) {
        ++local.torn_tail_lines;
        text.resize(cut == std::string::npos ? 0 : cut + 1);
      }
    }
    Result<history::History> parsed = reports::parse_jsonl(text);
    if (!parsed) return Error{parsed.error().code, path + ": " + parsed.error().message};
    ++local.files;
    files.push_back(std::move(*parsed));
  }
  struct Ref {
    int64_t time_ns;
    size_t file;
    size_t index;
  };
  std::vector<Ref> all;
  for (size_t f = 0; f < files.size(); ++f) {
    for (size_t i = 0; i < files[f].size(); ++i) all.push_back(Ref{files[f][i].time_ns, f, i});
  }
  std::stable_sort(all.begin(), all.end(), [](const Ref& a, const Ref& b) { return a.time_ns < b.time_ns; });
  history::History merged;
  for (const Ref& r : all) merged.append_from(files[r.file], files[r.file][r.index]);
  local.events = merged.size();
  if (stats) *stats = local;
  return merged;
}

}  // namespace orbit::tools
