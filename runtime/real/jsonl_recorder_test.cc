#include "runtime/real/jsonl_recorder.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/history.h"

namespace orbit::real {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name + "." + std::to_string(::getpid());
  ::unlink(path.c_str());
  return path;
}

TEST(JsonlRecorderTest, WritesTheHistoryLineFormatStampedWithTrueTime) {
  const std::string path = temp_path("history.jsonl");
  const int64_t epoch = true_time_ns(0) - 1'000'000'000;  // "the run started a second ago"
  auto opened = JsonlRecorder::open(path, 2, epoch);
  ASSERT_TRUE(opened.ok()) << to_string(opened.error());
  (*opened)->record("activation", {{"actor", "register/r0"}, {"holder", "n2.b1.a1"}, {"token", 3}});
  (*opened)->record("membership_leave", nlohmann::json());
  (*opened)->record_for(-1, "crash", {{"signal", "SIGKILL"}});
  EXPECT_EQ((*opened)->lines_written(), 3u);
  auto history = sim::History::from_jsonl(read_all(path));
  ASSERT_TRUE(history.ok()) << to_string(history.error());
  ASSERT_EQ(history->size(), 3u);
  const auto& e = history->events();
  EXPECT_EQ(e[0].node, 2);
  EXPECT_EQ(e[0].kind, "activation");
  EXPECT_EQ(e[0].data["token"], 3);
  EXPECT_EQ(e[1].data, nlohmann::json::object());
  EXPECT_EQ(e[2].node, -1);
  // About a second after the epoch, and never decreasing within a file.
  EXPECT_GE(e[0].time_ns, 1'000'000'000);
  EXPECT_LT(e[0].time_ns, 60'000'000'000);
  EXPECT_LE(e[0].time_ns, e[1].time_ns);
  EXPECT_LE(e[1].time_ns, e[2].time_ns);
  // Byte for byte the simulator's canonical line.
  EXPECT_EQ(history_line(e[0].time_ns, 2, "activation", e[0].data), e[0].to_json_line());
}

// Everything recorded before a SIGKILL is in the file (one write(2) per line, no user-space
// buffer), and the file stays parseable.
TEST(JsonlRecorderTest, SigkillLosesNothingAlreadyRecorded) {
  const std::string path = temp_path("killed.jsonl");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto opened = JsonlRecorder::open(path, 1, 0);
    if (!opened.ok()) ::_exit(3);
    for (int i = 0; i < 500; ++i) (*opened)->record("op_invoke", {{"op", i}});
    ::kill(::getpid(), SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto history = sim::History::from_jsonl(read_all(path));
  ASSERT_TRUE(history.ok()) << to_string(history.error());
  ASSERT_EQ(history->size(), 500u);
  EXPECT_EQ(history->events().back().data["op"], 499);
}

TEST(JsonlRecorderTest, UnwritablePathIsAnErrorNamingIt) {
  auto opened = JsonlRecorder::open("/nonexistent-dir/h.jsonl", 0, 0);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("/nonexistent-dir/h.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace orbit::real
