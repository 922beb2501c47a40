// What albatross refuses before anything reaches a target: request smuggling forms (answered
// 400/501 and the connection closed), oversized heads (414/431), TRACE (405), a stalled head
// (408), and idle connections past idle_timeout.
#include <doctest/doctest.h>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Joins the pieces. (Spelled out because GCC 12 warns, wrongly, about "literal" +
// std::string(n, c) at -O3.)
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts)
    out.append(p);
  return out;
}

struct Fixture {
  Targets targets{{"t1"}};
  AlbatrossProcess albatross{
      ConfigText()
          .threads(1)
          .listener("web", "app", "header_timeout = \"300ms\"\nidle_timeout = \"1s\"")
          .target_group("app", targets.ports())
          .str()};
  Fixture() { albatross.start(); }
  std::uint16_t port() const { return albatross.port("web"); }

  // Sends `bytes` on a new connection; expects `status`, "Connection: close", the connection
  // closed, the target untouched, and a new connection served normally afterwards.
  void expect_refused(const std::string& bytes, int status) {
    const std::uint64_t served = targets.requests_served(0);
    HttpClient client(port());
    client.connect();
    REQUIRE(client.send(bytes, after(seconds(5))));
    auto response = client.read_response(after(seconds(5)));
    INFO("client: " << client.error());
    REQUIRE(response);
    CHECK(response->status == status);
    CHECK(response->connection_close());
    CHECK(client.wait_closed(after(seconds(5))));
    CHECK(client.unexpected().empty());
    CHECK(targets.requests_served(0) == served);
    HttpClient next(port());
    CHECK(next.get("/").status == 200);
  }
};

TEST_CASE("request smuggling forms are refused and the connection closed") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  const std::string post = "POST /upload HTTP/1.1\r\nHost: x\r\n";
  SUBCASE("two different Content-Length values") {
    f.expect_refused(post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400);
  }
  SUBCASE("a Content-Length list with different values") {
    f.expect_refused(post + "Content-Length: 5, 6\r\n\r\nhello!", 400);
  }
  SUBCASE("a Content-Length that is not a number") {
    f.expect_refused(post + "Content-Length: 5x\r\n\r\nhello", 400);
  }
  SUBCASE("a signed Content-Length") {
    f.expect_refused(post + "Content-Length: +5\r\n\r\nhello", 400);
  }
  SUBCASE("Transfer-Encoding: xchunked") {
    f.expect_refused(post + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400);
  }
  SUBCASE("Transfer-Encoding: chunked, chunked") {
    f.expect_refused(post + "Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                     400);
  }
  SUBCASE("Transfer-Encoding twice") {
    f.expect_refused(post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         "5\r\nhello\r\n0\r\n\r\n",
                     400);
  }
  SUBCASE("a transfer coding list not ending in chunked (400, RFC 9112 6.3)") {
    f.expect_refused(post + "Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400);
  }
  SUBCASE("Transfer-Encoding: gzip alone") {
    f.expect_refused(post + "Transfer-Encoding: gzip\r\n\r\nhello", 400);
  }
  SUBCASE("obs-fold") {
    f.expect_refused("GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400);
  }
  SUBCASE("obs-fold continuing Transfer-Encoding") {
    f.expect_refused(post + "Transfer-Encoding: identity\r\n , chunked\r\n\r\n0\r\n\r\n", 400);
  }
  SUBCASE("NUL in a field value") {
    f.expect_refused(std::string("GET / HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n", 39), 400);
  }
  SUBCASE("bare LF line ends") {
    f.expect_refused("GET / HTTP/1.1\nHost: x\n\n", 400);
  }
  SUBCASE("a bare LF inside the head") {
    f.expect_refused("GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400);
  }
  SUBCASE("a bare CR inside the head") {
    f.expect_refused("GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400);
  }
  SUBCASE("HTTP/1.1 without Host") {
    f.expect_refused("GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400);
  }
  SUBCASE("two Host fields") {
    f.expect_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
  }
  SUBCASE("a bad chunk size in a chunked body") {
    // The head is fine and forwarded; the body is not: 400, and nothing after it is read as a
    // request.
    const std::uint64_t served = f.targets.requests_served(0);
    HttpClient client(f.port());
    client.connect();
    REQUIRE(client.send(post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" +
                            "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
                        after(seconds(5))));
    auto response = client.read_response(after(seconds(5)));
    REQUIRE(response);
    CHECK(response->status == 400);
    CHECK(response->connection_close());
    CHECK(client.wait_closed(after(seconds(5))));
    CHECK(client.unexpected().empty());
    CHECK(f.targets.requests_served(0) <= served + 1);
    HttpClient next(f.port());
    CHECK(next.get("/").status == 200);
  }
}

TEST_CASE("a pipelined bad request is answered after the good ones before it, then closed") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  REQUIRE(
      client.send("GET /headers?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /headers?n=2 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /bad HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
                  "GET /headers?n=4 HTTP/1.1\r\nHost: x\r\n\r\n",
                  after(seconds(5))));
  for (int n = 1; n <= 2; ++n) {
    auto response = client.read_response(after(seconds(5)));
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->body.starts_with("GET /headers?n=" + std::to_string(n)));
  }
  auto refused = client.read_response(after(seconds(5)));
  REQUIRE(refused);
  CHECK(refused->status == 400);
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(client.unexpected().empty());
  CHECK(f.targets.requests_served(0) == 2);
}

TEST_CASE("an Expect other than 100-continue is answered 417") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  HttpResponse response = client.request("POST", "/upload", "Expect: 200-ok\r\n", "abc");
  CHECK(response.status == 417);
  CHECK(response.connection_close());
  CHECK(f.targets.requests_served(0) == 0);
}

TEST_CASE("Content-Length with Transfer-Encoding: forwarded as chunked, then both sides closed") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  // One worker: the pooled target connection is the one this request would reuse.
  HttpClient warm(f.port());
  REQUIRE(warm.get("/").status == 200);
  REQUIRE(f.targets.connections_accepted(0) == 1);

  HttpClient client(f.port());
  client.connect();
  // The Content-Length (3) disagrees with the chunked body (5 bytes): a smuggler's framing.
  REQUIRE(
      client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                  after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "received 5 bytes\n");  // chunked won, normalised
  CHECK(response->connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(f.targets.connections_accepted(0) == 1);  // it went over the pooled connection...

  // ...which was closed after it: the next exchange needs a new target connection.
  HttpClient next(f.port());
  CHECK(next.get("/").status == 200);
  CHECK(f.targets.connections_accepted(0) == 2);
  // A compliant request leaves the pooled connection in place.
  HttpClient third(f.port());
  CHECK(third.get("/").status == 200);
  CHECK(f.targets.connections_accepted(0) == 2);
}

TEST_CASE("oversized request heads: 414 and 431") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  SUBCASE("a 17 KiB request line") {
    f.expect_refused(cat({"GET /", std::string(17 * 1024, 'a'), " HTTP/1.1\r\nHost: x\r\n\r\n"}),
                     414);
  }
  SUBCASE("a 17 KiB header line") {
    f.expect_refused(
        cat({"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(17 * 1024, 'b'), "\r\n\r\n"}),
        431);
  }
  SUBCASE("a 65 KiB head of short lines") {
    std::string head = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; head.size() < 65 * 1024; ++i)
      head += "X-Field-" + std::to_string(i) + ": " + std::string(1000, 'c') + "\r\n";
    f.expect_refused(head + "\r\n", 431);
  }
  SUBCASE("just under the limits is fine") {
    HttpClient client(f.port());
    std::string line_ok = "/?" + std::string(15 * 1024, 'a');
    CHECK(client.get(line_ok).status == 200);
    CHECK(
        client.request("GET", "/", cat({"X-Big: ", std::string(15 * 1024, 'b'), "\r\n"})).status ==
        200);
  }
}

TEST_CASE("TRACE is answered 405 without reaching the target") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  HttpResponse response = client.request("TRACE", "/");
  CHECK(response.status == 405);
  CHECK(response.header("Allow"));
  CHECK(f.targets.requests_served(0) == 0);
}

TEST_CASE("a head that stalls past header_timeout gets 408 and the connection closed") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  // Three times: each starts at another phase of albatross's 50 ms deadline tick.
  for (int i = 0; i < 3; ++i) {
    HttpClient client(f.port());
    client.connect();
    TimePoint start = Clock::now();
    REQUIRE(client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", after(seconds(5))));
    auto response = client.read_response(after(seconds(5)));
    auto took = elapsed_ms(start);
    REQUIRE(response);
    CHECK(response->status == 408);
    CHECK(response->connection_close());
    CHECK(client.wait_closed(after(seconds(5))));
    CHECK(took >= milliseconds(290));
    CHECK(took < milliseconds(1500));  // the bound plus scheduling on a busy machine
  }
  CHECK(f.targets.requests_served(0) == 0);
}

TEST_CASE("an idle keep-alive connection is closed after idle_timeout, silently") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  REQUIRE(client.get("/").status == 200);
  TimePoint idle_since = Clock::now();
  CHECK(client.wait_closed(after(seconds(5))));
  auto idle = elapsed_ms(idle_since);
  CHECK(idle >= milliseconds(950));
  CHECK(idle < milliseconds(3000));    // about 1 s, not the 60 s default
  CHECK(client.unexpected().empty());  // no 408 on an idle connection
}

TEST_CASE("a connection that never sends anything is closed after idle_timeout") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  TimePoint start = Clock::now();
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(elapsed_ms(start) >= milliseconds(950));
  CHECK(elapsed_ms(start) < milliseconds(3000));
  CHECK(client.unexpected().empty());
}

}  // namespace
}  // namespace albatross::testing
