#pragma once

#include <cstdint>
#include <string_view>

#include "albatross/http/request_head.hpp"

namespace albatross::http {

// What the later stages of an exchange need to know about the request once its head is gone
// from the read buffer. Views point into the head's storage only where noted.
struct RequestFacts {
  BodyKind body = BodyKind::none;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  bool http10 = false;
  bool is_head = false;
  bool upgrade = false;
  bool expect_continue = false;  // HTTP/1.1 only: albatross answers 100 Continue itself
  bool idempotent = false;
  bool host_missing = false;  // the upstream head carries the target's authority as Host
  // A view into the head until the exchange copies it (Exchange keeps its own copy): the head's
  // storage is reused.
  std::string_view upgrade_protocol;

  static RequestFacts from(const RequestHead& head);
};

}  // namespace albatross::http
