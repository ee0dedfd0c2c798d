// Durations as people write them in configuration files: an integer and a unit, optionally
// several of them ("10s", "250ms", "2m", "1h", "1m30s"). Integers only, so a value means
// exactly one number of nanoseconds ("1.5s" is refused; write "1500ms"). Units: ns, us, ms,
// s, m (minutes), h. No sign: a configured duration is never negative.
#pragma once

#include <string>
#include <string_view>

#include "runtime/env/result.h"
#include "runtime/env/time.h"

namespace orbit::config {

// The duration `text` denotes, or kInvalidArgument with a message that quotes the text and
// says what is wrong ("invalid duration \"5x\": unknown unit \"x\"; use ns, us, ms, s, m or h").
// Durations longer than about 292 years (int64 nanoseconds) are refused.
[[nodiscard]] Result<Duration> parse_duration(std::string_view text);

// The canonical spelling: one integer in the largest unit that represents `d` exactly
// ("90s", "2m", "1500ms", "0s"). parse_duration(format_duration(d)) == d for every d >= 0.
// Negative durations get a leading '-' (readable in messages; parse_duration refuses them).
std::string format_duration(Duration d);

}  // namespace orbit::config
