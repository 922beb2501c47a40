#include "albatross/common/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "albatross/common/str_cat.hpp"

namespace albatross {
namespace {

// Clears the bits of `address` beyond `prefix`.
IpAddress masked(IpAddress address, int prefix) {
  for (int i = 0; i < 16; ++i) {
    int keep = prefix - i * 8;
    if (keep >= 8) continue;
    address.bytes[static_cast<std::size_t>(i)] &=
        keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
  }
  return address;
}

std::string address_text(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(address.v4 ? AF_INET : AF_INET6, address.bytes.data(), text, sizeof text);
  return text;
}

}  // namespace

bool Cidr::contains(const IpAddress& address) const {
  if (address.v4 != network.v4) return false;
  int full = prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (address.bytes[static_cast<std::size_t>(i)] != network.bytes[static_cast<std::size_t>(i)])
      return false;
  }
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address.bytes[static_cast<std::size_t>(full)] & mask) ==
         network.bytes[static_cast<std::size_t>(full)];
}

std::string Cidr::to_string() const {
  return str_cat(address_text(network), '/', prefix);
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* reason) {
  auto fail = [&](std::string message) -> std::optional<Cidr> {
    if (reason) *reason = std::move(message);
    return std::nullopt;
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail("expected \"address/prefix\"");
  }
  std::optional<IpAddress> address = parse_ip_address(text.substr(0, slash));
  if (!address) {
    return fail(str_cat('"', text.substr(0, slash), "\" is not an IPv4 or IPv6 address"));
  }
  std::string_view prefix_text = text.substr(slash + 1);
  int max = address->v4 ? 32 : 128;
  int prefix = -1;
  auto [end, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (prefix_text.empty() || prefix_text.size() > 3 || ec != std::errc() ||
      end != prefix_text.data() + prefix_text.size() || prefix < 0 || prefix > max) {
    return fail(str_cat("the prefix length must be 0..", max));
  }
  Cidr cidr{masked(*address, prefix), prefix};
  if (cidr.network != *address) {
    return fail(str_cat("bits set beyond the /", prefix, " prefix (the network is ",
                        cidr.to_string(), ')'));
  }
  return cidr;
}

}  // namespace albatross
