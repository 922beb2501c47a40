#pragma once

#include <cstdint>

namespace albatross::http {

// Why an upstream attempt ended without a usable response head.
enum class Failure : std::uint8_t {
  none,
  connect_refused,  // refused, reset, unreachable, or a failed TLS handshake to the target
  connect_timeout,
  send_failed,       // the target stopped taking the request
  response_timeout,  // no complete response head within response_timeout
  response_invalid,  // a response head albatross cannot frame
  response_lost,     // the target closed before sending anything
  client_lost,       // the client went away while its body was being sent
  client_body_invalid,
  client_body_timeout
};

// What the retry policy looks at besides the failure.
struct AttemptFacts {
  int connect_attempts = 0;       // connects that failed so far in this exchange, this one included
  bool reused = false;            // the attempt ran on a pooled keep-alive connection
  bool nothing_received = false;  // not one byte came back from the target
  bool retried_reused = false;    // the keep-alive race was retried once already
  bool idempotent = false;        // the request method is (RFC 9110 §9.2.2)
  bool body_consumed = false;     // request body bytes were taken from the client
  bool body_pending = false;      // the request has a body (answered early: close after)
  bool close_after = false;       // the exchange closes the connection whatever happens
};

struct RetryDecision {
  enum class Kind : std::uint8_t {
    other_target,      // connect to another target, if the balancer can pick one; else respond
    fresh_connection,  // the same target again, on a new connection
    respond,           // answer `status` and, with `close`, end the connection
    abandon            // the client left: end without a response
  };
  Kind kind = Kind::respond;
  int status = 502;
  bool close = true;
};

// At most this many connects per exchange (ALB retries a failed connect on other targets).
inline constexpr int kMaxConnectAttempts = 3;

// Pure. A failed connect moves to another target (nothing was sent yet); a reused connection
// that the target closed before answering (the keep-alive race) is retried once on a fresh one
// when the request can be replayed: idempotent and no body taken from the client. Everything
// else is answered: 504 for timeouts, 408 / 400 for a client body that stalled or was
// malformed, else 502.
RetryDecision decide_retry(Failure failure, const AttemptFacts& facts);

}  // namespace albatross::http
