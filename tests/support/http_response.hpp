#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace albatross::testing {

// One response as HttpClient read it off the wire.
struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;  // decoded (empty when the body was discarded)
  std::uint64_t body_size = 0;
  // The body ended where its framing said; false when the connection closed (or the deadline
  // passed) first.
  bool complete = false;

  // The first value of `name` (case-insensitive), if present.
  std::optional<std::string> header(std::string_view name) const;
  std::size_t header_count(std::string_view name) const;
  // The response announced that the connection ends ("Connection: close").
  bool connection_close() const;
};

}  // namespace albatross::testing
