#include "albatross/http/response_head.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross::http {
namespace {

using namespace std::literals;

ResponseHead parse(std::string_view head, bool head_request = false) {
  ResponseHead out;
  parse_response_head(head, head_request, out);
  return out;
}

std::string invalid_reason(std::string_view head) {
  ResponseHead r = parse(head);
  CHECK_FALSE(r.valid);
  CHECK_FALSE(r.error.empty());
  return std::string(r.error);
}

TEST_CASE("parse_response_head reads status line forms") {
  ResponseHead r = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.version == 11);
  CHECK(r.status == 200);
  CHECK(r.reason == "OK");

  r = parse("HTTP/1.1 404 Not Found Here\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.reason == "Not Found Here");

  r = parse("HTTP/1.1 204\r\n\r\n");  // no reason, no space
  REQUIRE(r.valid);
  CHECK(r.status == 204);
  CHECK(r.reason.empty());

  r = parse("HTTP/1.1 204 \r\n\r\n");  // empty reason
  REQUIRE(r.valid);
  CHECK(r.reason.empty());

  r = parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.version == 10);

  r = parse("HTTP/1.1 599 Custom\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.valid);
  r = parse("HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(r.valid);
  r = parse("HTTP/1.1 200 OK\tfine\r\nContent-Length: 0\r\n\r\n");
  CHECK(r.valid);
}

TEST_CASE("parse_response_head refuses malformed status lines") {
  CHECK(invalid_reason("HTTP/2 200 OK\r\n\r\n") == "invalid status line");
  CHECK(invalid_reason("HTTP/1.1 20 OK\r\n\r\n") == "invalid status code");
  CHECK(invalid_reason("HTTP/1.1 2000 OK\r\n\r\n") == "invalid status line");
  CHECK(invalid_reason("HTTP/1.1 099 Low\r\n\r\n") == "invalid status code");
  CHECK(invalid_reason("HTTP/1.1 600 High\r\n\r\n") == "invalid status code");
  CHECK(invalid_reason("HTTP/1.1 2x0 OK\r\n\r\n") == "invalid status code");
  CHECK(invalid_reason("HTTP/1.2 200 OK\r\n\r\n") == "unsupported HTTP version");
  CHECK(invalid_reason("HTTP/1.1  200 OK\r\n\r\n") == "invalid status code");
  CHECK(invalid_reason("http/1.1 200 OK\r\n\r\n") == "invalid status line");
  CHECK(invalid_reason("ICY 200 OK\r\n\r\n") == "invalid status line");
  CHECK(invalid_reason("HTTP/1.1 200 OK") == "invalid status line");
  CHECK(invalid_reason("") == "invalid status line");
  CHECK(invalid_reason("HTTP/1.1 200 O\x01K\r\n\r\n") == "invalid reason phrase");
}

TEST_CASE("parse_response_head refuses malformed field lines") {
  CHECK(invalid_reason("HTTP/1.1 200 OK\r\nX-A: 1\0\r\n\r\n"sv) == "NUL in header");
  CHECK(invalid_reason("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n") == "obs-fold in header");
  CHECK(invalid_reason("HTTP/1.1 200 OK\r\n X-A: 1\r\n\r\n") == "obs-fold in header");
  CHECK(invalid_reason("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n") == "header line without colon");
  CHECK(invalid_reason("HTTP/1.1 200 OK\r\nX A: 1\r\n\r\n") == "invalid header name");
  CHECK(invalid_reason("HTTP/1.1 200 OK\r\n: 1\r\n\r\n") == "invalid header name");
}

TEST_CASE("parse_response_head: Content-Length framing") {
  ResponseHead r = parse("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::content_length);
  CHECK(r.content_length == 12);
  CHECK(r.has_content_length);
  CHECK(r.declared_content_length == 12);
  CHECK(r.keep_alive);
  REQUIRE(r.fields.size() == 1);
  CHECK(r.fields[0].drop);  // re-emitted from the framing decision

  // Equal duplicates are one length.
  r = parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.content_length == 3);

  CHECK(invalid_reason("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") ==
        "conflicting Content-Length");
  for (std::string_view value :
       {"-1"sv, "+1"sv, "1 2"sv, "1,1"sv, "abc"sv, ""sv, "12345678901234567890"sv}) {
    CAPTURE(value);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::string(value) + "\r\n\r\n";
    CHECK(invalid_reason(head) == "invalid Content-Length");
  }
}

TEST_CASE("parse_response_head: Transfer-Encoding takes precedence over Content-Length") {
  ResponseHead r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::chunked);
  CHECK(r.keep_alive);
  CHECK_FALSE(r.other_codings);

  r = parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::chunked);
  CHECK_FALSE(r.keep_alive);  // a message framed two ways: never reuse the connection

  r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::chunked);
  CHECK(r.other_codings);

  // Not ending in chunked: the body runs until the target closes.
  r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::until_close);
  CHECK_FALSE(r.keep_alive);

  CHECK(invalid_reason("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n") ==
        "chunked applied twice");
  CHECK(
      invalid_reason(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") ==
      "chunked applied twice");
}

TEST_CASE("parse_response_head: no framing means until close") {
  ResponseHead r = parse("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::until_close);
  CHECK_FALSE(r.keep_alive);
}

TEST_CASE("parse_response_head: HEAD, 1xx, 204 and 304 have no body") {
  ResponseHead r = parse("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n", /*head_request=*/true);
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::none);
  CHECK(r.content_length == 0);
  CHECK(r.has_content_length);
  CHECK(r.declared_content_length == 42);
  CHECK(r.keep_alive);

  r = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", true);
  CHECK(r.body == ResponseBody::none);
  CHECK(r.keep_alive);

  r = parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\nETag: \"x\"\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::none);
  CHECK(r.declared_content_length == 42);
  CHECK(r.keep_alive);

  r = parse("HTTP/1.1 204 No Content\r\n\r\n");
  CHECK(r.body == ResponseBody::none);
  CHECK(r.keep_alive);

  for (std::string_view line : {"HTTP/1.1 100 Continue"sv, "HTTP/1.1 101 Switching Protocols"sv,
                                "HTTP/1.1 103 Early Hints"sv}) {
    CAPTURE(line);
    std::string head = std::string(line) + "\r\n\r\n";
    r = parse(head);
    REQUIRE(r.valid);
    CHECK(r.body == ResponseBody::none);
  }
}

TEST_CASE("parse_response_head: keep-alive") {
  CHECK(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  CHECK_FALSE(
      parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").keep_alive);
  CHECK_FALSE(parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: Keep-Alive, Close\r\n\r\n")
                  .keep_alive);
  CHECK_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").keep_alive);
  CHECK(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  CHECK_FALSE(
      parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n").keep_alive);  // until close
}

TEST_CASE("parse_response_head marks hop-by-hop fields and values to sanitize") {
  ResponseHead r = parse(
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\nKeep-Alive: "
      "timeout=5\r\nProxy-Connection: x\r\nTE: x\r\nTrailer: x\r\nUpgrade: x\r\nSet-Cookie: "
      "a=b\r\nX-Ctl: a\x01z\r\n\r\n");
  REQUIRE(r.valid);
  REQUIRE(r.fields.size() == 9);
  for (std::size_t i = 0; i < 7; ++i) {
    CAPTURE(r.fields[i].name);
    CHECK(r.fields[i].drop);
  }
  CHECK_FALSE(r.fields[7].drop);
  CHECK(r.fields[7].id == FieldId::set_cookie);
  CHECK_FALSE(r.fields[8].drop);
  CHECK(r.fields[8].sanitize_value);
}

TEST_CASE("parse_response_head drops the fields named in Connection") {
  ResponseHead r = parse(
      "HTTP/1.1 200 OK\r\nX-Private: 1\r\nConnection: x-private, close\r\nX-Public: "
      "2\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(r.valid);
  REQUIRE(r.fields.size() == 4);
  CHECK(r.fields[0].name == "X-Private");
  CHECK(r.fields[0].drop);
  CHECK_FALSE(r.fields[2].drop);
  CHECK_FALSE(r.keep_alive);
  // Fields the proxy relies on cannot be named away.
  r = parse(
      "HTTP/1.1 200 OK\r\nConnection: Content-Length, Set-Cookie\r\nSet-Cookie: "
      "a=b\r\nContent-Length: 3\r\n\r\n");
  REQUIRE(r.valid);
  CHECK(r.body == ResponseBody::content_length);
  CHECK(r.content_length == 3);
  CHECK_FALSE(r.fields[1].drop);
}

TEST_CASE("parse_response_head reuses its fields vector") {
  ResponseHead r;
  parse_response_head("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n", false, r);
  CHECK(r.fields.size() == 3);
  parse_response_head("HTTP/1.1 500 Oops\r\nC: 3\r\n\r\n", false, r);
  REQUIRE(r.valid);
  CHECK(r.status == 500);
  CHECK(r.fields.size() == 1);
  CHECK_FALSE(r.has_content_length);
  parse_response_head("garbage\r\n\r\n", false, r);
  CHECK_FALSE(r.valid);
  CHECK(r.fields.empty());
}

}  // namespace
}  // namespace albatross::http
