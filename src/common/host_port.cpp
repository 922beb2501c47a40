#include "albatross/common/host_port.hpp"

#include "albatross/common/str_cat.hpp"

namespace albatross {

std::string HostPort::to_string() const {
  return is_ipv6_literal() ? str_cat('[', host, "]:", port) : str_cat(host, ':', port);
}

std::optional<HostPort> parse_host_port(std::string_view text, std::string* error,
                                        bool allow_port_zero) {
  auto fail = [&](std::string message) -> std::optional<HostPort> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(str_cat("invalid address \"", text, "\": expected \"[ipv6]:port\""));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(str_cat("invalid address \"", text, "\": expected \"host:port\""));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(
          str_cat("invalid address \"", text, "\": write IPv6 addresses as \"[addr]:port\""));
    }
  }
  if (host.empty()) return fail(str_cat("invalid address \"", text, "\": empty host"));
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_' || c == '%';
    if (!ok) return fail(str_cat("invalid address \"", text, "\": bad character in host"));
  }
  if (port.empty() || port.size() > 5) {
    return fail(str_cat("invalid address \"", text, "\": port must be 1..65535"));
  }
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9')
      return fail(str_cat("invalid address \"", text, "\": port must be 1..65535"));
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535 || (value == 0 && !allow_port_zero)) {
    return fail(str_cat("invalid address \"", text, "\": port must be 1..65535"));
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace albatross
