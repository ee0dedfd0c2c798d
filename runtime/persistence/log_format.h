// The on-disk record format of the log-structured provider (log_provider.h describes the
// whole layout and the recovery rules): framing, checksums, the MessagePack change
// encoding, and the scan that turns a segment's bytes back into changes while classifying
// whatever is damaged. Pure functions over bytes, so the framing can be tested without a
// disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/env/bytes.h"
#include "runtime/persistence/memory_provider.h"
#include "runtime/persistence/types.h"

namespace orbit::persistence::logfmt {

inline constexpr uint32_t kMagic = 0x4C42524F;  // the bytes "ORBL" in file order
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kHeaderBytes = 24;
// The largest payload a record may carry; a header claiming more is damaged.
inline constexpr uint32_t kMaxPayloadBytes = 64u << 20;

enum class RecordType : uint8_t {
  kChanges = 1,  // payload: a MessagePack array of change maps, applied atomically
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

// MessagePack encodings of single changes: the elements of a kChanges payload.
Bytes encode_lease_change(const LeaseRecord& lease);
Bytes encode_put_change(const StoredSnapshot& stored);
Bytes encode_remove_change(const ActorKey& key, uint64_t version);
Bytes encode_floor_change(uint64_t floor);

// A kChanges payload from encoded elements: a MessagePack array header, then the elements.
Bytes changes_payload(const std::vector<Bytes>& elements);

// An upper bound on the payload size of a put of `snapshot` (checked before deciding, so
// that an oversize write is refused without changing anything).
uint64_t put_payload_bound(const Snapshot& snapshot);

// Appends a framed record for `payload` to `out`, as it will sit at byte `offset` of segment
// `segment`: both are sealed into the header check, so a copy of a record found anywhere
// else (inside another record's payload, say) is not a record.
void append_record(Bytes& out, uint64_t segment, uint64_t offset, RecordType type, ByteView payload);

// One valid record of a segment.
struct ScannedRecord {
  uint64_t offset = 0;
  uint64_t bytes = 0;  // header + payload
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

  bool clean() const { return corrupt_regions == 0 && tail == TailState::kClean; }
};

// Scans a whole segment. A damaged record never yields changes. Damage followed by a valid
// record is skipped: past the damaged record when its header still verifies (the framing is
// intact), else to the next offset where a complete record verifies. Damage that reaches
// the end is reported as the tail.
SegmentScan scan_segment(ByteView data, uint64_t segment);

// Segment file names: "seg-0000000042.log" <-> 42.
std::string segment_name(uint64_t segment);
bool parse_segment_name(const std::string& name, uint64_t& segment);

}  // namespace orbit::persistence::logfmt
