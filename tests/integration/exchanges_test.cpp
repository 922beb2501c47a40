// HTTP semantics of single exchanges: bodiless responses (HEAD, 204, 304), a chunked response to
// an HTTP/1.0 client, a client that half-closes after its request, Expect: 100-continue refused,
// many connections at once, a slow target outlasting idle_timeout, and no descriptor leaks.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Fixture {
  explicit Fixture(std::string_view listener_extra = "", std::string_view group_extra = "")
      : albatross(ConfigText()
                      .listener("web", "app", listener_extra)
                      .listener("empty", "empty")
                      .target_group("app", targets.ports(), group_extra)
                      .target_group("empty", {})
                      .str()) {
    albatross.start();
  }
  std::uint16_t port() const { return albatross.port("web"); }
  Targets targets{{"t1"}};
  AlbatrossProcess albatross;
};

TEST_CASE("responses without a body keep the connection's framing intact") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  HttpResponse head = client.request("HEAD", "/bytes?n=5000");
  CHECK(head.status == 200);
  CHECK(head.header("Content-Length") == "5000");
  CHECK(head.body.empty());
  HttpResponse no_content = client.get("/status/204");
  CHECK(no_content.status == 204);
  CHECK_FALSE(no_content.header("Transfer-Encoding"));
  HttpResponse not_modified = client.get("/status/304");
  CHECK(not_modified.status == 304);
  // Had any of them left bytes on the connection, this would read garbage.
  HttpResponse after_them = client.get("/bytes?n=10");
  CHECK(after_them.status == 200);
  CHECK(after_them.body == std::string(10, 'x'));
  CHECK_FALSE(client.server_closed());
}

TEST_CASE("a chunked response to an HTTP/1.0 client is sent raw and ended by close") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  REQUIRE(client.send("GET /sse?events=3&interval=10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                      after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK_FALSE(response->header("Transfer-Encoding"));
  CHECK_FALSE(response->header("Content-Length"));
  CHECK(response->complete);  // ended by a clean close
  CHECK(response->body.find("data: event 2 from t1\n\n") != std::string::npos);
  CHECK(response->body.find("\r\n") == std::string::npos);  // no chunk framing leaked
}

TEST_CASE("a client that half-closes after its request still gets the response") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  REQUIRE(client.send("GET /?delay=100 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  client.shutdown_send();
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body.starts_with("Hello from t1"));
  CHECK(client.wait_closed(after(seconds(5))));
}

TEST_CASE("Expect: 100-continue with no target to send to: no 100, an error, and close") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.albatross.port("empty"));
  client.connect();
  REQUIRE(
      client.send("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Length: 1000000\r\n\r\n",
                  after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 503);
  // The body was never sent: the connection cannot carry another request.
  CHECK(response->connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
}

TEST_CASE("a GET with a body is forwarded, then both connections are closed") {
  Fixture f("", "");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  HttpResponse response = client.request("GET", "/headers", "Content-Length: 4\r\n", "abcd");
  CHECK(response.status == 200);
  CHECK(response.connection_close());
  CHECK(response.body.find("Content-Length: 4") != std::string::npos);
  CHECK(client.wait_closed(after(seconds(5))));
}

TEST_CASE("64 connections at once are all served") {
  Fixture f;
  INFO("albatross log:\n" << f.albatross.stderr_text());
  constexpr int kConnections = 64;
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(std::make_unique<HttpClient>(f.port()));
    clients.back()->connect();
  }
  for (int i = 0; i < kConnections; ++i) {
    REQUIRE(clients[static_cast<std::size_t>(i)]->send(
        "GET /?delay=200&i=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n",
        after(seconds(5))));
  }
  TimePoint start = Clock::now();
  for (auto& client : clients) {
    auto response = client->read_response(after(seconds(10)));
    REQUIRE(response);
    CHECK(response->status == 200);
  }
  // In parallel, not one after the other (64 x 200 ms).
  CHECK(elapsed_ms(start) < milliseconds(3000));
  CHECK(f.targets.requests_served(0) == kConnections);
}

TEST_CASE("a target slower than idle_timeout but within response_timeout is waited for") {
  Fixture f("idle_timeout = \"1s\"", "response_timeout = \"5s\"");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  TimePoint start = Clock::now();
  HttpResponse response = client.get("/?delay=1600", after(seconds(5)));
  CHECK(response.status == 200);
  CHECK(elapsed_ms(start) >= milliseconds(1500));
}

TEST_CASE("descriptors come back after normal, failed and abandoned exchanges") {
  Fixture f("", "keepalive_timeout = \"200ms\"\nresponse_timeout = \"300ms\"");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  const std::size_t baseline = f.albatross.fd_count();
  {
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int i = 0; i < 8; ++i) {
      clients.push_back(std::make_unique<HttpClient>(f.port()));
      CHECK(clients.back()->get("/").status == 200);
    }
    HttpClient timeout(f.port());
    CHECK(timeout.get("/?delay=1000").status == 504);
    HttpClient garbage(f.port());
    CHECK(garbage.get("/misbehave/no-framing").status == 502);
    HttpClient reset(f.port());
    reset.connect();
    REQUIRE(reset.send("GET /misbehave/reset HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
    CHECK(reset.wait_closed(after(seconds(5))));
    // Gone mid-upload, and gone while the target is still working.
    HttpClient upload(f.port());
    upload.connect();
    REQUIRE(upload.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" +
                            std::string(1000, 'u'),
                        after(seconds(5))));
    HttpClient impatient(f.port());
    impatient.connect();
    REQUIRE(impatient.send("GET /?delay=200 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
    REQUIRE(wait_until([&] { return f.targets.requests_served(0) >= 13; }, after(seconds(5))));
  }
  // Every client is gone; pooled target connections expire after keepalive_timeout.
  bool back = wait_until([&] { return f.albatross.fd_count() <= baseline; }, after(seconds(5)));
  CAPTURE(baseline);
  CAPTURE(f.albatross.fd_count());
  CHECK(back);
}

}  // namespace
}  // namespace albatross::testing
