#include "albatross/http/fixed_response.hpp"

#include <doctest/doctest.h>

namespace albatross::http {
namespace {

TEST_CASE("a fixed response carries its type and length, and closes only when asked") {
  FixedResponse fixed({.status = 503, .content_type = "text/plain", .body = "maintenance"});
  CHECK(fixed.status() == 503);
  CHECK(fixed.bytes(false, false) ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
        "Content-Length: 11\r\n\r\nmaintenance");
  CHECK(fixed.bytes(true, false) ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
        "Content-Length: 11\r\nConnection: close\r\n\r\nmaintenance");
  // HEAD: the same head, no body.
  CHECK(fixed.bytes(false, true) ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
        "Content-Length: 11\r\n\r\n");
}

TEST_CASE("an empty body has length 0; 204 has neither type nor length") {
  FixedResponse empty({.status = 200, .content_type = "application/json", .body = ""});
  CHECK(empty.bytes(false, false) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n");
  CHECK(empty.bytes(false, true) == empty.bytes(false, false));
  FixedResponse no_content({.status = 204, .content_type = "text/plain", .body = ""});
  CHECK(no_content.bytes(true, false) == "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  FixedResponse gone({.status = 410, .content_type = "text/html; charset=utf-8", .body = "<p>"});
  CHECK(gone.bytes(false, false).starts_with("HTTP/1.1 410 Gone\r\n"));
}

}  // namespace
}  // namespace albatross::http
