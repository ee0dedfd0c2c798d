#include "runtime/real/jsonl_recorder.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "reports/history_jsonl.h"

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
  JsonlRecorder& rec = **opened;
  rec.record(history::Activation{rec.intern("register/r0"), rec.intern("n2.b1.a1"), 3, 0});
  rec.record(history::MembershipLeave{});
  rec.record_for(-1, history::Crash{42, rec.intern("SIGKILL")});
  EXPECT_EQ(rec.lines_written(), 3u);
  const std::string text = read_all(path);
  auto parsed = reports::parse_jsonl(text);
  ASSERT_TRUE(parsed.ok()) << to_string(parsed.error());
  const history::History& h = *parsed;
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].node, 2);
  const auto* act = h[0].get<history::Activation>();
  ASSERT_NE(act, nullptr);
  EXPECT_EQ(h.str(act->actor), "register/r0");
  EXPECT_EQ(h.str(act->holder), "n2.b1.a1");
  EXPECT_EQ(act->token, 3);
  EXPECT_TRUE(h[1].is<history::MembershipLeave>());
  EXPECT_EQ(h[2].node, -1);
  ASSERT_NE(h[2].get<history::Crash>(), nullptr);
  EXPECT_EQ(h.str(h[2].get<history::Crash>()->cause), "SIGKILL");
  // About a second after the epoch, and never decreasing within a file.
  EXPECT_GE(h[0].time_ns, 1'000'000'000);
  EXPECT_LT(h[0].time_ns, 60'000'000'000);
  EXPECT_LE(h[0].time_ns, h[1].time_ns);
  EXPECT_LE(h[1].time_ns, h[2].time_ns);
  // Byte for byte the shared renderer's lines.
  EXPECT_EQ(reports::render_jsonl(h), text);
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
    JsonlRecorder& rec = **opened;
    for (int i = 0; i < 500; ++i) {
      rec.record(history::OpInvoke{rec.intern("p"), i, rec.intern("register/0"), history::OpFunction::kRead, {}, {}});
    }
    ::kill(::getpid(), SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto history = reports::parse_jsonl(read_all(path));
  ASSERT_TRUE(history.ok()) << to_string(history.error());
  ASSERT_EQ(history->size(), 500u);
  EXPECT_EQ(history->events().back().get<history::OpInvoke>()->op, 499);
}

TEST(JsonlRecorderTest, UnwritablePathIsAnErrorNamingIt) {
  auto opened = JsonlRecorder::open("/nonexistent-dir/h.jsonl", 0, 0);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("/nonexistent-dir/h.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace orbit::real
