#include "albatross/http/header_rewrite.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace albatross::http {
namespace {

using namespace std::literals;

ForwardContext context() {
  ForwardContext c;
  c.client_address = "10.0.0.9";
  c.scheme = "http";
  c.listener_port = "8080";
  c.fallback_host = "lb.local:8080";
  c.generated_request_id = "gen-1";
  c.strip_cookie = "AWSALB";
  c.strip_cookie_cors = "AWSALBCORS";
  return c;
}

// Parses `request` (which must outlive the call) and returns the head sent upstream.
std::string upstream(std::string_view request, const ForwardContext& c = context()) {
  RequestHead head;
  parse_request_head(request, {}, head);
  std::string out = "stale";
  write_upstream_request(head, c, out);
  return out;
}

// The fields albatross always appends for `context()` without a client X-Request-Id.
constexpr std::string_view kAdded =
    "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: 8080\r\n"
    "X-Request-Id: gen-1\r\n";

std::string expect(std::string_view start_and_fields, std::string_view tail = kAdded) {
  return std::string(start_and_fields) + std::string(tail) + "\r\n";
}

TEST_CASE("write_upstream_request: a plain GET") {
  CHECK(upstream("GET /a?b=1 HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\n\r\n") ==
        expect("GET /a?b=1 HTTP/1.1\r\nHost: app.example\r\nAccept: */*\r\n"));
}

TEST_CASE("write_upstream_request removes hop-by-hop fields") {
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: "
                 "timeout=5\r\nX-Hop: 1\r\nTE: trailers\r\nTrailer: X-T\r\nProxy-Connection: "
                 "keep-alive\r\nUpgrade: websocket\r\nExpect: 100-continue\r\nX-Keep: "
                 "2\r\n\r\n") == expect("GET / HTTP/1.1\r\nHost: a\r\nX-Keep: 2\r\n"));
}

TEST_CASE("write_upstream_request appends the client to X-Forwarded-For") {
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1\r\nX-A: 1\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1, 10.0.0.9\r\nX-A: 1\r\n",
               "X-Forwarded-Proto: http\r\nX-Forwarded-Port: 8080\r\nX-Request-Id: gen-1\r\n"));
}

TEST_CASE("write_upstream_request combines several X-Forwarded-For fields in order") {
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1\r\nX-A: 1\r\n"
                 "x-forwarded-for: 192.0.2.2, 192.0.2.3\r\nX-Forwarded-For:\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 192.0.2.1, 192.0.2.2, 192.0.2.3, "
               "10.0.0.9\r\nX-A: 1\r\n",
               "X-Forwarded-Proto: http\r\nX-Forwarded-Port: 8080\r\nX-Request-Id: gen-1\r\n"));
}

TEST_CASE("write_upstream_request overwrites X-Forwarded-Proto and X-Forwarded-Port") {
  ForwardContext tls = context();
  tls.scheme = "https";
  tls.listener_port = "443";
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: "
                 "80\r\nx-forwarded-proto: gopher\r\n\r\n",
                 tls) ==
        expect("GET / HTTP/1.1\r\nHost: a\r\n",
               "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: "
               "443\r\nX-Request-Id: gen-1\r\n"));
}

TEST_CASE("write_upstream_request keeps a valid X-Request-Id") {
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123_x.y:z\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: abc-123_x.y:z\r\n",
               "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: "
               "8080\r\n"));
  // Only the first of several is kept.
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: one\r\nX-Request-Id: two\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: one\r\n",
               "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: "
               "8080\r\n"));
}

TEST_CASE("write_upstream_request replaces an invalid X-Request-Id") {
  for (std::string_view id : {"has space"sv, "semi;colon"sv, "quote\""sv, "\xc3\xa9"sv}) {
    CAPTURE(id);
    std::string request =
        "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: " + std::string(id) + "\r\n\r\n";
    CHECK(upstream(request) == expect("GET / HTTP/1.1\r\nHost: a\r\n"));
  }
  std::string too_long =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: " + std::string(129, 'a') + "\r\n\r\n";
  CHECK(upstream(too_long) == expect("GET / HTTP/1.1\r\nHost: a\r\n"));
  std::string longest =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: " + std::string(128, 'a') + "\r\n\r\n";
  CHECK(upstream(longest).find("X-Request-Id: " + std::string(128, 'a') + "\r\n") !=
        std::string::npos);
  CHECK(upstream(longest).find("gen-1") == std::string::npos);
}

TEST_CASE("valid_request_id") {
  CHECK(valid_request_id("a"));
  CHECK(valid_request_id("0123-abcd_EF.gh:ij"));
  CHECK(valid_request_id(std::string(128, 'z')));
  CHECK_FALSE(valid_request_id(""));
  CHECK_FALSE(valid_request_id(std::string(129, 'z')));
  CHECK_FALSE(valid_request_id("a b"));
  CHECK_FALSE(valid_request_id("a/b"));
  CHECK_FALSE(valid_request_id("a\r\nb"));
}

TEST_CASE("write_upstream_request generates no X-Request-Id when there is none to give") {
  ForwardContext c = context();
  c.generated_request_id = {};
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\n\r\n", c) ==
        expect("GET / HTTP/1.1\r\nHost: a\r\n",
               "X-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: "
               "8080\r\n"));
}

TEST_CASE("write_upstream_request preserves Host and supplies one for HTTP/1.0") {
  CHECK(upstream("GET / HTTP/1.1\r\nHost: Example.COM:8080\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: Example.COM:8080\r\n"));
  // Forwarded as HTTP/1.1, which requires a Host.
  CHECK(upstream("GET / HTTP/1.0\r\nAccept: x\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nAccept: x\r\n",
               "Host: lb.local:8080\r\nX-Forwarded-For: 10.0.0.9\r\nX-Forwarded-Proto: "
               "http\r\nX-Forwarded-Port: 8080\r\nX-Request-Id: gen-1\r\n"));
  CHECK(upstream("GET / HTTP/1.0\r\nHost: given\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: given\r\n"));
}

TEST_CASE("write_upstream_request strips albatross's own cookies and keeps the others") {
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; AWSALB=abc; b=2; AWSALBCORS=def; "
                 "AWSALBX=3\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1; b=2; AWSALBX=3\r\n"));
  // Nothing left: no Cookie field at all.
  CHECK(
      upstream("GET / HTTP/1.1\r\nHost: a\r\nCookie: AWSALB=abc;AWSALBCORS=def\r\nX: 1\r\n\r\n") ==
      expect("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n"));
  // Cookie names are case-sensitive; stray separators are tidied.
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nCookie: awsalb=1;; c=3 ;\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nCookie: awsalb=1; c=3\r\n"));
  // Several Cookie fields are each filtered.
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nCookie: AWSALB=1\r\nCookie: d=4\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nCookie: d=4\r\n"));
  // Without stickiness nothing is stripped.
  ForwardContext plain = context();
  plain.strip_cookie = {};
  plain.strip_cookie_cors = {};
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nCookie: AWSALB=1;  e=5\r\n\r\n", plain) ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nCookie: AWSALB=1;  e=5\r\n"));
}

TEST_CASE("write_upstream_request writes the framing albatross decided") {
  CHECK(upstream("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0012\r\n\r\n") ==
        expect("POST /f HTTP/1.1\r\nHost: a\r\n", std::string(kAdded) + "Content-Length: 12\r\n"));
  CHECK(upstream("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n") ==
        expect("POST /f HTTP/1.1\r\nHost: a\r\n",
               std::string(kAdded) + "Transfer-Encoding: chunked\r\n"));
  CHECK(upstream("POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1, identity, "
                 "chunked\r\n\r\n") ==
        expect("POST /f HTTP/1.1\r\nHost: a\r\n",
               std::string(kAdded) + "Transfer-Encoding: gzip, chunked\r\n"));
  // Both: the request is forwarded chunked only.
  CHECK(upstream("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n") ==
        expect("POST /f HTTP/1.1\r\nHost: a\r\n",
               std::string(kAdded) + "Transfer-Encoding: chunked\r\n"));
  // HTTP/1.0 with a length keeps it.
  CHECK(upstream("POST /f HTTP/1.0\r\nHost: a\r\nContent-Length: 3\r\n\r\n") ==
        expect("POST /f HTTP/1.1\r\nHost: a\r\n", std::string(kAdded) + "Content-Length: 3\r\n"));
}

// The parser refuses such requests now (InvalidRequestTarget, InvalidFieldValue): the rewrite's
// encoding and blanking are a second line, tested on heads built by hand.
RequestHead hand_built(std::string_view target, std::vector<Field> extra = {}) {
  RequestHead head;
  head.method = "GET";
  head.target = target;
  head.host = "a";
  head.fields.push_back(Field{"Host", "a", FieldId::host});
  for (const Field& f : extra)
    head.fields.push_back(f);
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) head.target_needs_encoding = true;
  }
  return head;
}

std::string upstream(const RequestHead& head) {
  std::string out = "stale";
  write_upstream_request(head, context(), out);
  return out;
}

TEST_CASE("write_upstream_request percent-encodes spaces and controls in the target") {
  CHECK(upstream(hand_built("/a b/c  d?q=x y")) ==
        expect("GET /a%20b/c%20%20d?q=x%20y HTTP/1.1\r\nHost: a\r\n"));
  CHECK(upstream(hand_built("/a\x01z\x7f")) == expect("GET /a%01z%7F HTTP/1.1\r\nHost: a\r\n"));
  // Already-encoded and non-ASCII bytes pass through untouched.
  CHECK(upstream("GET /%20\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n") ==
        expect("GET /%20\xc3\xa9 HTTP/1.1\r\nHost: a\r\n"));
}

TEST_CASE("write_upstream_request blanks control characters in values") {
  CHECK(upstream(hand_built("/", {Field{"X-A", "a\x01z\x7f.\tt", FieldId::other, false, true}})) ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nX-A: a z .\tt\r\n"));
  CHECK(upstream(hand_built("/", {Field{"X-Forwarded-For", "1.2.3.4\x01", FieldId::x_forwarded_for,
                                        false, true}})) ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4 , 10.0.0.9\r\n",
               "X-Forwarded-Proto: http\r\nX-Forwarded-Port: 8080\r\nX-Request-Id: gen-1\r\n"));
  // Also in a Cookie that had albatross's cookie removed from it.
  CHECK(upstream(hand_built(
            "/", {Field{"Cookie", "a=1\x01; AWSALB=2; b=\x02", FieldId::cookie, false, true}})) ==
        expect("GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1 ; b= \r\n"));
}

TEST_CASE("write_upstream_request forwards an upgrade") {
  CHECK(upstream("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                 "Sec-WebSocket-Key: k\r\n\r\n") ==
        expect("GET /ws HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key: k\r\n",
               std::string(kAdded) + "Connection: Upgrade\r\nUpgrade: websocket\r\n"));
  // The protocol is the client's text: one with control characters is refused by the parser.
  RequestHead controls;
  parse_request_head(
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: web\x01sock\x7f\r\n\r\n", {},
      controls);
  CHECK(controls.tier == Tier::severe);
  // h2c is never forwarded as an upgrade.
  CHECK(upstream("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                 "Upgrade: h2c\r\nHTTP2-Settings: x\r\n\r\n") ==
        expect("GET / HTTP/1.1\r\nHost: a\r\n"));
}

TEST_CASE("write_upstream_request clears its output first") {
  RequestHead head;
  parse_request_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", {}, head);
  std::string out = "GARBAGE";
  write_upstream_request(head, context(), out);
  CHECK(out.rfind("GET / HTTP/1.1\r\n", 0) == 0);
}

// --- write_downstream_response ---

std::string downstream(std::string_view response, const ResponseContext& c,
                       bool head_request = false) {
  ResponseHead head;
  parse_response_head(response, head_request, head);
  REQUIRE(head.valid);
  std::string out = "stale";
  write_downstream_response(head, c, out);
  return out;
}

ResponseContext framing(ClientFraming f, bool keep_alive = true) {
  ResponseContext c;
  c.framing = f;
  c.keep_alive = keep_alive;
  return c;
}

TEST_CASE("write_downstream_response removes hop-by-hop fields and sets framing") {
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive, "
                   "X-Private\r\nKeep-Alive: timeout=5\r\nX-App: 1\r\nSet-Cookie: a=b\r\n"
                   "Set-Cookie: c=d\r\nTrailer: X\r\nProxy-Connection: x\r\n\r\n",
                   framing(ClientFraming::content_length)) ==
        "HTTP/1.1 200 OK\r\nX-App: 1\r\nSet-Cookie: a=b\r\nSet-Cookie: c=d\r\nContent-Length: "
        "5\r\n\r\n");
}

TEST_CASE("write_downstream_response removes fields the target named in Connection") {
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: X-Private, "
                   "x-other\r\nX-Private: secret\r\nX-Other: 2\r\nX-Public: 3\r\n\r\n",
                   framing(ClientFraming::content_length)) ==
        "HTTP/1.1 200 OK\r\nX-Public: 3\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("write_downstream_response: chunked and until-close framing") {
  CHECK(downstream("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                   framing(ClientFraming::chunked)) ==
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(downstream("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                   framing(ClientFraming::chunked)) ==
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  CHECK(downstream("HTTP/1.0 200 OK\r\nX: 1\r\n\r\n", framing(ClientFraming::until_close, false)) ==
        "HTTP/1.1 200 OK\r\nX: 1\r\nConnection: close\r\n\r\n");
}

TEST_CASE("write_downstream_response: Connection for closing and HTTP/1.0 clients") {
  ResponseContext close = framing(ClientFraming::content_length, false);
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", close) ==
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  ResponseContext http10 = framing(ClientFraming::content_length, true);
  http10.client_http10 = true;
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", http10) ==
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
  http10.keep_alive = false;
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", http10) ==
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST_CASE("write_downstream_response: 101 keeps the upgrade fields") {
  ResponseContext c = framing(ClientFraming::none);
  c.upgrade = true;
  c.upgrade_protocol = "websocket";
  CHECK(downstream("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
                   "websocket\r\nSec-WebSocket-Accept: s\r\n\r\n",
                   c) ==
        "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s\r\nConnection: "
        "Upgrade\r\nUpgrade: websocket\r\n\r\n");
  c.upgrade_protocol = "web\x01socket";
  CHECK(downstream("HTTP/1.1 101 Switching Protocols\r\n\r\n", c) ==
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: web socket\r\n\r\n");
}

TEST_CASE("write_downstream_response: HEAD and 304 keep the declared Content-Length") {
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", framing(ClientFraming::none),
                   /*head_request=*/true) == "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
  CHECK(downstream("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 42\r\n\r\n",
                   framing(ClientFraming::none)) ==
        "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 42\r\n\r\n");
  // Without one declared, none is invented.
  CHECK(downstream("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n",
                   framing(ClientFraming::none)) ==
        "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
  // 1xx and 204 must not carry one (RFC 9110 §8.6).
  CHECK(downstream("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
                   framing(ClientFraming::none)) == "HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(downstream("HTTP/1.1 103 Early Hints\r\nContent-Length: 0\r\nLink: </a>\r\n\r\n",
                   framing(ClientFraming::none)) ==
        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n");
}

TEST_CASE("write_downstream_response: reason phrase and extra fields") {
  ResponseContext c = framing(ClientFraming::content_length, false);
  c.extra_fields = "Set-Cookie: AWSALB=x; Path=/\r\n";
  CHECK(downstream("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", c) ==
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nSet-Cookie: AWSALB=x; Path=/\r\nConnection: "
        "close\r\n\r\n");
  CHECK(downstream("HTTP/1.1 299 \r\nContent-Length: 1\r\n\r\n",
                   framing(ClientFraming::content_length)) ==
        "HTTP/1.1 299 Unknown\r\nContent-Length: 1\r\n\r\n");
  CHECK(downstream("HTTP/1.1 200 Fine Thanks\r\nContent-Length: 1\r\n\r\n",
                   framing(ClientFraming::content_length)) ==
        "HTTP/1.1 200 Fine Thanks\r\nContent-Length: 1\r\n\r\n");
}

TEST_CASE("write_downstream_response blanks control characters in values") {
  CHECK(downstream("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-A: a\x01z\r\n\r\n",
                   framing(ClientFraming::content_length)) ==
        "HTTP/1.1 200 OK\r\nX-A: a z\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace albatross::http
