#include "history/canonical.h"

#include <bit>
#include <cstring>

namespace orbit::history {
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void bytes(const void* data, size_t n) { out_.append(static_cast<const char*>(data), n); }
  void str(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.append(s);
  }

 private:
  void le(uint64_t v, int n) {
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    char buf[8];
    std::memcpy(buf, &v, sizeof buf);
    out_.append(buf, static_cast<size_t>(n));
  }
  std::string& out_;
};

template <class T>
void put(Writer& w, const History& h, const T& value) {
  if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
    w.u64(static_cast<uint64_t>(value));
  } else if constexpr (std::is_same_v<T, bool>) {
    w.u8(value ? 1 : 0);
  } else if constexpr (std::is_same_v<T, double>) {
    w.u64(std::bit_cast<uint64_t>(value));
  } else if constexpr (std::is_same_v<T, Duration>) {
    w.u64(static_cast<uint64_t>(value.count()));
  } else if constexpr (std::is_same_v<T, Sym>) {
    w.str(h.str(value));
  } else if constexpr (std::is_same_v<T, Sha256>) {
    w.bytes(value.bytes.data(), value.bytes.size());
  } else if constexpr (std::is_same_v<T, OptInt>) {
    w.u8(value.has_value() ? 1 : 0);
    if (value) w.u64(static_cast<uint64_t>(*value));
  } else if constexpr (std::is_same_v<T, Blob>) {
    w.u32(static_cast<uint32_t>(value.size()));
    w.bytes(value.data(), value.size());
  } else if constexpr (std::is_same_v<T, SymList>) {
    w.u32(static_cast<uint32_t>(value.size()));
    for (Sym s : value) w.str(h.str(s));
  } else if constexpr (std::is_same_v<T, IntList>) {
    w.u32(static_cast<uint32_t>(value.size()));
    for (int64_t v : value) w.u64(static_cast<uint64_t>(v));
  } else if constexpr (std::is_enum_v<T>) {
    static_assert(sizeof(T) == 1, "schema enums are one byte");
    w.u8(static_cast<uint8_t>(value));
  } else {
    static_assert(sizeof(T) == 0, "a field type without a canonical encoding");
  }
}

}  // namespace

void encode_canonical(const History& history, const Event& event, std::string& out) {
  Writer w(out);
  w.u16(static_cast<uint16_t>(event.kind()));
  w.u64(static_cast<uint64_t>(event.time_ns));
  w.u64(static_cast<uint64_t>(event.node));
  std::visit([&](const auto& p) { for_each_field(p, [&](std::string_view, const auto& v) { put(w, history, v); }); },
             event.payload);
}

}  // namespace orbit::history
