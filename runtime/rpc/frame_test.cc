// The frame header byte by byte (docs/WIRE.md, "Frames"), its round trip, and every error
// read_header names.
#include "runtime/rpc/frame.h"

#include <gtest/gtest.h>

#include <set>

namespace orbit::rpc {
namespace {

Bytes header_bytes(const FrameHeader& header) {
  Bytes frame(kHeaderBytes, 0xee);  // junk, so every byte write_header leaves alone shows
  write_header(frame, header);
  return frame;
}

TEST(FrameTest, HeaderLayoutByteByByte) {
  const FrameHeader header{FrameKind::kReply, static_cast<Method>(0x1234), 5, 0x0102030405060708, 0x1112131415161718};
  const Bytes frame = header_bytes(header);
  const Bytes expected = {
      2,                                               // wire version
      1,                                               // kind: reply
      0x34, 0x12,                                      // method, little-endian
      5,                                               // status
      0, 0, 0,                                         // reserved
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  // session, little-endian
      0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,  // call id, little-endian
  };
  EXPECT_EQ(frame, expected);
  EXPECT_EQ(kHeaderBytes, 24u);
  EXPECT_EQ(kWireVersion, 2);
}

TEST(FrameTest, HeaderRoundTrips) {
  const std::vector<FrameHeader> headers = {
      {FrameKind::kRequest, Method::kActorRoute, 0, 1, uint64_t{1} << 32},
      {FrameKind::kReply, Method::kStoreHealth, 1 + static_cast<uint8_t>(kLastErrorCode), UINT64_MAX, UINT64_MAX},
      {FrameKind::kOneWay, Method::kHeartbeat, 0, 0, 0},
      {FrameKind::kRequest, static_cast<Method>(0xffff), 0, 0x8000000000000000, 7},
  };
  for (const FrameHeader& h : headers) {
    Result<FrameHeader> back = read_header(header_bytes(h));
    ASSERT_TRUE(back.ok()) << to_string(back.error());
    EXPECT_EQ(back->kind, h.kind);
    EXPECT_EQ(back->method, h.method);
    EXPECT_EQ(back->status, h.status);
    EXPECT_EQ(back->session, h.session);
    EXPECT_EQ(back->call_id, h.call_id);
  }
}

TEST(FrameTest, EveryErrorCodeHasAStatusAndNothingBeyond) {
  // Status 0 is ok; 1 + ErrorCode for each code, kNotFound (1) to kLastErrorCode.
  const int max_status = 1 + static_cast<int>(kLastErrorCode);
  for (int s = 0; s <= max_status; ++s) {
    const auto status = static_cast<uint8_t>(s);
    Bytes frame = header_bytes({FrameKind::kReply, Method::kTestEcho, status, 1, 1});
    EXPECT_TRUE(read_header(frame).ok()) << int{status};
  }
  Bytes frame = header_bytes({FrameKind::kReply, Method::kTestEcho, 0, 1, 1});
  for (int status : {max_status + 1, 200, 255}) {
    frame[4] = static_cast<uint8_t>(status);
    Result<FrameHeader> h = read_header(frame);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), (Error{ErrorCode::kCorrupt, "unknown reply status " + std::to_string(status)}));
  }
}

TEST(FrameTest, ABodyFollowsTheHeader) {
  Bytes frame = encode_message(std::string("body"));
  ASSERT_GE(frame.size(), kHeaderBytes);
  write_header(frame, {FrameKind::kRequest, Method::kTestEcho, 0, 9, 9});
  Result<std::string> body = wire::decode<std::string>(body_of(frame), "test");
  ASSERT_TRUE(body.ok()) << to_string(body.error());
  EXPECT_EQ(*body, "body");
  EXPECT_EQ(encode_message(Empty{}).size(), kHeaderBytes + 1) << "an empty body is one byte: an empty array";
}

// read_header's errors, each naming its problem.
Result<FrameHeader> read(Bytes frame) { return read_header(frame); }

void expect_error(Result<FrameHeader> r, const std::string& message) {
  ASSERT_FALSE(r.ok()) << "accepted: " << message;
  EXPECT_EQ(r.error(), (Error{ErrorCode::kCorrupt, message}));
}

TEST(FrameTest, ATruncatedHeaderIsNamed) {
  const Bytes good = header_bytes({FrameKind::kRequest, Method::kTestEcho, 0, 1, 1});
  expect_error(read({}), "truncated frame: 0 bytes, the header alone has 24");
  for (size_t n = 1; n < kHeaderBytes; ++n) {
    expect_error(read(Bytes(good.begin(), good.begin() + static_cast<ptrdiff_t>(n))),
                 "truncated frame: " + std::to_string(n) + " bytes, the header alone has 24");
  }
}

TEST(FrameTest, AnotherWireVersionIsNamedEvenInAShortFrame) {
  Bytes frame = header_bytes({FrameKind::kRequest, Method::kTestEcho, 0, 1, 1});
  for (int version : {0, 1, 3, 255}) {
    frame[0] = static_cast<uint8_t>(version);
    expect_error(read(frame), "frame of wire version " + std::to_string(version) + ", this node speaks version 2");
  }
  expect_error(read({1}), "frame of wire version 1, this node speaks version 2");
  expect_error(read({3, 0, 0}), "frame of wire version 3, this node speaks version 2");
}

TEST(FrameTest, AVersionOneMapIsNamedAsVersionOne) {
  // Version 1 frames were MessagePack maps: fixmap, map16 or map32 first.
  for (uint8_t first : {0x80, 0x85, 0x8f, 0xde, 0xdf}) {
    Bytes frame(30, 0);
    frame[0] = first;
    expect_error(read(frame), "frame of wire version 1 (a MessagePack map), this node speaks version 2");
    expect_error(read({first, 0xa1, 'k', 0}), "frame of wire version 1 (a MessagePack map), this node speaks version 2");
  }
}

TEST(FrameTest, AnUnknownKindIsNamed) {
  Bytes frame = header_bytes({FrameKind::kRequest, Method::kTestEcho, 0, 1, 1});
  for (int kind : {3, 4, 128, 255}) {
    frame[1] = static_cast<uint8_t>(kind);
    expect_error(read(frame), "unknown frame kind " + std::to_string(kind));
  }
}

TEST(FrameTest, ReservedBytesMustBeZero) {
  for (size_t at : {5, 6, 7}) {
    Bytes frame = header_bytes({FrameKind::kOneWay, Method::kTestNotify, 0, 1, 1});
    frame[at] = 1;
    expect_error(read(frame), "reserved header bytes are not zero");
  }
}

TEST(FrameTest, MethodNumbersAreTheRpcNodesToJudge) {
  // read_header passes any method number; the RpcNode answers an unknown one by number.
  for (uint16_t number : {0, 4, 59, 64, 65535}) {
    Result<FrameHeader> h = read(header_bytes({FrameKind::kRequest, static_cast<Method>(number), 0, 1, 1}));
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(static_cast<uint16_t>(h->method), number);
    EXPECT_FALSE(is_known_method(number));
    EXPECT_EQ(method_name(static_cast<Method>(number)), "");
  }
}

TEST(FrameTest, EveryNamedMethodHasAUniqueNameAndASlot) {
  std::set<std::string_view> names;
  size_t named = 0;
  for (uint32_t number = 0; number <= 0xffff; ++number) {
    const std::string_view name = method_name(static_cast<Method>(number));
    if (name.empty()) continue;
    ++named;
    EXPECT_LT(number, kMethodSlots) << name << " has no handler slot";
    EXPECT_TRUE(is_known_method(static_cast<uint16_t>(number)));
    EXPECT_TRUE(names.insert(name).second) << "two methods named " << name;
  }
  EXPECT_EQ(named, 21u) << "a method was added or removed: update docs/WIRE.md's table";
  // The numbers are the wire format: a few spot checks against docs/WIRE.md.
  EXPECT_EQ(method_name(static_cast<Method>(1)), "actor.route");
  EXPECT_EQ(method_name(static_cast<Method>(10)), "store.acquire_lease");
  EXPECT_EQ(method_name(static_cast<Method>(30)), "member.heartbeat");
  EXPECT_EQ(method_name(static_cast<Method>(60)), "test.echo");
}

}  // namespace
}  // namespace orbit::rpc
