#include "runtime/rpc/codec.h"

namespace orbit::wire::detail {
namespace {

// Thrown by BoundedObjectBuilder; caught in parse_one.
struct ClaimsTooMuch {
  uint64_t claimed;
};

// msgpack-cxx's object builder with one more limit. Every element of an array or map takes
// at least one byte of input, so all containers of one message together can claim at most
// as many elements as the input has bytes; more is a truncated or forged message. The
// builder reserves a container's elements when it reads the header, before it has seen
// them, and unpack_limit only bounds each container alone: nested containers that each
// stay under it multiply (30 nested array32 headers in a 1 MiB input reserved 960 MiB).
// Charging every claim against one budget keeps the reservation under 24 bytes of parse
// objects per input byte.
class BoundedObjectBuilder : public msgpack::detail::create_object_visitor {
 public:
  BoundedObjectBuilder(size_t input_bytes, const msgpack::unpack_limit& limit)
      : create_object_visitor(nullptr, nullptr, limit), budget_(input_bytes) {}

  // Shadow the base's (the parser is a template over the builder's static type).
  bool start_array(uint32_t elements) {
    claim(elements);
    return create_object_visitor::start_array(elements);
  }
  bool start_map(uint32_t pairs) {
    claim(2 * uint64_t{pairs});
    return create_object_visitor::start_map(pairs);
  }

 private:
  void claim(uint64_t elements) {
    claimed_ += elements;
    if (claimed_ > budget_) throw ClaimsTooMuch{claimed_};
  }

  const uint64_t budget_;
  uint64_t claimed_ = 0;
};

Error truncated(std::string_view what, size_t bytes, std::string_view detail = "") {
  return Error{ErrorCode::kCorrupt, std::string(what) + ": truncated (" + std::to_string(bytes) + " bytes" +
                                        std::string(detail) + ")"};
}

}  // namespace

Result<const msgpack::object*> parse_one(ByteView bytes, std::string_view what) {
  // One zone per thread, cleared per message: after the first message, decoding a small
  // message allocates nothing for the parse itself.
  thread_local msgpack::zone zone(4096);
  zone.clear();
  thread_local msgpack::object object;
  size_t offset = 0;
  // Containers are bounded by BoundedObjectBuilder's budget; strings, bins and exts are
  // only read once all their bytes are there, so these limits are a second line.
  const msgpack::unpack_limit limit(/*array=*/UINT32_MAX, /*map=*/UINT32_MAX, /*str=*/bytes.size(),
                                    /*bin=*/bytes.size(), /*ext=*/bytes.size(), /*depth=*/32);
  try {
    BoundedObjectBuilder builder(bytes.size(), limit);
    builder.set_zone(zone);
    builder.set_referenced(false);
    const msgpack::parse_return parsed =
        msgpack::detail::parse_imp(reinterpret_cast<const char*>(bytes.data()), bytes.size(), offset, builder);
    if (parsed != msgpack::PARSE_SUCCESS && parsed != msgpack::PARSE_EXTRA_BYTES) {
      return Error{ErrorCode::kCorrupt, std::string(what) + ": not MessagePack (parse error " +
                                            std::to_string(static_cast<int>(parsed)) + ")"};
    }
    object = builder.data();
  } catch (const ClaimsTooMuch& e) {
    return truncated(what, bytes.size(), ", but its arrays and maps claim at least " + std::to_string(e.claimed) +
                                             " elements");
  } catch (const msgpack::insufficient_bytes&) {
    return truncated(what, bytes.size());
  } catch (const std::exception& e) {
    return Error{ErrorCode::kCorrupt, std::string(what) + ": not MessagePack (" + e.what() + ")"};
  }
  if (offset != bytes.size()) {
    return Error{ErrorCode::kCorrupt, std::string(what) + ": " + std::to_string(bytes.size() - offset) +
                                          " trailing bytes after the message"};
  }
  return &object;
}

Error shape_error(std::string_view what, const char* detail) {
  return Error{ErrorCode::kCorrupt, std::string(what) + ": unexpected shape (" + detail + ")"};
}

}  // namespace orbit::wire::detail
