#pragma once

#include <string_view>

namespace albatross {

// Names the operator gives things (listeners, target groups, the sticky cookie) become metric
// label values, log fields and cookie names, so they keep to one safe alphabet:
// 1..64 characters of A-Z a-z 0-9 - _ .
inline constexpr std::string_view kNameRule = "must be 1..64 characters of A-Z a-z 0-9 - _ .";

constexpr bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace albatross
