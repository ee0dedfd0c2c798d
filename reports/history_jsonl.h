// The JSON Lines form of a typed history (history/event.h): the only JSON form there is.
// One event per line, keys sorted:
//   {"data":{...},"kind":"<kind_name>","node":N,"t":T}
// `data` holds the payload's fields by their schema names (docs/HISTORY.md lists them):
// integers as JSON integers, bools, doubles as JSON numbers, durations as integer
// nanoseconds (their names end in "_ns"), names (Syms) as strings, SHA-256 digests as 64
// lower-case hex digits, optional integers as an integer or null, byte blobs as lower-case
// hex (two digits per byte), name lists as arrays of strings, integer lists as arrays of
// integers, enums as their names (history::EnumNames).
//
// Parsing is strict and never throws: an unknown kind, a missing or extra field, a value
// of the wrong type or range, bad hex or an unknown enum name is an Error{kCorrupt} naming
// the line, the kind and the field. Rendering and parsing are generic over the schema
// (history::for_each_field); there is no per-kind code here.
//
// Known non-round-trips: a string that is not valid UTF-8 renders with U+FFFD in place of
// the bad bytes; a NaN or infinite double renders as null (and null does not parse).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "history/history.h"
#include "runtime/env/result.h"

namespace orbit::reports {

// One line, without the newline.
[[nodiscard]] std::string render_event(const history::History& history, const history::Event& event);
// Every event, one line each, each ending in '\n'.
[[nodiscard]] std::string render_jsonl(const history::History& history);

// Parses one line and appends its event to `into` (nothing is appended on error; names met
// before the error may stay interned). `line_number` only labels error messages:
// "history line N: <kind>: field "x" must be ...".
[[nodiscard]] Result<void> parse_line(std::string_view line, history::History& into, size_t line_number = 1);
// Every line of `text` (empty lines are skipped; a last line needs no newline).
[[nodiscard]] Result<history::History> parse_jsonl(std::string_view text);

// A default-constructed payload of the kind with index `index` (< history::kKindCount).
[[nodiscard]] history::Payload default_payload(size_t index);

}  // namespace orbit::reports
