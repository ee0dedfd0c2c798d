#include "sim/history.h"

#include <gtest/gtest.h>

namespace orbit::sim {
namespace {

TEST(HistoryTest, JsonLinesRoundTrip) {
  History h;
  h.record(10, 2, "crash", nlohmann::json::object());
  h.record(20, kWorldNode, "partition", {{"a", {0, 1}}, {"b", {2}}, {"one_way", false}});
  const std::string text = h.to_jsonl();
  EXPECT_EQ(text.substr(0, text.find('\n')), R"({"data":{},"kind":"crash","node":2,"t":10})");
  auto back = History::from_jsonl(text);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(back->events(), h.events());
}

TEST(HistoryTest, CanonicalFieldOrder) {
  HistoryEvent a{1, 0, "k", {{"z", 1}, {"a", 2}}};
  HistoryEvent b{1, 0, "k", {{"a", 2}, {"z", 1}}};
  EXPECT_EQ(a.to_json_line(), b.to_json_line());
}

TEST(HistoryTest, MalformedLinesNameTheLineAndField) {
  auto bad_json = History::from_jsonl("{\"t\":1,\"node\":0,\"kind\":\"x\"}\n{not json\n");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.error().message.find("line 2"), std::string::npos);
  auto missing = History::from_jsonl("{\"node\":0,\"kind\":\"x\"}\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("\"t\""), std::string::npos);
  auto wrong_type = History::from_jsonl("{\"t\":1,\"node\":0,\"kind\":7}\n");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message.find("\"kind\""), std::string::npos);
}

TEST(HistoryTest, OfKindFilters) {
  History h;
  h.record(1, 0, "a", {});
  h.record(2, 0, "b", {});
  h.record(3, 1, "a", {});
  EXPECT_EQ(h.of_kind("a").size(), 2u);
}

}  // namespace
}  // namespace orbit::sim
