#include "albatross/http/response_plan.hpp"

#include <doctest/doctest.h>

namespace albatross::http {
namespace {

ResponseHead response(int status, ResponseBody body, bool keep_alive = true) {
  ResponseHead r;
  r.status = status;
  r.body = body;
  r.keep_alive = keep_alive;
  r.valid = true;
  return r;
}

RequestFacts get(bool http10 = false) {
  RequestFacts f;
  f.http10 = http10;
  f.keep_alive = true;
  return f;
}

TEST_CASE("framing_for: unknown lengths are chunked for HTTP/1.1, until close for HTTP/1.0") {
  CHECK(framing_for(ResponseBody::none, false) == ClientFraming::none);
  CHECK(framing_for(ResponseBody::content_length, true) == ClientFraming::content_length);
  CHECK(framing_for(ResponseBody::chunked, false) == ClientFraming::chunked);
  CHECK(framing_for(ResponseBody::until_close, false) == ClientFraming::chunked);
  CHECK(framing_for(ResponseBody::chunked, true) == ClientFraming::until_close);
  CHECK(framing_for(ResponseBody::until_close, true) == ClientFraming::until_close);
}

TEST_CASE("ResponsePlan: both connections are kept when nothing stands against it") {
  ResponsePlan p =
      ResponsePlan::of(response(200, ResponseBody::content_length), get(), false, false, true);
  CHECK(p.client_keep_alive);
  CHECK(p.upstream_keep_alive);
  CHECK_FALSE(p.upgrade);
  CHECK(p.framing == ClientFraming::content_length);
}

TEST_CASE("ResponsePlan: what ends the client connection") {
  ResponseHead ok = response(200, ResponseBody::content_length);
  CHECK_FALSE(ResponsePlan::of(ok, get(), true, false, true).client_keep_alive);  // draining
  CHECK(ResponsePlan::of(ok, get(), true, false, true).upstream_keep_alive);
  RequestFacts close = get();
  close.keep_alive = false;
  CHECK_FALSE(ResponsePlan::of(ok, close, false, false, true).client_keep_alive);
  // HTTP/1.0 client and a body of unknown length: the close delimits it.
  CHECK_FALSE(ResponsePlan::of(response(200, ResponseBody::chunked), get(true), false, false, true)
                  .client_keep_alive);
  // The target answered before taking the body: the rest of it cannot be skipped.
  RequestFacts post = get();
  post.body = BodyKind::content_length;
  ResponsePlan early = ResponsePlan::of(ok, post, false, false, false);
  CHECK_FALSE(early.client_keep_alive);
  CHECK_FALSE(early.upstream_keep_alive);
}

TEST_CASE("ResponsePlan: what ends the target connection") {
  CHECK_FALSE(ResponsePlan::of(response(200, ResponseBody::content_length, false), get(), false,
                               false, true)
                  .upstream_keep_alive);
  CHECK_FALSE(ResponsePlan::of(response(200, ResponseBody::until_close), get(), false, false, true)
                  .upstream_keep_alive);
  // An ambiguous head in defensive mode: neither side is reused.
  ResponsePlan both =
      ResponsePlan::of(response(200, ResponseBody::content_length), get(), false, true, true);
  CHECK_FALSE(both.client_keep_alive);
  CHECK_FALSE(both.upstream_keep_alive);
}

TEST_CASE("ResponsePlan: a 101 becomes a tunnel and neither side returns to keep-alive") {
  RequestFacts upgrade = get();
  upgrade.upgrade = true;
  ResponsePlan p = ResponsePlan::of(response(101, ResponseBody::none), upgrade, false, false, true);
  CHECK(p.upgrade);
  CHECK_FALSE(p.client_keep_alive);
  CHECK_FALSE(p.upstream_keep_alive);
}

}  // namespace
}  // namespace albatross::http
