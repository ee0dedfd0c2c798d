#include "runtime/persistence/log_format.h"

#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <exception>
#include <string_view>

// Only the version-1 reader uses JSON (types.h's from_json); nothing writes it any more.
#include <nlohmann/json.hpp>

#include "runtime/persistence/record_codec.h"
#include "runtime/rpc/codec.h"

namespace orbit::persistence::logfmt {
namespace {

using nlohmann::json;

// Header layout (little-endian):
//   0  u32 magic            4  u8 format version   5  u8 record type   6  u16 reserved (0)
//   8  u32 payload length   12 u64 payload checksum (XXH3-64 of the payload)
//   20 u32 header check (low 32 bits of XXH3-64 of bytes [0, 20), seeded with the record's
//      segment and offset)
constexpr size_t kCheckedHeaderBytes = 20;

void put_u16(uint8_t* p, uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t header_seed(uint64_t segment, uint64_t offset) {
  return (segment << 40) ^ offset;
}

uint32_t header_check(const uint8_t* header, uint64_t segment, uint64_t offset) {
  return static_cast<uint32_t>(XXH3_64bits_withSeed(header, kCheckedHeaderBytes, header_seed(segment, offset)));
}

uint64_t payload_checksum(const uint8_t* payload, size_t length) { return XXH3_64bits(payload, length); }

void write_header(uint8_t* h, uint64_t segment, uint64_t offset, RecordType type, uint8_t version,
                  const uint8_t* payload, size_t length) {
  assert(length <= kMaxPayloadBytes);
  put_u32(h, kMagic);
  h[4] = version;
  h[5] = static_cast<uint8_t>(type);
  put_u16(h + 6, 0);
  put_u32(h + 8, static_cast<uint32_t>(length));
  put_u64(h + 12, payload_checksum(payload, length));
  put_u32(h + 20, header_check(h, segment, offset));
}

// --- Version 1: JSON objects in MessagePack.

bool decode_json_change(const json& j, LoggedChange& out) {
  if (!j.is_object() || j.size() == 0) return false;
  if (j.contains("lease")) {
    out.kind = StateChange::Kind::kLeaseSet;
    return j.size() == 1 && !from_json(j.at("lease"), out.lease).has_value();
  }
  if (j.contains("put")) {
    out.kind = StateChange::Kind::kSnapshotPut;
    if (j.size() != 2 || !j.contains("stored_at_ns") || !j.at("stored_at_ns").is_number_integer()) return false;
    out.stored.stored_at_ns = j.at("stored_at_ns").get<int64_t>();
    return !from_json(j.at("put"), out.stored.snapshot).has_value();
  }
  if (j.contains("remove")) {
    out.kind = StateChange::Kind::kSnapshotRemove;
    if (j.size() != 2 || !j.contains("version") || !j.at("version").is_number_unsigned()) return false;
    out.version = j.at("version").get<uint64_t>();
    return !from_json(j.at("remove"), out.key).has_value();
  }
  if (j.contains("floor")) {
    out.kind = StateChange::Kind::kVersionFloor;
    if (j.size() != 1 || !j.at("floor").is_number_unsigned()) return false;
    out.version = j.at("floor").get<uint64_t>();
    return true;
  }
  return false;
}

bool decode_json_payload(ByteView payload, std::vector<LoggedChange>& out) {
  // nlohmann reports through exceptions in a few corners (type errors) even with
  // allow_exceptions=false; none may escape a scan.
  try {
    const json j = json::from_msgpack(payload.begin(), payload.end(), /*strict=*/true, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_array()) return false;
    out.clear();
    out.reserve(j.size());
    for (const json& element : j) {
      LoggedChange change;
      if (!decode_json_change(element, change)) return false;
      out.push_back(std::move(change));
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// --- Version 2: typed arrays (record_codec.h).

void decode_typed_change(const msgpack::object& o, LoggedChange& out) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size == 0) throw codec::ShapeError("", "expected [kind, ...]");
  const msgpack::object* f = o.via.array.ptr;
  const uint32_t n = o.via.array.size;
  uint64_t kind = 0;
  codec::get(f[0], kind);
  auto need = [n](uint32_t fields) {
    if (n != fields) throw codec::ShapeError("", "expected " + std::to_string(fields) + " elements");
  };
  switch (kind) {
    case static_cast<uint64_t>(ChangeKind::kLeaseSet):
      need(2);
      out.kind = StateChange::Kind::kLeaseSet;
      codec::get(f[1], out.lease);
      return;
    case static_cast<uint64_t>(ChangeKind::kSnapshotPut):
      need(3);
      out.kind = StateChange::Kind::kSnapshotPut;
      codec::get(f[1], out.stored.snapshot);
      codec::get(f[2], out.stored.stored_at_ns);
      return;
    case static_cast<uint64_t>(ChangeKind::kSnapshotRemove):
      need(3);
      out.kind = StateChange::Kind::kSnapshotRemove;
      codec::get(f[1], out.key);
      codec::get(f[2], out.version);
      return;
    case static_cast<uint64_t>(ChangeKind::kVersionFloor):
      need(2);
      out.kind = StateChange::Kind::kVersionFloor;
      codec::get(f[1], out.version);
      return;
  }
  throw codec::ShapeError("", "unknown change kind " + std::to_string(kind));
}

bool decode_typed_payload(ByteView payload, std::vector<LoggedChange>& out) {
  Result<const msgpack::object*> parsed = codec::parse(payload, "log record", ErrorCode::kCorrupt);
  if (!parsed.ok()) return false;
  const msgpack::object& changes = **parsed;
  if (changes.type != msgpack::type::ARRAY) return false;
  try {
    out.clear();
    out.reserve(changes.via.array.size);
    for (uint32_t i = 0; i < changes.via.array.size; ++i) {
      LoggedChange change;
      decode_typed_change(changes.via.array.ptr[i], change);
      out.push_back(std::move(change));
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool decode_payload(uint8_t version, ByteView payload, std::vector<LoggedChange>& out) {
  // The checksum already matched, so a failure here is a format bug rather than rot; either
  // way the record yields nothing.
  return version == kJsonFormatVersion ? decode_json_payload(payload, out) : decode_typed_payload(payload, out);
}

enum class Probe {
  kValid,         // a complete record that verifies and decodes
  kBadPayload,    // the header verifies and the payload is all there, but it fails
  kPastEnd,       // the header verifies and the payload runs past the end of the data
  kBadHeader,     // a complete header that does not verify
  kShort,         // fewer bytes than a header
  kNewerVersion,  // a header that verifies, of a format version this build does not read
};

// Examines the record that would start at `offset`. `bytes` is its length when the header
// verifies; `changes` receives its changes when valid (may be null to skip decoding).
Probe probe(ByteView data, uint64_t segment, uint64_t offset, uint64_t& bytes, std::vector<LoggedChange>* changes) {
  if (data.size() - offset < kHeaderBytes) return Probe::kShort;
  const uint8_t* h = data.data() + offset;
  if (get_u32(h) != kMagic || get_u32(h + 20) != header_check(h, segment, offset)) return Probe::kBadHeader;
  // The version byte is under the header check: a verified header of an unknown version
  // was written that way (by a newer build), it is not rot.
  if (h[4] > kFormatVersion) return Probe::kNewerVersion;
  if (h[4] < kJsonFormatVersion || h[5] != static_cast<uint8_t>(RecordType::kChanges) || get_u16(h + 6) != 0) {
    return Probe::kBadHeader;
  }
  const uint32_t length = get_u32(h + 8);
  if (length > kMaxPayloadBytes) return Probe::kBadHeader;  // unreachable unless we wrote it
  bytes = kHeaderBytes + length;
  if (data.size() - offset < bytes) return Probe::kPastEnd;
  const uint8_t* payload = h + kHeaderBytes;
  if (payload_checksum(payload, length) != get_u64(h + 12)) return Probe::kBadPayload;
  std::vector<LoggedChange> decoded;
  if (!decode_payload(h[4], ByteView(payload, length), decoded)) return Probe::kBadPayload;
  if (changes != nullptr) *changes = std::move(decoded);
  return Probe::kValid;
}

// The first offset at or after `from` where a complete, valid record (or a verified header
// of a newer version) starts; `data.size()` when there is none. Only offsets where the
// magic appears are examined in full.
uint64_t find_next_valid(ByteView data, uint64_t segment, uint64_t from) {
  uint8_t magic[4];
  put_u32(magic, kMagic);
  for (uint64_t q = from; q + kHeaderBytes <= data.size(); ++q) {
    if (std::memcmp(data.data() + q, magic, 4) != 0) continue;
    uint64_t bytes = 0;
    const Probe found = probe(data, segment, q, bytes, nullptr);
    if (found == Probe::kValid || found == Probe::kNewerVersion) return q;
  }
  return data.size();
}

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

}  // namespace

RecordWriter::RecordWriter() { begin(); }

void RecordWriter::begin() {
  record_.clear();
  record_.reserve(kHeaderBytes + 256);
  record_.resize(kHeaderBytes);
  // An array32 header whose count is patched by take(): the count is not known up front
  // when a compaction fills records by size. Decoders accept any array header.
  record_.push_back(0xdd);
  record_.resize(record_.size() + 4, 0);
  changes_ = 0;
}

void RecordWriter::lease(const LeaseRecord& lease) {
  append_change(ChangeKind::kLeaseSet, 1, [&](auto& p) { codec::put(p, lease); });
}

void RecordWriter::put(const StoredSnapshot& stored) {
  record_.reserve(record_.size() + 16 + codec::encoded_size_bound(stored.snapshot));
  append_change(ChangeKind::kSnapshotPut, 2, [&](auto& p) {
    codec::put(p, stored.snapshot);
    codec::put(p, stored.stored_at_ns);
  });
}

void RecordWriter::remove(const ActorKey& key, uint64_t version) {
  append_change(ChangeKind::kSnapshotRemove, 2, [&](auto& p) {
    codec::put(p, key);
    codec::put(p, version);
  });
}

void RecordWriter::floor(uint64_t floor) {
  append_change(ChangeKind::kVersionFloor, 1, [&](auto& p) { codec::put(p, floor); });
}

template <typename Fields>
void RecordWriter::append_change(ChangeKind kind, uint32_t fields, Fields&& pack_fields) {
  orbit::wire::ByteSink sink(record_);
  msgpack::packer<orbit::wire::ByteSink> p(sink);
  p.pack_array(1 + fields);
  p.pack_uint8(static_cast<uint8_t>(kind));
  pack_fields(p);
  ++changes_;
}

Bytes RecordWriter::take() {
  uint8_t* count = record_.data() + kHeaderBytes + 1;
  for (int i = 0; i < 4; ++i) count[i] = static_cast<uint8_t>(changes_ >> (8 * (3 - i)));  // big-endian
  Bytes record = std::move(record_);
  begin();
  return record;
}

uint64_t put_payload_bound(const Snapshot& s) {
  // MessagePack spends at most 9 bytes of framing on any scalar, string or binary; the
  // field names and the array around the change stay well under 512 bytes.
  uint64_t bound = 512 + s.state.size() + s.sha256.size() + s.node.size() + s.key.kind.size() + s.key.id.size();
  for (const auto& [k, v] : s.tags) bound += k.size() + v.size() + 18;
  return bound;
}

void seal_record(std::span<uint8_t> record, uint64_t segment, uint64_t offset) {
  assert(record.size() >= kHeaderBytes);
  write_header(record.data(), segment, offset, RecordType::kChanges, kFormatVersion, record.data() + kHeaderBytes,
               record.size() - kHeaderBytes);
}

void append_record(Bytes& out, uint64_t segment, uint64_t offset, RecordType type, ByteView payload,
                   uint8_t version) {
  const size_t at = out.size();
  out.resize(at + kHeaderBytes + payload.size());
  uint8_t* h = out.data() + at;
  if (!payload.empty()) std::memcpy(h + kHeaderBytes, payload.data(), payload.size());
  write_header(h, segment, offset, type, version, h + kHeaderBytes, payload.size());
}

SegmentScan scan_segment(ByteView data, uint64_t segment) {
  SegmentScan scan;
  uint64_t p = 0;
  // Each pass consumes a valid record or a damaged stretch, so the loop ends within
  // data.size() passes.
  while (p < data.size()) {
    ScannedRecord record;
    uint64_t bytes = 0;
    const Probe result = probe(data, segment, p, bytes, &record.changes);
    if (result == Probe::kNewerVersion) {
      scan.newer_version = data[p + 4];
      scan.newer_at = p;
      break;
    }
    if (result == Probe::kValid) {
      record.offset = p;
      record.bytes = bytes;
      record.version = data[p + 4];
      scan.records.push_back(std::move(record));
      p += bytes;
      scan.valid_end = p;
      continue;
    }
    // Damage at p. With a verified header the framing is trusted and the search starts
    // after the damaged record; otherwise at the next byte.
    const uint64_t search_from = result == Probe::kBadPayload ? p + bytes : p + 1;
    const uint64_t next = find_next_valid(data, segment, search_from);
    if (next < data.size()) {
      ++scan.corrupt_regions;
      p = next;
      continue;
    }
    const bool torn = result == Probe::kShort || result == Probe::kPastEnd ||
                      (result == Probe::kBadHeader && all_zero(data.data() + p, kHeaderBytes));
    scan.tail = torn ? TailState::kTorn : TailState::kSuspicious;
    break;
  }
  return scan;
}

std::string segment_name(uint64_t segment) {
  std::string digits = std::to_string(segment);
  if (digits.size() < 10) digits.insert(0, 10 - digits.size(), '0');
  return "seg-" + digits + ".log";
}

bool parse_segment_name(const std::string& name, uint64_t& segment) {
  constexpr std::string_view kPrefix = "seg-";
  constexpr std::string_view kSuffix = ".log";
  if (name.size() <= kPrefix.size() + kSuffix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0 ||
      name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return false;
  }
  const std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 19) return false;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  segment = value;
  return true;
}

}  // namespace orbit::persistence::logfmt
