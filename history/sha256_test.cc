#include "history/sha256.h"

#include <gtest/gtest.h>

namespace orbit::history {
namespace {

constexpr std::string_view kEmptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Sha256Test, HexRoundTrips) {
  auto digest = sha256_from_hex(kEmptyDigest);
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(digest->bytes[0], 0xe3);
  EXPECT_EQ(digest->bytes[31], 0x55);
  EXPECT_EQ(to_hex(*digest), kEmptyDigest);
}

TEST(Sha256Test, UpperCaseIsAcceptedAndRenderedLower) {
  auto digest = sha256_from_hex("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
  ASSERT_TRUE(digest.has_value());
  EXPECT_EQ(to_hex(*digest), kEmptyDigest);
}

TEST(Sha256Test, RejectsWrongLengthAndNonHex) {
  EXPECT_FALSE(sha256_from_hex("").has_value());
  EXPECT_FALSE(sha256_from_hex(kEmptyDigest.substr(1)).has_value());
  std::string bad(kEmptyDigest);
  bad[10] = 'g';
  EXPECT_FALSE(sha256_from_hex(bad).has_value());
}

}  // namespace
}  // namespace orbit::history
