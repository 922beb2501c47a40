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
    // The start line's first token (the method) runs past max_method bytes: refused at once
    // (400) instead of being read up to the line or head limit (414/431). Shares the value of
    // bare_line_break, so a caller that answers that with 400 answers this too.
    bad_start_line = bare_line_break,
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
  bool skipping_leading_ = true;   // RFC 9112 §2.2: ignore empty lines before the start line
  bool first_token_done_ = false;  // a SP seen in the start line within max_method bytes

  bool first_token_too_long(const char* base, std::size_t line_end);
};

}  // namespace albatross::http
