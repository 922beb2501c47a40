// Slow and abusive clients: a head trickled past header_timeout (slowloris) gets 408 although
// bytes keep coming; a request body that stalls past body_timeout or crawls below body_min_rate
// (slow POST) gets 408, one within both bounds completes; a client that stops reading its
// response (slow read) loses the connection after idle_timeout while others are served;
// connections beyond global.max_connections are closed at once and counted; more header fields
// than global.max_header_count get 431. None leaves a descriptor behind.
#include <doctest/doctest.h>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/metrics_text.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// One worker, no pooled target connections (so the descriptor count is the connections in
// use), the listener's timeouts as given.
struct Fixture {
  Targets targets{{"t1"}};
  AlbatrossProcess albatross;
  explicit Fixture(std::string_view listener_extra, std::string_view global_extra = "")
      : albatross(ConfigText()
                      .threads(1)
                      .admin()
                      .global(global_extra)
                      .listener("web", "app", listener_extra)
                      .target_group("app", targets.ports(), "keepalive_timeout = \"0s\"")
                      .str()) {
    albatross.start();
  }
  std::uint16_t port() const { return albatross.port("web"); }
  double metric(std::string_view name) const {
    return AdminClient(albatross.admin_port()).metrics().value(name, {{"listener", "web"}});
  }
  bool descriptors_back_to(std::size_t baseline) const {
    return wait_until([&] { return albatross.fd_count() <= baseline; }, after(seconds(5)));
  }
};

TEST_CASE("slowloris: a head still trickling in at header_timeout gets 408") {
  Fixture f("header_timeout = \"500ms\"");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  const std::size_t baseline = f.albatross.fd_count();
  HttpClient client(f.port());
  client.connect();
  TimePoint start = Clock::now();
  REQUIRE(client.send("GET / HTTP/1.1\r\nHost: x\r\n", after(seconds(1))));
  // A field line every 100 ms: steady progress, never the end of the head.
  std::optional<HttpResponse> response;
  int lines = 0;
  while (!response && Clock::now() < start + seconds(5)) {
    if (!client.send("X-Slow-" + std::to_string(lines) + ": v\r\n", after(seconds(1)))) break;
    ++lines;
    response = client.read_response(after(milliseconds(100)));
  }
  if (!response) response = client.read_response(after(seconds(5)));
  auto took = elapsed_ms(start);
  REQUIRE(response);
  CHECK(response->status == 408);
  CHECK(response->connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(lines >= 4);  // bytes kept coming, and did not extend the bound
  CHECK(took >= milliseconds(450));
  CHECK(took < milliseconds(1500));
  CHECK(f.targets.requests_served(0) == 0);
  client.close();
  CHECK(f.descriptors_back_to(baseline));
}

TEST_CASE("slow POST: a body that stops arriving gets 408 after body_timeout") {
  Fixture f("body_timeout = \"500ms\"\nbody_min_rate = 0");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  const std::size_t baseline = f.albatross.fd_count();
  // Three times: each starts at another phase of albatross's 50 ms deadline tick.
  for (int i = 0; i < 3; ++i) {
    HttpClient client(f.port());
    client.connect();
    REQUIRE(client.send(
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(10, 'a'),
        after(seconds(1))));
    TimePoint start = Clock::now();
    auto response = client.read_response(after(seconds(5)));
    auto took = elapsed_ms(start);
    REQUIRE(response);
    CHECK(response->status == 408);
    CHECK(response->connection_close());
    CHECK(client.wait_closed(after(seconds(5))));
    CHECK(took >= milliseconds(450));
    CHECK(took < milliseconds(1500));
  }
  CHECK(f.metric("albatross_generated_responses_total") == 3);
  CHECK(f.descriptors_back_to(baseline));
  HttpClient next(f.port());
  CHECK(next.get("/").status == 200);
}

TEST_CASE("slow POST: a body crawling below body_min_rate gets 408 although it never pauses") {
  // 20 bytes every 200 ms is 100 B/s against 400 B/s required: the deadline (1 s, plus 1 s per
  // 400 bytes) is reached after about 1.33 s, while no pause comes near body_timeout.
  Fixture f("body_timeout = \"1s\"\nbody_min_rate = 400");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  TimePoint start = Clock::now();
  REQUIRE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n",
                      after(seconds(1))));
  std::optional<HttpResponse> response;
  int pieces = 0;
  while (!response && Clock::now() < start + seconds(6)) {
    if (!client.send(std::string(20, 'b'), after(seconds(1)))) break;
    ++pieces;
    response = client.read_response(after(milliseconds(200)));
  }
  if (!response) response = client.read_response(after(seconds(5)));
  auto took = elapsed_ms(start);
  REQUIRE(response);
  CHECK(response->status == 408);
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(pieces >= 5);
  CHECK(took >= milliseconds(1250));
  CHECK(took < milliseconds(3000));
}

TEST_CASE("slow POST: a body within body_timeout and body_min_rate completes") {
  // 200 bytes every 100 ms (2000 B/s) for 1.5 s: longer than body_timeout in all, each pause
  // well within it, the rate above body_min_rate.
  Fixture f("body_timeout = \"1s\"\nbody_min_rate = 400");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient client(f.port());
  client.connect();
  constexpr int kPieces = 15;
  REQUIRE(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(kPieces * 200) + "\r\n\r\n",
                      after(seconds(1))));
  for (int i = 0; i < kPieces; ++i) {
    REQUIRE(client.send(std::string(200, 'c'), after(seconds(1))));
    // Paces the pieces; nothing may arrive before the body is complete.
    if (i + 1 < kPieces) CHECK_FALSE(client.read_response(after(milliseconds(100))));
  }
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->body == "received 3000 bytes\n");
  CHECK(client.get("/").status == 200);
}

TEST_CASE("slow read: a client that stops reading loses its connection after idle_timeout") {
  // idle_timeout is the stall a held worker would impose on everyone: 3 s, so that "not held"
  // (well under half of it) stays distinguishable from "held" on a loaded sanitizer run.
  Fixture f("idle_timeout = \"3s\"");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  const std::size_t baseline = f.albatross.fd_count();
  constexpr std::size_t kBody = 32 << 20;  // beyond what the socket buffers on the way hold
  HttpClient reader(f.port());
  reader.set_receive_buffer(4096);
  reader.connect();
  TimePoint start = Clock::now();
  REQUIRE(reader.send("GET /bytes?n=" + std::to_string(kBody) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                      after(seconds(1))));
  // The worker is not held by the stalled write: another client is served meanwhile.
  {
    HttpClient other(f.port());
    TimePoint asked = Clock::now();
    CHECK(other.get("/").status == 200);
    CHECK(elapsed_ms(asked) < milliseconds(1500));
  }
  // Both connections of the stalled exchange go once a write made no progress for 3 s; the
  // client's is reset, so what albatross had queued for it is dropped, not trickled out.
  CHECK(f.descriptors_back_to(baseline));
  CHECK(elapsed_ms(start) < milliseconds(7000));
  CHECK(reader.wait_closed(after(seconds(5))));
  CHECK(reader.was_reset());
  CHECK(reader.unexpected().size() < kBody);
}

TEST_CASE("slow read: a response the client does not take waits in albatross, not in the kernel") {
  Fixture f("idle_timeout = \"30s\"");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  HttpClient reader(f.port());
  reader.set_receive_buffer(4096);
  reader.connect();
  // Two pipelined requests: albatross forwards the second once the first response is written.
  // 1 MiB is far beyond the unsent bytes albatross lets the kernel hold, and far below the send
  // buffer the kernel would otherwise grow to on loopback (4 MiB), which takes it whole.
  REQUIRE(reader.send(
      "GET /bytes?n=1048576 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
      after(seconds(1))));
  REQUIRE(wait_until([&] { return f.targets.requests_served(0) >= 1; }, after(seconds(5))));
  // The write of the first response waits for the reader (under idle_timeout), so the second
  // request does not reach the target.
  CHECK_FALSE(wait_until([&] { return f.targets.requests_served(0) >= 2; }, after(seconds(2))));
}

TEST_CASE("connections beyond global.max_connections are closed at once and counted") {
  Fixture f("", "max_connections = 3");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  std::vector<std::unique_ptr<HttpClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<HttpClient>(f.port()));
    held.back()->connect();
  }
  REQUIRE(wait_until([&] { return f.metric("albatross_downstream_connections_active") == 3; },
                     after(seconds(5))));
  for (int i = 0; i < 2; ++i) {
    HttpClient refused(f.port());
    refused.connect();  // the kernel completes the handshake; albatross then closes it
    CHECK(refused.wait_closed(after(seconds(5))));
    CHECK(refused.unexpected().empty());
  }
  CHECK(f.metric("albatross_downstream_connections_rejected_total") == 2);
  // The held connections are served, and a freed place is taken again.
  CHECK(held[0]->get("/").status == 200);
  held[1]->close();
  REQUIRE(wait_until([&] { return f.metric("albatross_downstream_connections_active") == 2; },
                     after(seconds(5))));
  HttpClient next(f.port());
  CHECK(next.get("/").status == 200);
  CHECK(f.metric("albatross_downstream_connections_rejected_total") == 2);
}

TEST_CASE("more header fields than global.max_header_count get 431") {
  Fixture f("", "max_header_count = 10");
  INFO("albatross log:\n" << f.albatross.stderr_text());
  auto fields = [](int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += "X-Field-" + std::to_string(i) + ": v\r\n";
    return out;
  };
  HttpClient client(f.port());
  // Host and nine more: at the limit.
  CHECK(client.request("GET", "/", fields(9)).status == 200);
  client.connect();
  REQUIRE(client.send("GET / HTTP/1.1\r\nHost: x\r\n" + fields(10) + "\r\n", after(seconds(1))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 431);
  CHECK(response->connection_close());
  CHECK(client.wait_closed(after(seconds(5))));
  CHECK(f.targets.requests_served(0) == 1);
}

}  // namespace
}  // namespace albatross::testing
