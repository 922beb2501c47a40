#include "albatross/http/request_head.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross::http {
namespace {

using namespace std::literals;

// `head` must outlive the result: the parsed views point into it. Literals do.
RequestHead parse(std::string_view head, ParseOptions options = {}) {
  RequestHead out;
  parse_request_head(head, options, out);
  return out;
}

const Field* find(const RequestHead& head, std::string_view name) {
  for (const Field& f : head.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

#define CHECK_CLASS(head, expected_tier, expected_reason)          \
  do {                                                             \
    const RequestHead& h_ = (head);                                \
    CHECK(tier_name(h_.tier) == tier_name(expected_tier));         \
    CHECK(reason_name(h_.reason) == reason_name(expected_reason)); \
  } while (false)

TEST_CASE("parse_request_head reads a compliant request") {
  RequestHead h = parse("GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(h.method == "GET");
  CHECK(h.target == "/a?b=c");
  CHECK(h.version == 11);
  CHECK(h.host == "example.com");
  CHECK(h.is_get);
  CHECK_FALSE(h.is_head);
  CHECK(h.body == BodyKind::none);
  CHECK(h.content_length == 0);
  CHECK(h.keep_alive);
  CHECK_FALSE(h.upgrade);
  CHECK_FALSE(h.target_needs_encoding);
  REQUIRE(h.fields.size() == 2);
  CHECK(h.fields[0].name == "Host");
  CHECK(h.fields[0].id == FieldId::host);
  CHECK(h.fields[1].name == "Accept");
  CHECK(h.fields[1].value == "*/*");
  CHECK(h.fields[1].id == FieldId::other);
  CHECK_FALSE(h.fields[1].drop);
}

TEST_CASE("parse_request_head trims field values and keeps inner whitespace") {
  RequestHead h = parse("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t two  words \t\r\nX-E:\r\n\r\n");
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(find(h, "Host")->value == "a");
  CHECK(find(h, "X-A")->value == "two  words");
  REQUIRE(find(h, "X-E") != nullptr);
  CHECK(find(h, "X-E")->value.empty());
}

TEST_CASE("parse_request_head skips empty lines before the request line") {
  RequestHead h = parse("\r\n\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(h.method == "POST");
  CHECK(h.body == BodyKind::content_length);
  CHECK(h.content_length == 3);
}

TEST_CASE("parse_request_head reuses the fields vector and resets every result") {
  RequestHead h;
  parse_request_head(
      "POST / HTTP/1.0\r\nContent-Length: 5\r\nConnection: keep-alive\r\nA: 1\r\n\r\n", {}, h);
  CHECK(h.body == BodyKind::content_length);
  CHECK(h.fields.size() == 3);
  parse_request_head("GET\0 / HTTP/1.1\r\n\r\n"sv, {}, h);
  CHECK(h.tier == Tier::severe);
  parse_request_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", {}, h);
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(h.body == BodyKind::none);
  CHECK(h.content_length == 0);
  CHECK(h.version == 11);
  CHECK(h.keep_alive);
  REQUIRE(h.fields.size() == 1);
  CHECK(h.fields[0].name == "Host");
}

TEST_CASE("parse_request_head: Content-Length framing") {
  RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(h.body == BodyKind::content_length);
  CHECK(h.content_length == 42);
  // The field itself is re-emitted by the rewrite from the decision, never copied.
  REQUIRE(find(h, "Content-Length") != nullptr);
  CHECK(find(h, "Content-Length")->drop);

  h = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n");
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(h.content_length == 9223372036854775807ULL);

  h = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  CHECK(h.body == BodyKind::content_length);
  CHECK(h.content_length == 0);
}

TEST_CASE("parse_request_head: Content-Length with both Transfer-Encoding is ambiguous") {
  RequestHead h = parse(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK_CLASS(h, Tier::ambiguous, Reason::both_te_cl_present);
  CHECK(h.body == BodyKind::chunked);  // chunked wins (RFC 9112 §6.3)
  CHECK(h.content_length == 0);
  h = parse(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n");
  CHECK_CLASS(h, Tier::ambiguous, Reason::both_te_cl_present);
  CHECK(h.body == BodyKind::chunked);
}

TEST_CASE("parse_request_head: differing Content-Lengths are severe") {
  RequestHead h =
      parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::multiple_content_length);
  CHECK(h.error_status() == 400);
}

TEST_CASE("parse_request_head: equal duplicate Content-Lengths are ambiguous") {
  RequestHead h =
      parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n");
  CHECK_CLASS(h, Tier::ambiguous, Reason::duplicate_content_length);
  CHECK(h.body == BodyKind::content_length);
  CHECK(h.content_length == 5);
}

TEST_CASE("parse_request_head: malformed Content-Length values are severe") {
  for (std::string_view value :
       {"+5"sv, "-5"sv, "5 5"sv, "5,5"sv, "5, 5"sv, "1000.1000"sv, "0x10"sv, "5a"sv, "\"5\""sv,
        "18446744073709551616"sv, "9223372036854775808"sv, "99999999999999999999"sv}) {
    CAPTURE(value);
    std::string head =
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::string(value) + "\r\n\r\n";
    RequestHead h = parse(head);
    CHECK_CLASS(h, Tier::severe, Reason::bad_content_length);
    CHECK(h.body == BodyKind::none);
  }
  // An empty value, and a control character in it.
  CHECK_CLASS(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), Tier::severe,
              Reason::bad_content_length);
  CHECK_CLASS(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\x11\r\n\r\n"), Tier::severe,
              Reason::bad_content_length);
}

TEST_CASE("parse_request_head: Transfer-Encoding codings") {
  SUBCASE("chunked") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::compliant, Reason::compliant);
    CHECK(h.body == BodyKind::chunked);
    CHECK_FALSE(h.other_codings);
    CHECK(find(h, "Transfer-Encoding")->drop);
  }
  SUBCASE("case-insensitive") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: ChUnKeD\r\n\r\n");
    CHECK_CLASS(h, Tier::compliant, Reason::compliant);
    CHECK(h.body == BodyKind::chunked);
  }
  SUBCASE("xchunked is an unknown coding") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
  }
  SUBCASE("chunk is an unknown coding") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunk\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
  }
  SUBCASE("a control character in the value") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x11\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
  }
  SUBCASE("chunked twice in one field") {
    RequestHead h =
        parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::multiple_transfer_encoding_chunked);
  }
  SUBCASE("chunked twice in two fields") {
    RequestHead h = parse(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::multiple_transfer_encoding_chunked);
  }
  SUBCASE("chunked not last: the length cannot be determined (400, RFC 9112 §6.3)") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
    CHECK(h.error_status() == 400);
    CHECK(h.body == BodyKind::none);
  }
  SUBCASE("gzip alone (400), also next to a Content-Length") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
    CHECK(h.error_status() == 400);
    h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
  }
  SUBCASE("gzip then chunked: not implemented (501), forwarded in monitor mode") {
    std::string_view head =
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    RequestHead h = parse(head);
    CHECK_CLASS(h, Tier::severe, Reason::unsupported_transfer_encoding);
    CHECK(h.error_status() == 501);
    RequestHead monitor = parse(head, ParseOptions{.forward_transfer_codings = true});
    CHECK_CLASS(monitor, Tier::ambiguous, Reason::forwarded_transfer_coding);
    CHECK(monitor.body == BodyKind::chunked);
    CHECK(monitor.other_codings);
  }
  SUBCASE("codings spread over two fields") {
    RequestHead h = parse(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::duplicate_transfer_encoding);
    CHECK(h.error_status() == 400);
  }
  SUBCASE("identity is refused") {
    RequestHead h =
        parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_transfer_encoding);
    CHECK(h.error_status() == 400);
  }
  SUBCASE("coding parameters") {
    RequestHead h =
        parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=1, chunked\r\n\r\n",
              ParseOptions{.forward_transfer_codings = true});
    CHECK_CLASS(h, Tier::ambiguous, Reason::forwarded_transfer_coding);
    CHECK(h.body == BodyKind::chunked);
  }
  SUBCASE("TE in HTTP/1.0 has no defined meaning") {
    RequestHead h = parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::ambiguous, Reason::undefined_transfer_encoding_semantics);
  }
}

TEST_CASE("parse_request_head: obs-fold is severe") {
  RequestHead h = parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  continued\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::obs_fold);
  h = parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tTransfer-Encoding: chunked\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::obs_fold);
}

TEST_CASE("parse_request_head: NUL in a field name or value is severe") {
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nX-\0A: 1\r\n\r\n"sv), Tier::severe,
              Reason::bad_header);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\0\r\n\r\n"sv), Tier::severe,
              Reason::bad_header);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\0\r\n\r\n"sv), Tier::severe,
              Reason::bad_header);
}

TEST_CASE("parse_request_head: a bad method is severe") {
  for (std::string_view line :
       {"G@T / HTTP/1.1"sv, "GE(T / HTTP/1.1"sv, "GET\0 / HTTP/1.1"sv, "\x01GET / HTTP/1.1"sv,
        "G\xc3\xa9T / HTTP/1.1"sv, " / HTTP/1.1"sv}) {
    CAPTURE(line);
    std::string head = std::string(line) + "\r\nHost: a\r\n\r\n";
    CHECK_CLASS(parse(head), Tier::severe, Reason::bad_method);
  }
}

TEST_CASE("parse_request_head: a bad request target is severe") {
  CHECK_CLASS(parse("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"sv), Tier::severe, Reason::bad_uri);
  // No target at all.
  CHECK_CLASS(parse("GET\r\nHost: a\r\n\r\n"), Tier::severe, Reason::bad_uri);
  // Not even a line end.
  CHECK_CLASS(parse("GET / HTTP/1.1"), Tier::severe, Reason::bad_uri);
}

TEST_CASE("parse_request_head: spaces and controls in the target are severe") {
  RequestHead h = parse("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::invalid_request_target);
  CHECK(h.target == "/a b");
  CHECK(h.error_status() == 400);
  h = parse("GET /a\x01z HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::invalid_request_target);
}

TEST_CASE("parse_request_head: versions") {
  SUBCASE("HTTP/1.0") {
    RequestHead h = parse("GET / HTTP/1.0\r\n\r\n");
    CHECK_CLASS(h, Tier::compliant, Reason::compliant);
    CHECK(h.version == 10);
  }
  SUBCASE("HTTP/1.2 is treated as 1.1") {
    RequestHead h = parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
    CHECK_CLASS(h, Tier::acceptable, Reason::non_compliant_version);
    CHECK(h.version == 11);
  }
  SUBCASE("no version at all (HTTP/0.9 style)") {
    RequestHead h = parse("GET /\r\n\r\n");
    CHECK_CLASS(h, Tier::acceptable, Reason::non_compliant_version);
    CHECK(h.version == 10);
  }
  SUBCASE("HTTP/0.9 with Content-Length") {
    RequestHead h = parse("POST / HTTP/0.9\r\nContent-Length: 1\r\n\r\n");
    CHECK_CLASS(h, Tier::ambiguous, Reason::undefined_content_length_semantics);
  }
  SUBCASE("HTTP/2.0 and above are unsupported (505)") {
    RequestHead h = parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::unsupported_version);
    CHECK(h.error_status() == 505);
    CHECK(parse("GET / HTTP/3.0\r\nHost: a\r\n\r\n").error_status() == 505);
  }
  for (std::string_view version :
       {"HTTP/1.x"sv, "HTTP/1"sv, "HTTP/11"sv, "HTTP/1.1 x"sv, "HTTP/1.1.1"sv, "HTTP/"sv}) {
    CAPTURE(version);
    std::string head = "GET / " + std::string(version) + "\r\nHost: a\r\n\r\n";
    RequestHead h = parse(head);
    CHECK_CLASS(h, Tier::severe, Reason::bad_version);
    CHECK(h.error_status() == 400);
  }
  SUBCASE("lower-case http/1.1 is a bad version (it is case-sensitive)") {
    RequestHead h = parse("GET / http/1.1\r\nHost: a\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::bad_version);
  }
}

TEST_CASE("parse_request_head: Host rules") {
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), Tier::severe, Reason::missing_host);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), Tier::severe,
              Reason::multiple_host);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), Tier::severe,
              Reason::multiple_host);
  // HTTP/1.0 may omit Host.
  RequestHead h = parse("GET / HTTP/1.0\r\n\r\n");
  CHECK_CLASS(h, Tier::compliant, Reason::compliant);
  CHECK(h.host.empty());
  // An empty Host: an origin-form target needs the authority, an absolute-form one has it.
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n"), Tier::severe, Reason::invalid_host);
  CHECK_CLASS(parse("GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n"), Tier::severe, Reason::invalid_host);
  CHECK_CLASS(parse("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), Tier::compliant,
              Reason::compliant);
}

TEST_CASE("parse_request_head: GET and HEAD with a body") {
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"), Tier::ambiguous,
              Reason::undefined_content_length_semantics);
  CHECK_CLASS(parse("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"), Tier::ambiguous,
              Reason::undefined_content_length_semantics);
  RequestHead zero = parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  CHECK_CLASS(zero, Tier::acceptable, Reason::get_head_zero_content_length);
  CHECK(zero.body == BodyKind::content_length);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
              Tier::ambiguous, Reason::undefined_transfer_encoding_semantics);
  RequestHead head = parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(head.is_head);
  CHECK_FALSE(head.is_get);
}

TEST_CASE("parse_request_head: suspicious field names are ambiguous and never forwarded") {
  SUBCASE("Transfer_Encoding") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::ambiguous, Reason::suspicious_header);
    CHECK(find(h, "Transfer_Encoding") == nullptr);
    CHECK(h.body == BodyKind::none);
  }
  SUBCASE("Transfer---Encoding") {
    RequestHead h = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer---Encoding: chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::ambiguous, Reason::suspicious_header);
    CHECK(h.fields.size() == 1);
  }
  // Look-alikes that are not tokens are invalid field lines (RFC 9112 §5), refused.
  for (std::string_view line :
       {" Content-Length: 5"sv, "Content-Length : 5"sv, "Content-Length\t: 5"sv,
        "Tran\xc5\xbf"
        "fer-Encoding: chunked"sv,
        "Transfer-Encod\xc4\xb1ng: chunked"sv, "X-\xe2\x84\xaa: 1"sv,
        "\x01"
        "Content-Length: 5"sv,
        "Transfer- Encoding: chunked"sv}) {
    CAPTURE(line);
    std::string head = "POST / HTTP/1.1\r\n" + std::string(line) + "\r\nHost: a\r\n\r\n";
    CHECK_CLASS(parse(head), Tier::severe, Reason::invalid_field_line);
  }
  SUBCASE("a suspicious Content-Length disagreeing with the real one") {
    RequestHead h =
        parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent_Length: 6\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::multiple_content_length);
  }
  SUBCASE("a suspicious chunked next to a real one") {
    RequestHead h = parse(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer_Encoding: "
        "chunked\r\n\r\n");
    CHECK_CLASS(h, Tier::severe, Reason::multiple_transfer_encoding_chunked);
  }
}

TEST_CASE("parse_request_head: other field-line defects are severe") {
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n"), Tier::severe,
              Reason::invalid_field_line);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\n: value\r\n\r\n"), Tier::severe,
              Reason::invalid_field_line);
  RequestHead h = parse("GET / HTTP/1.1\r\nHost: a\r\nX Y: 1\r\nX-Ok: 2\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::invalid_field_line);
  CHECK(h.error_status() == 400);
  RequestHead ctl = parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x01z\r\n\r\n");
  CHECK_CLASS(ctl, Tier::severe, Reason::invalid_field_value);
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\x7f\r\n\r\n"), Tier::severe,
              Reason::invalid_field_value);
  // HTAB and obs-text are field-value bytes.
  CHECK_CLASS(parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\tb \xe2\x82\xac\r\n\r\n"), Tier::compliant,
              Reason::compliant);
}

TEST_CASE("parse_request_head: the worst tier wins, and its first reason") {
  RequestHead h = parse(
      "GET / HTTP/1.2\r\nHost: a\r\nTransfer_Encoding: x\r\nContent-Length: -1\r\n"
      "X-A: \x01\r\n\r\n");
  CHECK_CLASS(h, Tier::severe, Reason::bad_content_length);
  h = parse("GET / HTTP/1.2\r\nHost: a\r\nTransfer_Encoding: x\r\nContent_Length: 1\r\n\r\n");
  CHECK_CLASS(h, Tier::ambiguous, Reason::suspicious_header);
}

TEST_CASE("parse_request_head: keep-alive by version and Connection tokens") {
  struct Case {
    std::string_view head;
    bool keep_alive;
  };
  for (Case c : {
           Case{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", false},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", false},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\nConnection: close\r\n\r\n", false},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
           Case{"GET / HTTP/1.0\r\n\r\n", false},
           Case{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
           Case{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
           Case{"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
           Case{"GET / HTTP/1.0\r\nKeep-Alive: timeout=5\r\n\r\n", false},
           Case{"GET /\r\n\r\n", false},
       }) {
    CAPTURE(c.head);
    RequestHead h = parse(c.head);
    CHECK(h.keep_alive == c.keep_alive);
    const Field* connection = find(h, "Connection");
    if (connection) CHECK(connection->drop);
  }
}

TEST_CASE("parse_request_head: upgrade detection") {
  RequestHead ws = parse(
      "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: "
      "websocket\r\n\r\n");
  CHECK(ws.upgrade);
  CHECK(ws.upgrade_protocol == "websocket");
  CHECK(find(ws, "Upgrade")->drop);
  CHECK_FALSE(
      parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n").upgrade);
  CHECK_FALSE(
      parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: H2C\r\n\r\n").upgrade);
  CHECK_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").upgrade);
  CHECK_FALSE(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n").upgrade);
  CHECK_FALSE(parse("GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").upgrade);
}

TEST_CASE("parse_request_head: Expect") {
  RequestHead h =
      parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n");
  CHECK(h.expect_continue);
  CHECK_FALSE(h.expect_unsupported);
  CHECK(find(h, "Expect")->drop);
  h = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: something-else\r\n\r\n");
  CHECK_FALSE(h.expect_continue);
  CHECK(h.expect_unsupported);
  h = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  CHECK_FALSE(h.expect_continue);
  CHECK_FALSE(h.expect_unsupported);
  // Reported as sent in HTTP/1.0 too: the session applies RFC 9110 §10.1.1 (ignore it there).
  h = parse("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(h.expect_continue);
  CHECK_FALSE(h.expect_unsupported);
}

TEST_CASE("parse_request_head: hop-by-hop fields and fields named in Connection are dropped") {
  RequestHead h = parse(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Hop, x-other\r\nX-Hop: 1\r\nX-Other: 2\r\n"
      "X-Keep: 3\r\nKeep-Alive: timeout=1\r\nProxy-Connection: close\r\nTE: trailers\r\n"
      "Trailer: X-T\r\n\r\n");
  CHECK(h.keep_alive);
  for (std::string_view name : {"Connection"sv, "X-Hop"sv, "X-Other"sv, "Keep-Alive"sv,
                                "Proxy-Connection"sv, "TE"sv, "Trailer"sv}) {
    CAPTURE(name);
    REQUIRE(find(h, name) != nullptr);
    CHECK(find(h, name)->drop);
  }
  CHECK_FALSE(find(h, "X-Keep")->drop);
  CHECK_FALSE(find(h, "Host")->drop);
  // Connection cannot strip the fields the proxy itself needs.
  RequestHead guarded = parse(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: Host, X-Forwarded-For\r\nX-Forwarded-For: "
      "1.2.3.4\r\n\r\n");
  CHECK_FALSE(find(guarded, "Host")->drop);
  CHECK_FALSE(find(guarded, "X-Forwarded-For")->drop);
}

TEST_CASE("parse_request_head: drop_invalid_header_fields") {
  std::string_view head = "GET / HTTP/1.1\r\nHost: a\r\nX_Under: 1\r\nX.Dot: 2\r\nX-Ok: 3\r\n\r\n";
  RequestHead kept = parse(head);
  CHECK_CLASS(kept, Tier::compliant, Reason::compliant);
  CHECK(kept.invalid_field_names == 0);
  CHECK(find(kept, "X_Under") != nullptr);
  CHECK(find(kept, "X.Dot") != nullptr);
  RequestHead dropped = parse(head, ParseOptions{.drop_invalid_header_fields = true});
  CHECK_CLASS(dropped, Tier::compliant, Reason::compliant);
  CHECK(dropped.invalid_field_names == 2);
  CHECK(find(dropped, "X_Under") == nullptr);
  CHECK(find(dropped, "X.Dot") == nullptr);
  CHECK(find(dropped, "X-Ok") != nullptr);
  CHECK(find(dropped, "Host") != nullptr);
}

// RFC 9112's reject rules, one row each: the request line, field lines, Host, and
// Transfer-Encoding (issue classes 1, 2, 3 and 5). Each row is a whole head.
TEST_CASE("parse_request_head: what RFC 9112 says to reject is severe") {
  struct Row {
    std::string_view head;
    Reason reason;
    int status;
  };
  const Row rows[] = {
      // Request line.
      {"GET  HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET /a?b=c d HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"POST * HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET /\xd1\x81 HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET /\xc0\xaf HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", Reason::invalid_request_target, 400},
      {"GET / http/1.1\r\nHost: a\r\n\r\n", Reason::bad_version, 400},
      {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\n\tHost: a\r\nHost: a\r\n\r\n", Reason::invalid_field_line, 400},
      // Field lines.
      {"GET / HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX-A\t: 1\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\n:1\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX(A): 1\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX-\xc3\xa9: 1\r\n\r\n", Reason::invalid_field_line, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\x0b"
       "2\r\n\r\n",
       Reason::invalid_field_value, 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nX-A: \x1b[0m\r\n\r\n", Reason::invalid_field_value, 400},
      // Host.
      {"GET / HTTP/1.1\r\nHost:\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: \t \r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: user:pw@a:80\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a?b\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", Reason::invalid_host, 400},
      {"GET / HTTP/1.1\r\nHost: \xc3\xa9.example\r\n\r\n", Reason::invalid_host, 400},
      // Transfer-Encoding other than one final chunked.
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", Reason::bad_transfer_encoding,
       400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;a=b\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;, chunked\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "gzip\r\n\r\n",
       Reason::duplicate_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n",
       Reason::bad_transfer_encoding, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
       Reason::invalid_field_line, 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       Reason::unsupported_transfer_encoding, 501},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: deflate, chunked\r\n\r\n",
       Reason::unsupported_transfer_encoding, 501},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x-gzip;level=\"9\" , chunked\r\n\r\n",
       Reason::unsupported_transfer_encoding, 501},
  };
  for (const Row& row : rows) {
    CAPTURE(row.head);
    RequestHead h = parse(row.head);
    CHECK_CLASS(h, Tier::severe, row.reason);
    CHECK(h.error_status() == row.status);
  }
}

// What curl, Python (requests, http.client), browsers, Node and gunicorn's clients send keeps
// its tier: these shapes must never be refused.
TEST_CASE("parse_request_head: real clients' requests stay compliant") {
  const std::string_view heads[] = {
      "GET /path?q=1&r=%20x HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/7.88.1\r\n"
      "Accept: */*\r\n\r\n",
      "POST /upload HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: python-requests/2.28.1\r\n"
      "Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n"
      "Content-Length: 11\r\nContent-Type: application/json\r\n\r\n",
      "PUT /x HTTP/1.1\r\nHost: [::1]:8080\r\nAccept-Encoding: identity\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      "GET /a/b.html HTTP/1.1\r\nHost: www.example.com\r\nsec-ch-ua: \"Chromium\";v=\"119\", "
      "\"Not?A_Brand\";v=\"24\"\r\nsec-ch-ua-mobile: ?0\r\nUpgrade-Insecure-Requests: 1\r\n"
      "Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n"
      "Cookie: a=b; c=\"d e\"\r\nAccept-Language: de-DE,de;q=0.9\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "GET http://example.com:80/x HTTP/1.1\r\nHost: example.com:80\r\n\r\n",
      "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",
      "POST /api HTTP/1.1\r\nhost: xn--bcher-kva.example\r\ntransfer-encoding: chunked\r\n"
      "x-custom: caf\xc3\xa9\r\n\r\n",
      "GET /~user/a;b,c:d@e!$&'()*+=[]{}|^`\"<>\\ HTTP/1.1\r\nHost: a_b.example\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
      "DELETE /x HTTP/1.1\r\nHost: 10.0.0.1\r\nContent-Length: 0\r\n\r\n",
  };
  for (std::string_view head : heads) {
    CAPTURE(head);
    CHECK_CLASS(parse(head), Tier::compliant, Reason::compliant);
  }
}

TEST_CASE("RequestHead::idempotent and is_trace") {
  CHECK(parse("GET / HTTP/1.0\r\n\r\n").idempotent());
  CHECK(parse("PUT / HTTP/1.0\r\n\r\n").idempotent());
  CHECK(parse("DELETE / HTTP/1.0\r\n\r\n").idempotent());
  CHECK_FALSE(parse("POST / HTTP/1.0\r\n\r\n").idempotent());
  CHECK_FALSE(parse("PATCH / HTTP/1.0\r\n\r\n").idempotent());
  CHECK(parse("TRACE / HTTP/1.0\r\n\r\n").is_trace);
}

}  // namespace
}  // namespace albatross::http
