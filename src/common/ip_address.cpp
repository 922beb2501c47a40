#include "albatross/common/ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace albatross {

IpAddress IpAddress::from_v4(const std::array<std::uint8_t, 4>& octets) {
  IpAddress address;
  std::memcpy(address.bytes.data(), octets.data(), 4);
  address.v4 = true;
  return address;
}

IpAddress IpAddress::from_v6(const std::array<std::uint8_t, 16>& octets) {
  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(octets.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    return from_v4({octets[12], octets[13], octets[14], octets[15]});
  }
  IpAddress address;
  address.bytes = octets;
  return address;
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string z(text);  // inet_pton wants a terminated string
  if (z.find(':') == std::string::npos) {
    std::array<std::uint8_t, 4> v4{};
    if (::inet_pton(AF_INET, z.c_str(), v4.data()) != 1) return std::nullopt;
    return IpAddress::from_v4(v4);
  }
  std::array<std::uint8_t, 16> v6{};
  if (::inet_pton(AF_INET6, z.c_str(), v6.data()) != 1) return std::nullopt;
  // The textual form decides the family: "::ffff:10.0.0.1" written in a config is still IPv6.
  IpAddress address;
  address.bytes = v6;
  return address;
}

}  // namespace albatross
