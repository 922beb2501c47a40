#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "albatross/http/field.hpp"

namespace albatross::http {

enum class ResponseBody : std::uint8_t { none, content_length, chunked, until_close };

// A parsed response head from a target. Views point into the upstream connection's buffer.
struct ResponseHead {
  int version = 11;
  int status = 0;
  std::string_view reason;
  std::vector<Field> fields;
  ResponseBody body = ResponseBody::none;
  std::uint64_t content_length = 0;
  bool has_content_length = false;  // a Content-Length field was present (kept for HEAD/304)
  std::uint64_t declared_content_length = 0;
  bool other_codings = false;  // codings besides chunked, re-emitted on forward
  bool keep_alive = true;      // the target lets us reuse the connection
  bool valid = false;
  std::string_view error;  // why the head is invalid (for logs and 502 reasons)
};

// Parses a complete response head (as delimited by HeadScanner). Targets are held to RFC 9112:
// anything that would make framing ambiguous (conflicting lengths, NUL, obs-fold) is invalid and
// answered with 502. `request_method_head` and the status decide whether a body follows.
void parse_response_head(std::string_view head, bool request_method_head, ResponseHead& out);

}  // namespace albatross::http
