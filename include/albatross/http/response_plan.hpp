#pragma once

#include "albatross/http/header_rewrite.hpp"
#include "albatross/http/request_facts.hpp"
#include "albatross/http/response_head.hpp"

namespace albatross::http {

// How a target's response travels on: the framing towards the client and whether each side's
// connection survives the exchange. Pure.
struct ResponsePlan {
  ClientFraming framing = ClientFraming::none;
  bool upgrade = false;              // a 101: the connection becomes a tunnel
  bool client_keep_alive = false;    // the client connection serves another request after this
  bool upstream_keep_alive = false;  // the target connection may go back to the pool

  // `closing`: the client connection ends after this exchange anyway (drain, retired listener).
  // `close_both`: neither connection may be reused (an ambiguous head in defensive mode).
  // `body_sent`: the whole request body reached the target (false when the target answered
  // before taking it).
  static ResponsePlan of(const ResponseHead& response, const RequestFacts& request, bool closing,
                         bool close_both, bool body_sent);
};

// Bodies of unknown length reach HTTP/1.1 clients chunked and HTTP/1.0 ones until close.
ClientFraming framing_for(ResponseBody body, bool client_http10);

}  // namespace albatross::http
