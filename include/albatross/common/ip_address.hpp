#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace albatross {

// An IPv4 or IPv6 address as 16 bytes in network order; an IPv4 address (and an IPv4-mapped
// IPv6 one, ::ffff:a.b.c.d, as a dual-stack socket reports IPv4 peers) is held in the first 4
// bytes with `v4` set, so it compares with IPv4 networks. Plain value, any thread.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;

  static IpAddress from_v4(const std::array<std::uint8_t, 4>& octets);
  // IPv4-mapped addresses become IPv4.
  static IpAddress from_v6(const std::array<std::uint8_t, 16>& octets);
  bool operator==(const IpAddress&) const = default;
};

// Parses dotted-quad IPv4 or textual IPv6 (no brackets, no zone).
std::optional<IpAddress> parse_ip_address(std::string_view text);

}  // namespace albatross
