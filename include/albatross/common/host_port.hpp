#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace albatross {

// A "host:port" pair as written in the configuration. IPv6 literals are written in
// brackets ("[::1]:8080"); `host` holds them without the brackets.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;

  bool is_ipv6_literal() const { return host.find(':') != std::string::npos; }
  // The text form, with brackets around an IPv6 literal.
  std::string to_string() const;
  bool operator==(const HostPort&) const = default;
};

// Parses "host:port" / "[v6]:port". The port must be 1..65535 (0 only when `allow_port_zero`,
// which tests use to bind an ephemeral port).
std::optional<HostPort> parse_host_port(std::string_view text, std::string* error = nullptr,
                                        bool allow_port_zero = false);

}  // namespace albatross
