#pragma once

#include <cstdint>
#include <string>

namespace albatross {

// Wall-clock time (UTC, from the system clock) as integer Unix time, and its ISO-8601 text. For
// timestamps shown to people and other programs (logs, /status, the access log); durations and
// deadlines use the steady clock instead. Any thread.
std::int64_t unix_ms_now();
std::int64_t unix_us_now();

// Appends "YYYY-MM-DDTHH:MM:SS.fffZ" (milliseconds, `unix_ms`) or "...SS.ffffffZ"
// (microseconds, `unix_us`). Times before 1970 are not represented (clamped to the epoch).
void append_iso8601_ms(std::string& out, std::int64_t unix_ms);
void append_iso8601_us(std::string& out, std::int64_t unix_us);
std::string iso8601_ms(std::int64_t unix_ms);

}  // namespace albatross
