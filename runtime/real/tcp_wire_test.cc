#include "runtime/real/tcp_wire.h"

#include <gtest/gtest.h>

namespace orbit::real::tcp_wire {
namespace {

TEST(TcpWireTest, LengthIsBigEndian) {
  const auto prefix = encode_length(0x01020304);
  EXPECT_EQ(prefix, (std::array<uint8_t, 4>{1, 2, 3, 4}));
  EXPECT_EQ(decode_length(prefix), 0x01020304u);
  EXPECT_EQ(decode_length(encode_length(0xFFFFFFFF)), 0xFFFFFFFFu);
}

TEST(TcpWireTest, HelloRoundTrips) {
  const Bytes hello = encode_hello(0xA1B2C3D4);
  ASSERT_EQ(hello.size(), kHelloBytes);
  EXPECT_EQ(to_string(ByteView(hello).first(4)), "ORBH");
  const Result<env::NodeId> parsed = parse_hello(hello);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, 0xA1B2C3D4u);
}

TEST(TcpWireTest, ThisIsVersionTwo) {
  EXPECT_EQ(kProtocolVersion, 2u);
  const Bytes hello = encode_hello(7);
  EXPECT_EQ(hello, (Bytes{'O', 'R', 'B', 'H', 0, 0, 0, 2, 0, 0, 0, 7}));
}

TEST(TcpWireTest, MalformedHellosAreCorrupt) {
  Bytes wrong_magic = encode_hello(7);
  wrong_magic[0] = 'X';
  EXPECT_EQ(parse_hello(wrong_magic).code(), ErrorCode::kCorrupt);
  EXPECT_NE(parse_hello(wrong_magic).error().message.find("bad magic"), std::string::npos);

  Bytes too_short = encode_hello(7);
  too_short.pop_back();
  EXPECT_EQ(parse_hello(too_short).code(), ErrorCode::kCorrupt);
  EXPECT_EQ(parse_hello(Bytes{}).code(), ErrorCode::kCorrupt);
  EXPECT_EQ(parse_hello(to_bytes("ORBH")).code(), ErrorCode::kCorrupt);

  Bytes too_long = encode_hello(7);
  too_long.push_back(0);
  EXPECT_EQ(parse_hello(too_long).code(), ErrorCode::kCorrupt);
}

// Another version is refused by name, even when its hello is laid out differently after the
// version field (a longer hello of a future version).
TEST(TcpWireTest, OtherVersionsAreRejectedNamingBoth) {
  const Result<env::NodeId> v1 = parse_hello(encode_hello_as_version(7, 1));
  ASSERT_FALSE(v1.ok());
  EXPECT_EQ(v1.code(), ErrorCode::kRejected);
  EXPECT_EQ(v1.error().message, "peer speaks wire version 1, this node speaks 2");
  EXPECT_EQ(v1.error().message, version_mismatch(1));

  Bytes v3 = encode_hello_as_version(7, 3);
  v3.resize(40, 0xEE);
  const Result<env::NodeId> future = parse_hello(v3);
  EXPECT_EQ(future.code(), ErrorCode::kRejected);
  EXPECT_EQ(future.error().message, "peer speaks wire version 3, this node speaks 2");

  EXPECT_TRUE(parse_hello(encode_hello_as_version(7, kProtocolVersion)).ok());
}

TEST(TcpWireTest, FrameIsPrefixThenPayload) {
  const Bytes frame = encode_frame(to_bytes("abc"));
  EXPECT_EQ(frame, (Bytes{0, 0, 0, 3, 'a', 'b', 'c'}));
  EXPECT_EQ(decode_length(frame.data()), 3u);
  EXPECT_EQ(encode_frame(Bytes{}), (Bytes{0, 0, 0, 0}));
}

}  // namespace
}  // namespace orbit::real::tcp_wire
