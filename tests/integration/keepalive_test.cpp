// Connection reuse on both sides: client keep-alive, pipelining, HTTP/1.0 semantics, and the
// upstream pool that lets many exchanges share a few target connections.
#include <doctest/doctest.h>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

struct Fixture {
  Targets targets{{"t1"}};
  AlbatrossProcess albatross{
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str()};
  Fixture() { albatross.start(); }
  std::uint16_t port() const { return albatross.port("web"); }
};

TEST_CASE("many sequential requests on one client connection use very few target connections") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  constexpr int kRequests = 100;
  for (int i = 0; i < kRequests; ++i) {
    HttpResponse response = client.get("/?i=" + std::to_string(i));
    REQUIRE(response.status == 200);
    REQUIRE_FALSE(response.connection_close());
  }
  CHECK_FALSE(client.server_closed());
  CHECK(f.targets.requests_served(0) == kRequests);
  // One client connection lives on one worker, and so does the pooled target connection.
  CHECK(f.targets.connections_accepted(0) <= 2);

  // A second client on the same worker or the other one adds at most one more.
  HttpClient other(f.port());
  for (int i = 0; i < 20; ++i)
    REQUIRE(other.get("/").status == 200);
  CHECK(f.targets.connections_accepted(0) <= 3);
}

TEST_CASE("pipelined requests are answered in order on one connection") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  // The first is slow: a proxy answering out of order or dropping the buffered ones fails.
  std::string pipeline;
  for (std::string target : {"/headers?n=1&delay=200", "/headers?n=2", "/headers?n=3"}) {
    pipeline += "GET " + target + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
  }
  pipeline += "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\nhello";
  pipeline += "GET /headers?n=5 HTTP/1.1\r\nHost: example.test\r\n\r\n";
  REQUIRE(client.send(pipeline, after(seconds(5))));
  for (int n = 1; n <= 5; ++n) {
    CAPTURE(n);
    auto response = client.read_response(after(seconds(5)));
    REQUIRE(response);
    CHECK(response->status == 200);
    if (n == 4) {
      CHECK(response->body == "received 5 bytes\n");
    } else {
      CHECK(response->body.starts_with("GET /headers?n=" + std::to_string(n)));
    }
  }
  CHECK_FALSE(client.server_closed());
  CHECK(f.targets.requests_served(0) == 5);
}

TEST_CASE("HTTP/1.0 without keep-alive is answered and closed") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  REQUIRE(client.send("GET / HTTP/1.0\r\n\r\n", after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->complete);
  CHECK(response->body.starts_with("Hello from t1"));
  CHECK(response->header("Connection").value_or("close") != "keep-alive");
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(client.unexpected().empty());
}

TEST_CASE("HTTP/1.0 with Connection: keep-alive stays open") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", after(seconds(5))));
    auto response = client.read_response(after(seconds(5)));
    REQUIRE(response);
    CHECK(response->status == 200);
    CHECK(response->header("Connection") == "keep-alive");
    CHECK(response->header("Content-Length"));
  }
  CHECK_FALSE(client.server_closed());
  // HTTP/1.0 keep-alive still ends on request.
  REQUIRE(client.send("GET / HTTP/1.0\r\n\r\n", after(seconds(5))));
  auto last = client.read_response(after(seconds(5)));
  REQUIRE(last);
  CHECK(last->status == 200);
  CHECK(client.wait_closed(after(seconds(5))));
}

TEST_CASE("HTTP/1.1 Connection: close is honoured after the response") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  HttpResponse response = client.request("GET", "/", "Connection: close\r\n");
  CHECK(response.status == 200);
  CHECK(response.connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(client.unexpected().empty());
}

}  // namespace
}  // namespace albatross::testing
