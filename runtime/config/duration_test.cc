#include "runtime/config/duration.h"

#include <gtest/gtest.h>

namespace orbit::config {
namespace {

Duration parsed(std::string_view text) {
  Result<Duration> r = parse_duration(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Duration(-1);
}

std::string problem(std::string_view text) {
  Result<Duration> r = parse_duration(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.code(), ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(parsed("7ns"), 7ns);
  EXPECT_EQ(parsed("7us"), 7us);
  EXPECT_EQ(parsed("250ms"), 250ms);
  EXPECT_EQ(parsed("10s"), 10s);
  EXPECT_EQ(parsed("2m"), 2min);
  EXPECT_EQ(parsed("1h"), 1h);
  EXPECT_EQ(parsed("0s"), 0s);
  EXPECT_EQ(parsed("007s"), 7s);
}

TEST(DurationTest, ParsesCompoundDurations) {
  EXPECT_EQ(parsed("1m30s"), 90s);
  EXPECT_EQ(parsed("1h2m3s4ms5us6ns"), 1h + 2min + 3s + 4ms + 5us + 6ns);
}

TEST(DurationTest, RefusesMalformedTextWithAClearReason) {
  EXPECT_EQ(problem(""), "invalid duration \"\": empty; write an integer and a unit, such as \"10s\"");
  EXPECT_EQ(problem("-5s"), "invalid duration \"-5s\": durations cannot be negative");
  EXPECT_EQ(problem("+5s"), "invalid duration \"+5s\": write it without a sign");
  EXPECT_EQ(problem("5"), "invalid duration \"5\": missing unit after \"5\"; use ns, us, ms, s, m or h");
  EXPECT_EQ(problem("5x"), "invalid duration \"5x\": unknown unit \"x\"; use ns, us, ms, s, m or h");
  EXPECT_EQ(problem("5sec"), "invalid duration \"5sec\": unknown unit \"sec\"; use ns, us, ms, s, m or h");
  EXPECT_EQ(problem("1.5s"),
            "invalid duration \"1.5s\": fractions are not supported; use a smaller unit (\"1500ms\" rather than "
            "\"1.5s\")");
  EXPECT_EQ(problem("s"), "invalid duration \"s\": expected an integer at \"s\"");
  EXPECT_EQ(problem("5 s"), "invalid duration \"5 s\": unexpected character ' '");
  EXPECT_EQ(problem(" 5s"), "invalid duration \" 5s\": expected an integer at \" 5s\"");
}

TEST(DurationTest, RefusesDurationsBeyondInt64Nanoseconds) {
  EXPECT_EQ(parsed("9223372036854775807ns"), Duration(INT64_MAX));
  const std::string too_large = "invalid duration \"%\": too large; the longest duration is about 292 years";
  auto expect_too_large = [&](std::string text) {
    std::string expected = too_large;
    expected.replace(expected.find('%'), 1, text);
    EXPECT_EQ(problem(text), expected);
  };
  expect_too_large("9223372036854775808ns");
  expect_too_large("99999999999999999999999s");
  expect_too_large("2562048h");
  expect_too_large("2562047h2562047h");
}

TEST(DurationTest, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(10s), "10s");
  EXPECT_EQ(format_duration(60s), "1m");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(1001us), "1001us");
  EXPECT_EQ(format_duration(3ns), "3ns");
  EXPECT_EQ(format_duration(-500ms), "-500ms");
  EXPECT_EQ(format_duration(Duration(INT64_MIN)), "-9223372036854775808ns");
}

TEST(DurationTest, FormatThenParseIsTheIdentity) {
  for (int64_t ns : {int64_t{0}, int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{1'000'000}, int64_t{61'000'000'000},
                     int64_t{3'600'000'000'000}, int64_t{123'456'789'012}, INT64_MAX}) {
    EXPECT_EQ(parsed(format_duration(Duration(ns))), Duration(ns)) << ns;
  }
}

}  // namespace
}  // namespace orbit::config
