#include "albatross/http/retry_policy.hpp"

namespace albatross::http {

RetryDecision decide_retry(Failure failure, const AttemptFacts& facts) {
  using Kind = RetryDecision::Kind;
  switch (failure) {
    case Failure::none:
      return {Kind::respond, 502, true};  // not a failure: callers never ask
    case Failure::connect_refused:
    case Failure::connect_timeout: {
      int status = failure == Failure::connect_timeout ? 504 : 502;
      bool close = facts.body_pending || facts.close_after;
      if (facts.connect_attempts < kMaxConnectAttempts) return {Kind::other_target, status, close};
      return {Kind::respond, status, close};
    }
    case Failure::client_lost:
      return {Kind::abandon, 0, true};
    case Failure::client_body_timeout:
      // Nothing after a stalled body can be framed.
      return {Kind::respond, 408, true};
    case Failure::client_body_invalid:
      // RFC 9112 §6.3: a malformed chunked body leaves the rest of the stream unframed.
      return {Kind::respond, 400, true};
    case Failure::send_failed:
    case Failure::response_lost:
      if (facts.reused && facts.nothing_received && !facts.retried_reused && facts.idempotent &&
          !facts.body_consumed) {
        return {Kind::fresh_connection, 502, true};
      }
      return {Kind::respond, 502, true};
    case Failure::response_timeout:
      return {Kind::respond, 504, true};
    case Failure::response_invalid:
      return {Kind::respond, 502, true};
  }
  return {Kind::respond, 502, true};
}

}  // namespace albatross::http
