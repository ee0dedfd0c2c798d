// The canonical bytes of a history event: a specified, versioned binary form that the
// simulator's trace hash is computed over. It depends on the event's content alone (names
// are encoded as their strings, not as Syms), so the same run hashes the same in any
// process, build or standard library. docs/HISTORY.md specifies it:
//   u16 kind | i64 true time ns | i64 node | fields in schema order, where
//   integers, durations (ns) and doubles (IEEE-754 bits) are 8 bytes little-endian,
//   bools and enums 1 byte, a string is u32 length + bytes, a SHA-256 its 32 bytes,
//   an optional integer u8 presence (+ 8 bytes), a list u32 count + its elements.
#pragma once

#include <cstdint>
#include <string>

#include "history/history.h"

namespace orbit::history {

// Bump when the encoding or the schema changes meaning; reports carry it as their
// trace-hash version.
inline constexpr int kCanonicalVersion = 2;  // 1: the JSON-text hash of reports before it

// Appends the canonical bytes of `event` (an event of `history`) to `out`.
void encode_canonical(const History& history, const Event& event, std::string& out);

}  // namespace orbit::history
