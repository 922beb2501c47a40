#include "albatross/http/head_scanner.hpp"

#include <algorithm>
#include <cstring>

namespace albatross::http {

// Looks at most max_method + 1 bytes of the start line, once per scan until a SP is found.
bool HeadScanner::first_token_too_long(const char* base, std::size_t line_end) {
  if (first_token_done_) return false;
  std::size_t n = std::min(line_end - line_start_, limits_->max_method + 1);
  if (std::memchr(base + line_start_, ' ', n) != nullptr) {
    first_token_done_ = true;
    return false;
  }
  return n > limits_->max_method;
}

HeadScanner::Status HeadScanner::scan(std::string_view data) {
  const char* base = data.data();
  std::size_t end = data.size();
  while (scanned_ < end) {
    // Find the next line feed; everything before its CR must be free of lone CRs.
    const void* found = std::memchr(base + scanned_, '\n', end - scanned_);
    if (!found) {
      // A CR in the last byte may be the first half of a CRLF still in flight.
      std::size_t limit = base[end - 1] == '\r' ? end - 1 : end;
      if (std::memchr(base + scanned_, '\r', limit - scanned_) != nullptr) {
        return Status::bare_line_break;
      }
      scanned_ = limit;
      break;
    }
    std::size_t lf = static_cast<const char*>(found) - base;
    if (lf == 0 || base[lf - 1] != '\r') return Status::bare_line_break;
    if (lf - 1 > scanned_ && std::memchr(base + scanned_, '\r', lf - 1 - scanned_) != nullptr) {
      return Status::bare_line_break;
    }
    std::size_t line_length = lf - 1 - line_start_;
    scanned_ = lf + 1;
    if (line_length == 0) {
      if (skipping_leading_) {
        line_start_ = scanned_;
        if (line_start_ > 4) return Status::bare_line_break;  // more than two leading CRLFs
        continue;
      }
      head_size_ = scanned_;
      return scanned_ > limits_->max_head ? Status::head_too_large : Status::complete;
    }
    skipping_leading_ = false;
    if (lines_ == 0 && first_token_too_long(base, lf - 1)) return Status::bad_start_line;
    if (lines_ == 0 && line_length > limits_->max_start_line) return Status::start_line_too_long;
    if (lines_ > 0 && line_length > limits_->max_field_line) return Status::field_line_too_long;
    ++lines_;
    if (lines_ > limits_->max_fields + 1) return Status::too_many_fields;
    line_start_ = scanned_;
  }
  // Enforce limits on the incomplete line too, so a client cannot make us buffer forever.
  std::size_t partial = scanned_ - line_start_;
  if (lines_ == 0 && first_token_too_long(base, scanned_)) return Status::bad_start_line;
  if (lines_ == 0 && partial > limits_->max_start_line + 1) return Status::start_line_too_long;
  if (lines_ > 0 && partial > limits_->max_field_line + 1) return Status::field_line_too_long;
  if (scanned_ > limits_->max_head) return Status::head_too_large;
  return Status::incomplete;
}

}  // namespace albatross::http
