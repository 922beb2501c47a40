#include "albatross/http/head_scanner.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross::http {
namespace {

using namespace std::literals;
using Status = HeadScanner::Status;

struct Result {
  Status status;
  std::size_t head_size;
};

Result scan_once(std::string_view data, const HeadLimits& limits) {
  HeadScanner scanner(limits);
  Status s = scanner.scan(data);
  return {s, scanner.head_size()};
}

// Feeds `data` one byte at a time into one scanner, the way bytes trickle in from a socket, and
// returns the first status that is not `incomplete` (or `incomplete` at the end).
Result scan_bytewise(std::string_view data, const HeadLimits& limits) {
  HeadScanner scanner(limits);
  for (std::size_t n = 1; n <= data.size(); ++n) {
    Status s = scanner.scan(data.substr(0, n));
    if (s != Status::incomplete) return {s, scanner.head_size()};
  }
  return {Status::incomplete, scanner.head_size()};
}

// Splits `data` once at every position: one scan of the prefix, one of the whole.
void check_every_split(std::string_view data, const HeadLimits& limits, Result expected) {
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    CAPTURE(cut);
    HeadScanner scanner(limits);
    Status first = scanner.scan(data.substr(0, cut));
    if (first != Status::incomplete) {
      CHECK(first == expected.status);
      continue;
    }
    CHECK(scanner.scan(data) == expected.status);
    if (expected.status == Status::complete) CHECK(scanner.head_size() == expected.head_size);
  }
}

const HeadLimits kDefault{};

TEST_CASE("HeadScanner finds the end of a complete head") {
  std::string_view head = "GET / HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
  Result r = scan_once(head, kDefault);
  CHECK(r.status == Status::complete);
  CHECK(r.head_size == head.size());
  // Body bytes after the head are not part of it.
  std::string with_body = std::string(head) + "0123456789";
  r = scan_once(with_body, kDefault);
  CHECK(r.status == Status::complete);
  CHECK(r.head_size == head.size());
  // A head with no fields at all.
  r = scan_once("GET / HTTP/1.0\r\n\r\n", kDefault);
  CHECK(r.status == Status::complete);
  CHECK(r.head_size == 18);
}

TEST_CASE("HeadScanner reports incomplete until the empty line arrives") {
  CHECK(scan_once("", kDefault).status == Status::incomplete);
  CHECK(scan_once("GET / HTTP/1.1", kDefault).status == Status::incomplete);
  CHECK(scan_once("GET / HTTP/1.1\r\nHost: a\r\n", kDefault).status == Status::incomplete);
  CHECK(scan_once("GET / HTTP/1.1\r\nHost: a\r\n\r", kDefault).status == Status::incomplete);
}

TEST_CASE("HeadScanner gives the same result fed byte by byte or split anywhere") {
  HeadLimits small{.max_start_line = 24, .max_field_line = 16, .max_head = 80, .max_fields = 3};
  struct Case {
    std::string_view data;
    Status status;
  };
  for (Case c : {
           Case{"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\r\nBODY", Status::complete},
           Case{"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", Status::complete},
           Case{"GET / HTTP/1.1\r\nHost: a\rX\r\n\r\n", Status::bare_line_break},
           Case{"GET / HTTP/1.1\r\nHost: a\n\r\n", Status::bare_line_break},
           Case{"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", Status::start_line_too_long},
           Case{"GET / HTTP/1.1\r\nX-Long: 0123456789abcdef\r\n\r\n", Status::field_line_too_long},
           Case{"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", Status::too_many_fields},
       }) {
    CAPTURE(c.data);
    Result once = scan_once(c.data, small);
    CHECK(once.status == c.status);
    Result bytewise = scan_bytewise(c.data, small);
    CHECK(bytewise.status == c.status);
    CHECK(bytewise.head_size == once.head_size);
    check_every_split(c.data, small, once);
  }
}

TEST_CASE("HeadScanner enforces the start-line limit (414)") {
  HeadLimits limits{.max_start_line = 20};
  std::string exact = "GET /" + std::string(6, 'a') + " HTTP/1.1";  // 20 bytes
  REQUIRE(exact.size() == 20);
  CHECK(scan_once(exact + "\r\nHost: a\r\n\r\n", limits).status == Status::complete);
  std::string over = "GET /" + std::string(7, 'a') + " HTTP/1.1";
  CHECK(scan_once(over + "\r\nHost: a\r\n\r\n", limits).status == Status::start_line_too_long);
  // Without its line end, a start line is refused once it cannot fit any more.
  CHECK(scan_once("GET /" + std::string(200, 'a'), limits).status == Status::start_line_too_long);
  CHECK(scan_once(std::string(20, 'a'), limits).status == Status::incomplete);
}

TEST_CASE("HeadScanner enforces the field-line limit (431)") {
  HeadLimits limits{.max_field_line = 10};
  CHECK(scan_once("GET / HTTP/1.1\r\nX: 1234567\r\n\r\n", limits).status == Status::complete);
  CHECK(scan_once("GET / HTTP/1.1\r\nX: 12345678\r\n\r\n", limits).status ==
        Status::field_line_too_long);
  CHECK(scan_once("GET / HTTP/1.1\r\nX: " + std::string(100, 'v'), limits).status ==
        Status::field_line_too_long);
  // The start line has its own, larger limit.
  CHECK(scan_once("GET /0123456789abcdef HTTP/1.1\r\nX: 1\r\n\r\n", limits).status ==
        Status::complete);
}

TEST_CASE("HeadScanner enforces the whole-head limit (431)") {
  std::string head = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";  // 30 bytes
  REQUIRE(head.size() == 30);
  CHECK(scan_once(head, HeadLimits{.max_head = 30}).status == Status::complete);
  CHECK(scan_once(head, HeadLimits{.max_head = 29}).status == Status::head_too_large);
  // An incomplete head past the limit is refused without waiting for its end.
  std::string endless = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 20; ++i)
    endless += "X: 12345\r\n";
  CHECK(scan_once(endless, HeadLimits{.max_head = 100}).status == Status::head_too_large);
  CHECK(scan_bytewise(endless, HeadLimits{.max_head = 100}).status == Status::head_too_large);
}

TEST_CASE("HeadScanner enforces the field count") {
  HeadLimits limits{.max_fields = 2};
  CHECK(scan_once("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits).status == Status::complete);
  CHECK(scan_once("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).status ==
        Status::too_many_fields);
}

TEST_CASE("HeadScanner refuses bare CR and bare LF") {
  for (std::string_view data : {
           "GET / HTTP/1.1\nHost: a\r\n\r\n"sv,
           "GET / HTTP/1.1\r\nHost: a\n\n"sv,
           "GET / HTTP/1.1\r\nHost: a\r\n\n"sv,
           "GET / HTTP/1.1\rHost: a\r\n\r\n"sv,
           "GET / HTTP/1.1\r\nHost:\ra\r\n\r\n"sv,
           "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"sv,
           "\nGET / HTTP/1.1\r\n\r\n"sv,
           "GET / HTTP/1.1\r\nX: \r\r\n\r\n"sv,
       }) {
    CAPTURE(data);
    CHECK(scan_once(data, kDefault).status == Status::bare_line_break);
    CHECK(scan_bytewise(data, kDefault).status == Status::bare_line_break);
  }
  // A CR as the last byte so far is half of a CRLF still in flight, not an error.
  CHECK(scan_once("GET / HTTP/1.1\r", kDefault).status == Status::incomplete);
  CHECK(scan_once("GET / HTTP/1.1\r\nA: 1\r\n\r", kDefault).status == Status::incomplete);
}

TEST_CASE("HeadScanner joins a CRLF split across two reads") {
  HeadScanner scanner(kDefault);
  std::string data = "GET / HTTP/1.1\r";
  CHECK(scanner.scan(data) == Status::incomplete);
  data += "\nHost: a\r";
  CHECK(scanner.scan(data) == Status::incomplete);
  data += "\n\r";
  CHECK(scanner.scan(data) == Status::incomplete);
  data += "\n";
  CHECK(scanner.scan(data) == Status::complete);
  CHECK(scanner.head_size() == data.size());
  // A CR followed by anything but LF in the next read is a bare CR.
  HeadScanner other(kDefault);
  CHECK(other.scan("GET / HTTP/1.1\r") == Status::incomplete);
  CHECK(other.scan("GET / HTTP/1.1\rX") == Status::bare_line_break);
}

TEST_CASE("HeadScanner skips up to two empty lines before the start line") {
  Result r = scan_once("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", kDefault);
  CHECK(r.status == Status::complete);
  CHECK(r.head_size == 29);
  r = scan_once("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", kDefault);
  CHECK(r.status == Status::complete);
  CHECK(r.head_size == 31);
  CHECK(scan_once("\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n", kDefault).status ==
        Status::bare_line_break);
  CHECK(scan_once("\r\n\r\n", kDefault).status == Status::incomplete);
}

// An over-long method is refused at once (400), not read up to the start-line or head limit
// (414/431): whatever the limits, only max_method + 1 bytes are needed to decide.
TEST_CASE("HeadScanner refuses an over-long method") {
  const std::string method(kDefault.max_method + 1, 'A');
  for (const std::string& data : {method, method + " / HTTP/1.1\r\nHost: a\r\n\r\n",
                                  "\r\n" + method + "AAAA", std::string(100 * 1024, 'G')}) {
    CAPTURE(data.substr(0, 80));
    CHECK(scan_once(data, kDefault).status == Status::bad_start_line);
    CHECK(scan_bytewise(data, kDefault).status == Status::bad_start_line);
  }
  // max_method bytes are a method; a line without any SP is the parser's to judge.
  const std::string longest(kDefault.max_method, 'A');
  CHECK(scan_once(longest + " / HTTP/1.1\r\nHost: a\r\n\r\n", kDefault).status == Status::complete);
  CHECK(scan_once(longest, kDefault).status == Status::incomplete);
  CHECK(scan_once("GET\r\n\r\n", kDefault).status == Status::complete);
  // The rest of the start line keeps its own limit (414), and responses pass.
  CHECK(scan_once("GET /" + std::string(kDefault.max_start_line + 10, 'a'), kDefault).status ==
        Status::start_line_too_long);
  CHECK(scan_once("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", kDefault).status ==
        Status::complete);
}

TEST_CASE("HeadScanner reset() starts a new message") {
  HeadScanner scanner(kDefault);
  CHECK(scanner.scan("GET /a HTTP/1.1\r\n\r\n") == Status::complete);
  CHECK(scanner.head_size() == 19);
  scanner.reset();
  CHECK(scanner.head_size() == 0);
  CHECK(scanner.scan("GET /bb HTTP/1.1\r\n") == Status::incomplete);
  CHECK(scanner.scan("GET /bb HTTP/1.1\r\nA: b\r\n\r\n") == Status::complete);
  CHECK(scanner.head_size() == 26);
}

}  // namespace
}  // namespace albatross::http
