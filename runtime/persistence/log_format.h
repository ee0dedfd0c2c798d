// The on-disk record format of the log-structured provider (log_provider.h describes the
// whole layout and the recovery rules): framing, checksums, the change encoding, and the
// scan that turns a segment's bytes back into changes while classifying whatever is
// damaged. Pure functions over bytes, so the framing can be tested without a disk.
//
// Versions (header byte 4). Version 2, written today: the payload is a MessagePack array of
// typed changes, each an array [kind, fields...] whose records are record_codec.h's arrays
// (no field names). Version 1 (the first format): the same framing with a payload of JSON
// objects in MessagePack ({"lease": {...}}, types.h's to_json forms). Both are read, record
// by record, so a store written by version 1 opens and keeps working (its new records are
// version 2; a compaction rewrites everything as version 2). A record whose header
// verifies but carries a version above kFormatVersion was written by a newer build: the
// scan stops there and the store refuses to open rather than treat it as damage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/env/bytes.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence::logfmt {

inline constexpr uint32_t kMagic = 0x4C42524F;  // the bytes "ORBL" in file order
inline constexpr uint8_t kFormatVersion = 2;     // written
inline constexpr uint8_t kJsonFormatVersion = 1;  // read only
inline constexpr size_t kHeaderBytes = 24;
// The largest payload a record may carry; a header claiming more is damaged.
inline constexpr uint32_t kMaxPayloadBytes = 64u << 20;

enum class RecordType : uint8_t {
  kChanges = 1,  // payload: a MessagePack array of changes, applied atomically
};

// The first element of a version-2 change.
enum class ChangeKind : uint8_t {
  kLeaseSet = 1,        // [1, LeaseRecord]
  kSnapshotPut = 2,     // [2, Snapshot, stored_at_ns]
  kSnapshotRemove = 3,  // [3, ActorKey, version]
  kVersionFloor = 4,    // [4, floor]
};

// One decoded change, as the log carries it: everything replay needs (the state a decision
// produced), not the decision's inputs.
struct LoggedChange {
  StateChange::Kind kind = StateChange::Kind::kLeaseSet;
  LeaseRecord lease;        // kLeaseSet
  StoredSnapshot stored;    // kSnapshotPut
  ActorKey key;             // kSnapshotRemove
  uint64_t version = 0;     // kSnapshotRemove: the version; kVersionFloor: the floor
};

// Builds one version-2 kChanges record in place: kHeaderBytes of room for the header, then
// the payload, change by change, so nothing is copied to frame it. seal_record() writes
// the header once the record's place in a segment is known.
class RecordWriter {
 public:
  RecordWriter();

  void lease(const LeaseRecord& lease);
  void put(const StoredSnapshot& stored);
  void remove(const ActorKey& key, uint64_t version);
  void floor(uint64_t floor);

  size_t changes() const { return changes_; }
  // Header + payload so far.
  size_t bytes() const { return record_.size(); }
  // The unsealed record; the writer starts over, empty.
  Bytes take();

 private:
  void begin();
  // Appends [kind, fields...]: `pack_fields` packs the `fields` values after the kind.
  template <typename Fields>
  void append_change(ChangeKind kind, uint32_t fields, Fields&& pack_fields);

  Bytes record_;
  uint32_t changes_ = 0;
};

// Writes the header of `record` (kHeaderBytes of header room, then the payload) as it will
// sit at byte `offset` of segment `segment`: both are sealed into the header check, so a
// copy of a record found anywhere else (inside another record's payload, say) is not a
// record.
void seal_record(std::span<uint8_t> record, uint64_t segment, uint64_t offset);

// Appends a framed record for `payload` to `out` at its end, as it will sit at byte
// `offset` of `segment` (for tests and tools: the provider seals RecordWriter records).
void append_record(Bytes& out, uint64_t segment, uint64_t offset, RecordType type, ByteView payload,
                   uint8_t version = kFormatVersion);

// An upper bound on the payload size of a put of `snapshot` (checked before deciding, so
// that an oversize write is refused without changing anything).
uint64_t put_payload_bound(const Snapshot& snapshot);

// One valid record of a segment.
struct ScannedRecord {
  uint64_t offset = 0;
  uint64_t bytes = 0;  // header + payload
  uint8_t version = 0;  // the format version it was written in
  std::vector<LoggedChange> changes;
};

// What follows the last valid record of a segment.
enum class TailState {
  kClean,       // nothing: the segment ends with a valid record (or is empty)
  kTorn,        // what a crash during an append leaves: a header cut short, zeros, or a
                // valid header whose payload runs past the end
  kSuspicious,  // damage a torn append cannot explain (a complete record that fails its
                // checksum, a garbled header): bit rot, or a torn write on a disk that
                // tears worse than the model
};

struct SegmentScan {
  std::vector<ScannedRecord> records;
  // The end of the last valid record: where the valid prefix ends and appends resume.
  uint64_t valid_end = 0;
  // Damaged stretches with valid records after them (each skipped, counted once).
  uint64_t corrupt_regions = 0;
  TailState tail = TailState::kClean;
  // Nonzero: the scan stopped at a record of this (newer) format version, at byte newer_at.
  uint8_t newer_version = 0;
  uint64_t newer_at = 0;

  bool clean() const { return corrupt_regions == 0 && tail == TailState::kClean && newer_version == 0; }
};

// Scans a whole segment. A damaged record never yields changes. Damage followed by a valid
// record is skipped: past the damaged record when its header still verifies (the framing is
// intact), else to the next offset where a complete record verifies. Damage that reaches
// the end is reported as the tail. A verified header of a newer version stops the scan.
SegmentScan scan_segment(ByteView data, uint64_t segment);

// Segment file names: "seg-0000000042.log" <-> 42.
std::string segment_name(uint64_t segment);
bool parse_segment_name(const std::string& name, uint64_t& segment);

}  // namespace orbit::persistence::logfmt
