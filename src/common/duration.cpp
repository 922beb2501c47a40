#include "albatross/common/duration.hpp"

#include <cstdint>
#include <limits>

#include "albatross/common/str_cat.hpp"

namespace albatross {

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Duration> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0) {
    return fail(str_cat("invalid duration \"", text,
                        "\": expected a whole number followed by ms, s, m, h or d"));
  }
  std::string_view unit = text.substr(digits);
  std::int64_t scale_ms = 0;
  if (unit == "ms") {
    scale_ms = 1;
  } else if (unit == "s") {
    scale_ms = 1000;
  } else if (unit == "m") {
    scale_ms = 60'000;
  } else if (unit == "h") {
    scale_ms = 3'600'000;
  } else if (unit == "d") {
    scale_ms = 86'400'000;
  } else {
    return fail(unit.empty()
                    ? str_cat("invalid duration \"", text, "\": missing unit (ms, s, m, h or d)")
                    : str_cat("invalid duration \"", text, "\": unknown unit \"", unit,
                              "\" (use ms, s, m, h or d)"));
  }
  // Cap at 100 years: no timeout here is meaningful beyond that, and the cap keeps every
  // later arithmetic on time points free of overflow.
  constexpr std::int64_t kMaxMs = 100LL * 365 * 86'400'000;
  std::int64_t value = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    value = value * 10 + (text[i] - '0');
    if (value > kMaxMs) return fail(str_cat("duration \"", text, "\" is too large"));
  }
  if (value > kMaxMs / scale_ms) return fail(str_cat("duration \"", text, "\" is too large"));
  return Duration{value * scale_ms};
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  struct Unit {
    std::int64_t scale;
    const char* name;
  };
  for (Unit u : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}}) {
    if (ms % u.scale == 0) return str_cat(ms / u.scale, u.name);
  }
  return str_cat(ms, "ms");
}

}  // namespace albatross
