#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace albatross {

using Duration = std::chrono::milliseconds;

// Parses a duration written as digits followed by one unit: ms, s, m, h or d ("250ms",
// "30s", "24h"). Returns nullopt and sets `error` for anything else, including overflow,
// a missing unit, signs, spaces and fractions.
std::optional<Duration> parse_duration(std::string_view text, std::string* error = nullptr);

// The shortest exact text form of `d` that parse_duration reads back ("90s", "250ms", "1d").
std::string format_duration(Duration d);

}  // namespace albatross
