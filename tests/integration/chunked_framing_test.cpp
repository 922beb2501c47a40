// Issue class 4, end to end: a chunked body whose framing is malformed never leaves a target
// waiting for a body. Bad framing in the bytes that arrive with the head is answered 400 before
// anything is sent upstream; bad framing that arrives later aborts the upstream exchange (the
// target never sees a request that looks complete) and is answered 400.
//
// PENDING: needs the session to check the body bytes that came with the head
// (ChunkedDecoder::check) before it writes the head upstream. Not built until then: move this
// file to tests/integration/ (the CMake glob picks it up) once the session is wired.
#include <doctest/doctest.h>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/scripted_target.hpp"
#include "support/wait.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const std::string kHead = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

struct Fixture {
  ScriptedTarget target{[](std::size_t, const std::string&) {
    return ScriptedTarget::Reply{kOk, false};
  }};
  AlbatrossProcess albatross{
      ConfigText().threads(1).listener("web", "app").target_group("app", {target.port()}).str()};
  Fixture() { albatross.start(); }
  std::uint16_t port() const { return albatross.port("web"); }
};

// Every framing defect of the chunked coding, each in the bytes sent together with the head.
const char* const kMalformedBodies[] = {
    "5\nhello\r\n0\r\n\r\n",                    // bare LF after the size
    "5\rhello\r\n0\r\n\r\n",                    // bare CR after the size
    "5\r\nhello\n0\r\n\r\n",                    // bare LF after the data
    "5\r\nhello\r\n0\r\n\n",                    // bare LF ending the body
    "+5\r\nhello\r\n0\r\n\r\n",                 // a sign
    "-5\r\nhello\r\n0\r\n\r\n",                 // a sign
    "0x5\r\nhello\r\n0\r\n\r\n",                // 0x prefix
    " 5\r\nhello\r\n0\r\n\r\n",                 // leading whitespace
    "5 \r\nhello\r\n0\r\n\r\n",                 // trailing whitespace
    "1_0\r\n0123456789abcdef\r\n0\r\n\r\n",     // underscore
    "10000000000000005\r\nhello\r\n0\r\n\r\n",  // overflow
    "5;a\x01\r\nhello\r\n0\r\n\r\n",            // control byte in an extension
    "5;\r\nhello\r\n0\r\n\r\n",                 // a bare ;
    "5;a=\"b\r\nhello\r\n0\r\n\r\n",            // unterminated quoted-string
    "5\r\nhello\r\n0\r\nX : 1\r\n\r\n",         // bad trailer line
    "5\r\nhello\r\n0\r\n X: 1\r\n\r\n",         // obs-fold in the trailers
    "5\r\nhello\r\n0\r\nX: a\x01\r\n\r\n",      // control byte in a trailer value
    "3\r\nhello\r\n0\r\n\r\n",                  // data longer than its size
};

TEST_CASE("malformed chunk framing with the head: 400, and nothing reaches the target") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  std::vector<std::string> bodies(std::begin(kMalformedBodies), std::end(kMalformedBodies));
  bodies.push_back("5;" + std::string(2000, 'e') + "\r\nhello\r\n0\r\n\r\n");  // oversized
  for (const std::string& body : bodies) {
    CAPTURE(body.substr(0, 40));
    HttpClient client(f.port());
    client.connect();
    REQUIRE(client.send(kHead + body, after(seconds(5))));
    auto response = client.read_response(after(seconds(5)));
    INFO("client: " << client.error());
    REQUIRE(response);
    CHECK(response->status == 400);
    CHECK(response->connection_close());
    CHECK(client.wait_closed(after(seconds(5))));
    CHECK(f.target.bytes_received() == 0);
    CHECK(f.target.connections() == 0);
  }
  HttpClient next(f.port());
  CHECK(next.get("/").status == 200);
}

TEST_CASE("malformed chunk framing after forwarding began: the target never sees a request") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  REQUIRE(client.send(kHead + "5\r\nhello\r\n", after(seconds(5))));
  // The head and the first (re-encoded) chunk reach the target before the bad chunk line.
  REQUIRE(wait_until(
      [&] {
        return f.target.connections() > 0 &&
               f.target.received_on(0).find("5\r\nhello\r\n") != std::string::npos;
      },
      after(seconds(5))));
  REQUIRE(client.send("5 \r\nworld\r\n0\r\n\r\n", after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  INFO("client: " << client.error());
  REQUIRE(response);
  CHECK(response->status == 400);
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(wait_until([&] { return f.target.closed_by_peer(0); }, after(seconds(5))));
  CHECK(f.target.requests() == 0);  // never a complete request
}

}  // namespace
}  // namespace albatross::testing
