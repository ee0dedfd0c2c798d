// wire::decode's contract (codec.h): exactly one value of the expected shape, or kCorrupt
// naming the message and the problem; never a throw, never a read past the input, and no
// allocation a forged length can inflate.
#include "runtime/rpc/codec.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <optional>
#include <variant>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
// From <sanitizer/allocator_interface.h>, which Debian's GCC does not install.
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace orbit::wire {
namespace {

struct Key {
  std::string kind;
  std::string id;
  MSGPACK_DEFINE_ARRAY(kind, id);
  friend bool operator==(const Key&, const Key&) = default;
};
struct Ok {
  Bytes payload;
  MSGPACK_DEFINE_ARRAY(payload);
  friend bool operator==(const Ok&, const Ok&) = default;
};
struct Failed {
  ErrorCode code = ErrorCode::kIo;
  std::string message;
  MSGPACK_DEFINE_ARRAY(code, message);
  friend bool operator==(const Failed&, const Failed&) = default;
};
using Reply = std::variant<Ok, Failed>;
struct Message {
  Key key;
  int64_t budget_ns = 0;
  std::optional<uint32_t> node;
  std::vector<Key> more;
  Reply reply;
  MSGPACK_DEFINE_ARRAY(key, budget_ns, node, more, reply);
  friend bool operator==(const Message&, const Message&) = default;
};

Message sample() {
  return Message{Key{"register", "r17"}, -5'000'000'000, 3, {Key{"a", "b"}, Key{"c", ""}},
                 Failed{ErrorCode::kConflict, "lost"}};
}

Bytes bytes(std::initializer_list<int> list) {
  Bytes out;
  for (int b : list) out.push_back(static_cast<uint8_t>(b));
  return out;
}

void expect_corrupt(const Result<Message>& r, const std::string& message) {
  ASSERT_FALSE(r.ok()) << "accepted; expected: " << message;
  EXPECT_EQ(r.error(), (Error{ErrorCode::kCorrupt, message}));
}

TEST(CodecTest, RoundTrip) {
  const Message m = sample();
  Result<Message> back = decode<Message>(encode(m), "message");
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(*back, m);
  Message other = m;
  other.node.reset();
  other.reply = Ok{Bytes(16, 0xab)};
  back = decode<Message>(encode(other), "message");
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(*back, other);
}

TEST(CodecTest, TheLayoutIsTheFieldListInOrder) {
  // [["a","b"], 1, nil, [], [0, [bin(1)]]]: structs are arrays, optional is nil-or-value,
  // a variant is [index, value], Bytes are bin.
  Message m{Key{"a", "b"}, 1, std::nullopt, {}, Ok{Bytes{7}}};
  EXPECT_EQ(encode(m), bytes({0x95, 0x92, 0xa1, 'a', 0xa1, 'b', 0x01, 0xc0, 0x90, 0x92, 0x00, 0x91, 0xc4, 0x01, 0x07}));
  EXPECT_EQ(encode(ErrorCode::kCancelled), bytes({0x0a}));
}

TEST(CodecTest, EveryPrefixIsTruncated) {
  const Bytes full = encode(sample());
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(n);
    // A prefix that ends inside a container's elements is named by what its containers
    // claim ("truncated (3 bytes, but its arrays and maps claim at least 5 elements)").
    Result<Message> r = decode<Message>(ByteView(full.data(), n), "message");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kCorrupt);
    const std::string expected = "message: truncated (" + std::to_string(n) + " bytes";
    EXPECT_EQ(r.error().message.rfind(expected, 0), 0u) << r.error().message;
  }
}

TEST(CodecTest, TrailingBytesAreAnError) {
  Bytes data = encode(sample());
  data.push_back(0xc0);
  data.push_back(0xc0);
  expect_corrupt(decode<Message>(data, "message"), "message: 2 trailing bytes after the message");
}

TEST(CodecTest, AWrongTypeIsAShapeError) {
  for (const Bytes& data : {encode(std::string("not a message")), encode(int64_t{5}), encode(Key{"a", "b"})}) {
    Result<Message> r = decode<Message>(data, "message");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kCorrupt);
    EXPECT_EQ(r.error().message.rfind("message: unexpected shape (", 0), 0u) << r.error().message;
  }
  // An integer that does not fit its field.
  Result<uint8_t> small = decode<uint8_t>(encode(300), "byte");
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.error().message.rfind("byte: unexpected shape (", 0), 0u) << small.error().message;
  Result<uint32_t> negative = decode<uint32_t>(encode(-1), "count");
  EXPECT_FALSE(negative.ok());
}

TEST(CodecTest, BytesThatAreNotMessagePackAreNamed) {
  // 0xc1 is the one byte MessagePack never uses.
  Result<Message> r = decode<Message>(bytes({0xc1}), "message");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("message: not MessagePack (", 0), 0u) << r.error().message;
}

// Bytes currently held by the allocator (heap and mmapped blocks).
size_t allocated_bytes() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

TEST(CodecTest, ForgedLengthsFailWithoutAllocating) {
  // Each claims 4 G elements or bytes in a handful of bytes.
  const std::vector<std::pair<std::string, Bytes>> forged = {
      {"array32", bytes({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0})},
      {"map32", bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0})},
      {"str32", bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 'a', 'b'})},
      {"bin32", bytes({0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2})},
      {"ext32", bytes({0xc9, 0xff, 0xff, 0xff, 0xff, 1, 2})},
      {"str32 inside a struct", bytes({0x95, 0x92, 0xdb, 0x7f, 0xff, 0xff, 0xff, 'a'})},
      {"array32 inside a struct", bytes({0x95, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0xc0})},
  };
  for (const auto& [what, data] : forged) {
    SCOPED_TRACE(what);
    const size_t before = allocated_bytes();
    Result<Message> r = decode<Message>(data, "message");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), ErrorCode::kCorrupt);
    // Failing fast means failing before any allocation the claim would have needed.
    EXPECT_LT(allocated_bytes(), before + (1 << 20));
  }
}

TEST(CodecTest, NestedForgedLengthsCannotMultiplyTheAllocation) {
  // Each container may claim at most as many elements as the input has bytes, but nested
  // containers that each claim that much must not add up: a 1 MiB input of 30 nested
  // array32 headers, each claiming ~1 M elements, would reserve 30 x 1 M x 24 bytes
  // (720 MiB) of parse objects before the parser noticed the input is short.
  const size_t size = 1 << 20;
  Bytes data;
  data.reserve(size);
  const uint32_t claim = static_cast<uint32_t>(size - 200);
  for (int level = 0; level < 30; ++level) {
    data.push_back(0xdd);
    for (int shift = 24; shift >= 0; shift -= 8) data.push_back(static_cast<uint8_t>(claim >> shift));
  }
  data.resize(size, 0xc0);  // nils
  (void)decode<int64_t>(encode(1), "warm-up");  // the zone's first chunk
  const size_t before = allocated_bytes();
  Result<Message> r = decode<Message>(data, "message");
  const size_t grown = allocated_bytes() - std::min(allocated_bytes(), before);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::kCorrupt);
  EXPECT_EQ(r.error().message.rfind("message: truncated (1048576 bytes, but its arrays and maps claim at least ", 0), 0u)
      << r.error().message;
  EXPECT_LT(grown, size_t{64} << 20) << "a 1 MiB input made the decoder hold " << (grown >> 20) << " MiB";
}

TEST(CodecTest, DeepNestingIsRefused) {
  Bytes data(100, 0x91);  // [[[[...]]]]
  data.push_back(0xc0);
  Result<Message> r = decode<Message>(data, "message");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("message: not MessagePack (", 0), 0u) << r.error().message;
}

TEST(CodecTest, AVariantWithABadIndexIsAShapeError) {
  // [index, value] with an index past the alternatives, a negative one, a missing value,
  // and a value of the wrong alternative's shape.
  for (const Bytes& data : {bytes({0x92, 0x02, 0x91, 0xc4, 0x00}), bytes({0x92, 0xff, 0x91, 0xc4, 0x00}),
                            bytes({0x91, 0x00}), bytes({0x93, 0x00, 0x91, 0xc4, 0x00, 0xc0}),
                            bytes({0x92, 0x00, 0xa1, 'x'}), bytes({0x92, 0xa1, 'x', 0x91, 0xc4, 0x00})}) {
    Result<Reply> r = decode<Reply>(data, "reply");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("reply: unexpected shape (", 0), 0u) << r.error().message;
  }
  Result<Reply> good = decode<Reply>(bytes({0x92, 0x00, 0x91, 0xc4, 0x00}), "reply");
  ASSERT_TRUE(good.ok()) << to_string(good.error());
  EXPECT_EQ(*good, Reply(Ok{}));
}

TEST(CodecTest, AnErrorCodeOutOfRangeIsAShapeError) {
  const auto last = static_cast<uint32_t>(kLastErrorCode);
  for (uint32_t n = 0; n <= last; ++n) {
    Result<ErrorCode> code = decode<ErrorCode>(encode(n), "code");
    ASSERT_TRUE(code.ok()) << n;
    EXPECT_EQ(static_cast<uint32_t>(*code), n);
  }
  for (const Bytes& data : {encode(last + 1), encode(255), encode(-1), encode(std::string("kIo"))}) {
    Result<ErrorCode> r = decode<ErrorCode>(data, "code");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.rfind("code: unexpected shape (", 0), 0u) << r.error().message;
  }
  // Inside a message too.
  Result<Failed> failed = decode<Failed>(bytes({0x92, static_cast<int>(last + 1), 0xa0}), "failed");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message.rfind("failed: unexpected shape (", 0), 0u) << failed.error().message;
}

// msgpack-cxx's MSGPACK_DEFINE_ARRAY reads a shorter array with the missing trailing fields
// left at their defaults, and ignores extra trailing elements (its rule for appending
// fields). Orbit does not rely on it: nodes of different wire versions never exchange a
// frame (the hello refuses them). This test records the behaviour so that a stricter
// codec shows up as a deliberate change (docs/WIRE.md, "Frames").
TEST(CodecTest, StructArityIsNotCheckedByMsgpackCxx) {
  Result<Key> shorter = decode<Key>(bytes({0x91, 0xa1, 'a'}), "key");
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(*shorter, (Key{"a", ""}));
  Result<Key> longer = decode<Key>(bytes({0x93, 0xa1, 'a', 0xa1, 'b', 0x07}), "key");
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(*longer, (Key{"a", "b"}));
  Result<Key> empty = decode<Key>(bytes({0x90}), "key");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, Key{});
}

}  // namespace
}  // namespace orbit::wire
