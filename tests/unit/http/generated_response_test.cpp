#include "albatross/http/generated_response.hpp"

#include <doctest/doctest.h>

#include <string>

#include "albatross/http/response_head.hpp"

namespace albatross::http {
namespace {

// Splits a generated response into head and body, checking the head is well formed.
struct Split {
  std::string_view head;
  std::string_view body;
};

Split split(std::string_view response) {
  std::size_t end = response.find("\r\n\r\n");
  REQUIRE(end != std::string_view::npos);
  return {response.substr(0, end + 4), response.substr(end + 4)};
}

TEST_CASE("generated_response: status line, length matching the body, close flag") {
  for (int status :
       {400, 403, 404, 405, 408, 413, 414, 417, 429, 431, 500, 501, 502, 503, 504, 505}) {
    CAPTURE(status);
    for (bool close : {false, true}) {
      CAPTURE(close);
      std::string_view response = generated_response(status, close);
      Split parts = split(response);
      std::string status_line =
          "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_reason(status)) + "\r\n";
      CHECK(response.substr(0, status_line.size()) == status_line);
      CHECK(parts.body == std::to_string(status) + " " + std::string(status_reason(status)) + "\n");

      // Our own parser agrees on framing and connection handling.
      ResponseHead head;
      parse_response_head(parts.head, false, head);
      REQUIRE(head.valid);
      CHECK(head.status == status);
      CHECK(head.body == ResponseBody::content_length);
      CHECK(head.content_length == parts.body.size());
      CHECK(head.keep_alive == !close);
      bool has_close = response.find("\r\nConnection: close\r\n") != std::string_view::npos;
      CHECK(has_close == close);
      CHECK(response.find("Content-Type: text/plain; charset=utf-8\r\n") != std::string_view::npos);
    }
  }
}

TEST_CASE("generated_response to a HEAD request: the same head, no body") {
  for (int status : {400, 405, 408, 431, 501, 502, 503, 504, 505}) {
    CAPTURE(status);
    for (bool close : {false, true}) {
      CAPTURE(close);
      std::string_view full = generated_response(status, close);
      std::string_view head = generated_response(status, close, /*head_request=*/true);
      CHECK(head == split(full).head);
      CHECK(head.ends_with("\r\n\r\n"));
      ResponseHead parsed;
      parse_response_head(head, true, parsed);
      REQUIRE(parsed.valid);
      CHECK(parsed.status == status);
      CHECK(parsed.body == ResponseBody::none);
    }
  }
}

TEST_CASE("generated_response: 405 names the allowed methods") {
  CHECK(generated_response(405, false)
            .find("\r\nAllow: GET, HEAD, POST, PUT, DELETE, OPTIONS, "
                  "PATCH\r\n") != std::string_view::npos);
  CHECK(generated_response(400, false).find("Allow:") == std::string_view::npos);
}

TEST_CASE("generated_response: an unknown status falls back to 500") {
  CHECK(generated_response(418, false) == generated_response(500, false));
  CHECK(generated_response(200, true) == generated_response(500, true));
}

TEST_CASE("generated_response returns stable storage") {
  std::string_view a = generated_response(502, true);
  std::string_view b = generated_response(502, true);
  CHECK(a.data() == b.data());
}

TEST_CASE("status_reason") {
  CHECK(status_reason(200) == "OK");
  CHECK(status_reason(101) == "Switching Protocols");
  CHECK(status_reason(304) == "Not Modified");
  CHECK(status_reason(413) == "Content Too Large");
  CHECK(status_reason(431) == "Request Header Fields Too Large");
  CHECK(status_reason(502) == "Bad Gateway");
  CHECK(status_reason(505) == "HTTP Version Not Supported");
  CHECK(status_reason(299) == "Unknown");
}

TEST_CASE("kContinueResponse") {
  CHECK(kContinueResponse == "HTTP/1.1 100 Continue\r\n\r\n");
  ResponseHead head;
  parse_response_head(kContinueResponse, false, head);
  CHECK(head.valid);
  CHECK(head.status == 100);
}

}  // namespace
}  // namespace albatross::http
