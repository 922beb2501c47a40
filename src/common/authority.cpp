#include "albatross/common/authority.hpp"

#include "albatross/common/ascii.hpp"

namespace albatross {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

bool is_ipv6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Authority::to_string() const {
  std::string out;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out.push_back('[');
  out.append(host);
  if (v6) out.push_back(']');
  if (port) {
    out.push_back(':');
    out.append(std::to_string(*port));
  }
  return out;
}

std::optional<Authority> parse_authority(std::string_view text) {
  if (text.empty() || text.size() > 255) return std::nullopt;
  std::string lower(text);
  for (char& c : lower)
    c = ascii::to_lower(c);
  std::string_view rest = lower;
  Authority out;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos || close < 3) return std::nullopt;
    std::string_view v6 = rest.substr(1, close - 1);
    for (char c : v6) {
      if (!is_ipv6_char(c)) return std::nullopt;
    }
    out.host = v6;
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
  } else {
    auto colon = rest.find(':');
    std::string_view name = rest.substr(0, colon);
    for (char c : name) {
      if (!is_name_char(c)) return std::nullopt;
    }
    // One trailing dot is the same name written fully qualified; "localhost.." is not.
    if (name.ends_with('.')) name.remove_suffix(1);
    if (name.empty() || name.front() == '.' || name.front() == '-') return std::nullopt;
    out.host = name;
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
  }
  if (!rest.empty()) {
    out.port = parse_port(rest.substr(1));
    if (!out.port) return std::nullopt;
  }
  return out;
}

}  // namespace albatross
