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

TEST(TcpWireTest, MalformedHellosAreCorrupt) {
  Bytes wrong_magic = encode_hello(7);
  wrong_magic[0] = 'X';
  EXPECT_EQ(parse_hello(wrong_magic).code(), ErrorCode::kCorrupt);

  Bytes wrong_version = encode_hello(7);
  wrong_version[7] = 2;
  EXPECT_EQ(parse_hello(wrong_version).code(), ErrorCode::kCorrupt);

  Bytes too_short = encode_hello(7);
  too_short.pop_back();
  EXPECT_EQ(parse_hello(too_short).code(), ErrorCode::kCorrupt);
  EXPECT_EQ(parse_hello(Bytes{}).code(), ErrorCode::kCorrupt);
}

TEST(TcpWireTest, FrameIsPrefixThenPayload) {
  const Bytes frame = encode_frame(to_bytes("abc"));
  EXPECT_EQ(frame, (Bytes{0, 0, 0, 3, 'a', 'b', 'c'}));
  EXPECT_EQ(encode_frame(Bytes{}), (Bytes{0, 0, 0, 0}));
}

}  // namespace
}  // namespace orbit::real::tcp_wire
