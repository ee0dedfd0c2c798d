#include "tools/real/history_merge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "reports/history_jsonl.h"

namespace orbit::tools {
namespace {

std::string write_file(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name + "." + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A line whose event is told apart by its fault_point site name.
std::string line(int64_t t, int64_t node, const std::string& site) {
  history::History h;
  return reports::render_event(h, history::Event{t, node, history::FaultPoint{h.intern(site), Duration(0)}}) + "\n";
}

TEST(HistoryMergeTest, OrdersByTimeStablyAcrossFiles) {
  const std::string a = write_file("a.jsonl", line(10, 0, "a10") + line(30, 0, "a30") + line(30, 0, "a30b"));
  const std::string b = write_file("b.jsonl", line(5, 1, "b5") + line(30, 1, "b30") + line(40, 1, "b40"));
  MergeStats stats;
  auto merged = merge_history_files({a, b}, &stats);
  ASSERT_TRUE(merged.ok()) << to_string(merged.error());
  std::vector<std::string> kinds;
  for (const auto& e : merged->events()) kinds.push_back(std::string(merged->str(e.get<history::FaultPoint>()->site)));
  EXPECT_EQ(kinds, (std::vector<std::string>{"b5", "a10", "a30", "a30b", "b30", "b40"}));
  EXPECT_EQ(stats.files, 2u);
  EXPECT_EQ(stats.events, 6u);
  EXPECT_EQ(stats.torn_tail_lines, 0u);
}

TEST(HistoryMergeTest, SkipsATornTailButRejectsCorruptionInside) {
  const std::string torn = write_file("torn.jsonl", line(1, 0, "x") + "{\"t\":2,\"no");
  MergeStats stats;
  auto merged = merge_history_files({torn}, &stats);
  ASSERT_TRUE(merged.ok()) << to_string(merged.error());
  EXPECT_EQ(merged->size(), 1u);
  EXPECT_EQ(stats.torn_tail_lines, 1u);

  const std::string bad = write_file("bad.jsonl", line(1, 0, "x") + "garbage\n" + line(2, 0, "y"));
  auto failed = merge_history_files({bad});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find(bad), std::string::npos);
  EXPECT_NE(failed.error().message.find("line 2"), std::string::npos);

  auto missing = merge_history_files({"/nonexistent/h.jsonl"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/h.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace orbit::tools
