#pragma once

#include <cstddef>
#include <string_view>

#include "albatross/http/head_limits.hpp"

namespace albatross::http {

// Finds where a message head ends in a growing buffer, enforcing the size limits on the way.
// Each call scans only bytes not seen before. Pure; one instance per message.
class HeadScanner {
 public:
  enum class Status {
    incomplete,       // need more bytes
    complete,         // head_size() bytes form the head, ending with the empty line
    bare_line_break,  // a lone CR or LF: framing cannot be trusted (400)
    start_line_too_long,
    field_line_too_long,
    head_too_large,
    too_many_fields,
  };

  explicit HeadScanner(const HeadLimits& limits) : limits_(&limits) {}

  // `data` is everything buffered for this message so far (it only ever grows).
  Status scan(std::string_view data);
  std::size_t head_size() const { return head_size_; }
  // Whether scanning stopped inside the start line (for classifying a bare line break).
  bool in_start_line() const { return lines_ == 0; }
  void reset() { *this = HeadScanner(*limits_); }

 private:
  const HeadLimits* limits_;
  std::size_t scanned_ = 0;     // bytes examined so far
  std::size_t line_start_ = 0;  // offset of the current line
  std::size_t lines_ = 0;       // complete lines so far, start line included
  std::size_t head_size_ = 0;
  bool skipping_leading_ = true;  // RFC 9112 §2.2: ignore empty lines before the start line
};

}  // namespace albatross::http
