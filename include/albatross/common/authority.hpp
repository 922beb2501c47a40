#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace albatross {

// An HTTP authority ("host[:port]", RFC 9110 section 7.2) in the one normal form the admin
// endpoint compares: the host lower-cased, one trailing dot trimmed, IPv6 literals without their
// brackets. Comparisons on it are exact: no prefix or suffix matching.
struct Authority {
  std::string host;
  std::optional<std::uint16_t> port;  // nullopt when the text named none

  // "host", "host:port" or "[v6]:port" (brackets back around an IPv6 literal).
  std::string to_string() const;
  bool operator==(const Authority&) const = default;
};

// Parses a Host header value or a configured name. The host is a DNS name or IPv4 literal
// (letters, digits, '-', '.', '_') or a bracketed IPv6 literal (hex digits, ':', '.'); the port,
// when present, 1..65535 in decimal. Anything else (userinfo, paths, spaces, empty host, an
// empty port after ':') is nullopt.
std::optional<Authority> parse_authority(std::string_view text);

}  // namespace albatross
