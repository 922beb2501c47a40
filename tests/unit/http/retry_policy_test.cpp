#include "albatross/http/retry_policy.hpp"

#include <doctest/doctest.h>

namespace albatross::http {
namespace {

using Kind = RetryDecision::Kind;

// A GET on a pooled connection that came back empty: the keep-alive race.
AttemptFacts raced_get() {
  AttemptFacts f;
  f.connect_attempts = 0;
  f.reused = true;
  f.nothing_received = true;
  f.idempotent = true;
  return f;
}

TEST_CASE("decide_retry: a failed connect moves to another target, at most three connects") {
  AttemptFacts f;
  for (int attempts = 1; attempts < kMaxConnectAttempts; ++attempts) {
    f.connect_attempts = attempts;
    RetryDecision refused = decide_retry(Failure::connect_refused, f);
    CHECK(refused.kind == Kind::other_target);
    CHECK(refused.status == 502);
    CHECK(decide_retry(Failure::connect_timeout, f).status == 504);
  }
  f.connect_attempts = kMaxConnectAttempts;
  RetryDecision last = decide_retry(Failure::connect_refused, f);
  CHECK(last.kind == Kind::respond);
  CHECK(last.status == 502);
  CHECK_FALSE(last.close);  // nothing pending: the client connection may go on
  CHECK(decide_retry(Failure::connect_timeout, f).status == 504);
}

TEST_CASE("decide_retry: answering before an unread body or after an ambiguous head closes") {
  AttemptFacts f;
  f.connect_attempts = kMaxConnectAttempts;
  f.body_pending = true;
  CHECK(decide_retry(Failure::connect_refused, f).close);
  f.body_pending = false;
  f.close_after = true;
  CHECK(decide_retry(Failure::connect_refused, f).close);
}

TEST_CASE("decide_retry: the keep-alive race is retried once on a fresh connection") {
  CHECK(decide_retry(Failure::response_lost, raced_get()).kind == Kind::fresh_connection);
  CHECK(decide_retry(Failure::send_failed, raced_get()).kind == Kind::fresh_connection);

  AttemptFacts again = raced_get();
  again.retried_reused = true;
  CHECK(decide_retry(Failure::response_lost, again).kind == Kind::respond);

  AttemptFacts fresh = raced_get();
  fresh.reused = false;  // a new connection that fails is the target's fault
  CHECK(decide_retry(Failure::response_lost, fresh).kind == Kind::respond);

  AttemptFacts partial = raced_get();
  partial.nothing_received = false;  // some bytes came back: not a closed idle connection
  CHECK(decide_retry(Failure::response_lost, partial).kind == Kind::respond);

  AttemptFacts post = raced_get();
  post.idempotent = false;  // the target may have acted on it
  CHECK(decide_retry(Failure::response_lost, post).kind == Kind::respond);

  AttemptFacts put = raced_get();
  put.body_consumed = true;  // the body is gone from the buffer: it cannot be replayed
  RetryDecision d = decide_retry(Failure::response_lost, put);
  CHECK(d.kind == Kind::respond);
  CHECK(d.status == 502);
  CHECK(d.close);
}

TEST_CASE("decide_retry: statuses for failures that are answered") {
  AttemptFacts f;
  CHECK(decide_retry(Failure::response_timeout, f).status == 504);
  CHECK(decide_retry(Failure::response_invalid, f).status == 502);
  CHECK(decide_retry(Failure::client_body_timeout, f).status == 408);
  CHECK(decide_retry(Failure::client_body_invalid, f).status == 400);
  CHECK(decide_retry(Failure::client_body_invalid, f).close);
  CHECK(decide_retry(Failure::client_lost, f).kind == Kind::abandon);
  // A timeout is never retried: the target may still be working on the request.
  AttemptFacts raced = raced_get();
  CHECK(decide_retry(Failure::response_timeout, raced).kind == Kind::respond);
}

}  // namespace
}  // namespace albatross::http
