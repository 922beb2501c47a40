#pragma once

#include <cstdint>
#include <string_view>

namespace albatross::http {

// Header fields the proxy itself interprets; everything else is `other`.
enum class FieldId : std::uint8_t {
  other,
  host,
  connection,
  keep_alive,
  proxy_connection,
  content_length,
  transfer_encoding,
  te,
  trailer,
  upgrade,
  expect,
  cookie,
  set_cookie,
  x_forwarded_for,
  x_forwarded_proto,
  x_forwarded_port,
  x_request_id,
  user_agent,
};

FieldId identify_field(std::string_view name);

// One header field line, viewing the buffer the head was parsed from. `value` is trimmed of
// surrounding whitespace.
struct Field {
  std::string_view name;
  std::string_view value;
  FieldId id = FieldId::other;
  bool drop = false;            // never forwarded (invalid name, suspicious, hop-by-hop)
  bool sanitize_value = false;  // has control characters to blank out when forwarded
};

}  // namespace albatross::http
