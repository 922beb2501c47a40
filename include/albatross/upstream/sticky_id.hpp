#pragma once

#include <cstdint>
#include <string_view>

namespace albatross::upstream {

// The first 8 bytes of SHA-256(text), big-endian: an id a sticky cookie can carry that every
// albatross process with the same configuration derives alike, across reloads and restarts.
std::uint64_t stable_sticky_id(std::string_view text);

// The id a sticky cookie names a target group by: stable_sticky_id(group name).
inline std::uint64_t sticky_group_id(std::string_view group_name) {
  return stable_sticky_id(group_name);
}

}  // namespace albatross::upstream
