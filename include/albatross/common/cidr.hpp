#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "albatross/common/ip_address.hpp"

namespace albatross {

// An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32"). An IPv4 network contains only IPv4
// addresses (IPv4-mapped peers included, see IpAddress), an IPv6 one only IPv6 addresses. Plain
// value, any thread.
struct Cidr {
  IpAddress network;  // host bits zero
  int prefix = 0;     // 0..32 for IPv4, 0..128 for IPv6

  bool contains(const IpAddress& address) const;
  std::string to_string() const;
  bool operator==(const Cidr&) const = default;
};

// Parses "address/prefix". The prefix is required, and the address must have no bits set
// beyond it ("10.0.0.1/8" is refused, naming "10.0.0.0/8"): a typo there would silently widen or
// shift the network. On failure `reason` says why, without repeating `text` (callers name the
// value their own way, e.g. a config error's key path and value).
std::optional<Cidr> parse_cidr(std::string_view text, std::string* reason = nullptr);

}  // namespace albatross
