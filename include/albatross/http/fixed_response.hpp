#pragma once

#include <string>
#include <string_view>

#include "albatross/config/rule_config.hpp"

namespace albatross::http {

// A rule's fixed_response action: the complete response bytes, built once per snapshot in
// both connection forms, so serving one is a single write of a view. Immutable, any thread.
class FixedResponse {
 public:
  explicit FixedResponse(const config::FixedResponseConfig& config);

  int status() const { return status_; }
  // The response; `close` adds Connection: close; `head_request` leaves out the body (the
  // head still announces its length, RFC 9110 §9.3.2).
  std::string_view bytes(bool close, bool head_request) const;

 private:
  int status_;
  std::string keep_alive_;
  std::string closing_;
  std::size_t body_size_;
};

}  // namespace albatross::http
