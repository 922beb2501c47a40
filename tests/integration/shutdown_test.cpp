// SIGTERM drains: an exchange in flight completes, no new connection is accepted, idle
// connections close at once, and the process exits 0.
#include <doctest/doctest.h>

#include <csignal>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("SIGTERM with a slow request in flight: it completes, new connections are refused") {
  Targets targets({"t1"});
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  const std::uint16_t port = albatross.port("web");

  HttpClient slow(port);
  slow.connect();
  REQUIRE(slow.send("GET /?delay=1500 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
  // The target has the request (it counts it before the delay).
  REQUIRE(wait_until([&] { return targets.requests_served(0) == 1; }, after(seconds(5))));
  TimePoint signalled = Clock::now();
  albatross.send_signal(SIGTERM);
  REQUIRE(albatross.wait_for_log("SIGTERM", after(seconds(5))));

  // The listening sockets close as the workers start draining: connects are refused from then on,
  // while the slow exchange is still in flight (it is due 1.5 s after it reached the target).
  HttpClient late(port);
  CHECK(wait_until([&] { return !late.try_connect(after(seconds(1))); },
                   signalled + milliseconds(1400)));

  auto response = slow.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->complete);
  CHECK(response->body.starts_with("Hello from t1"));
  CHECK(response->connection_close());
  CHECK(slow.wait_closed(after(seconds(5))));
  CHECK(elapsed_ms(signalled) >= milliseconds(1000));  // it really was waited for

  auto code = albatross.wait_exit(after(seconds(5)));
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(albatross.stderr_text().find("albatross stopped") != std::string::npos);
}

TEST_CASE("SIGTERM with only idle keep-alive clients exits promptly") {
  Targets targets({"t1"});
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient a(albatross.port("web"));
  HttpClient b(albatross.port("web"));
  REQUIRE(a.get("/").status == 200);
  REQUIRE(b.get("/").status == 200);
  HttpClient silent(albatross.port("web"));
  silent.connect();  // connected, never sent a byte

  TimePoint signalled = Clock::now();
  albatross.send_signal(SIGTERM);
  auto code = albatross.wait_exit(after(seconds(5)));
  REQUIRE(code);
  CHECK(*code == 0);
  // Promptly: not after idle_timeout (60 s) or shutdown_timeout (30 s), the defaults here.
  CHECK(elapsed_ms(signalled) < milliseconds(3000));
  CHECK(a.wait_closed(after(seconds(1))));
  CHECK(b.wait_closed(after(seconds(1))));
  CHECK(silent.wait_closed(after(seconds(1))));
  CHECK(a.unexpected().empty());
}

TEST_CASE("shutdown_timeout bounds the drain; a second SIGTERM ends it at once") {
  Targets targets({"t1"});
  SUBCASE("shutdown_timeout") {
    AlbatrossProcess albatross(ConfigText()
                                   .global("shutdown_timeout = \"500ms\"")
                                   .listener("web", "app")
                                   .target_group("app", targets.ports())
                                   .str());
    albatross.start();
    INFO("albatross log:\n" << albatross.stderr_text());
    HttpClient slow(albatross.port("web"));
    slow.connect();
    REQUIRE(slow.send("GET /?delay=5000 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
    REQUIRE(wait_until([&] { return targets.requests_served(0) == 1; }, after(seconds(5))));
    TimePoint signalled = Clock::now();
    albatross.send_signal(SIGTERM);
    auto code = albatross.wait_exit(after(seconds(5)));
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(elapsed_ms(signalled) >= milliseconds(450));
    CHECK(elapsed_ms(signalled) < milliseconds(3000));  // not the 5 s the target takes
    CHECK(albatross.stderr_text().find("shutdown_timeout reached") != std::string::npos);
    CHECK(slow.wait_closed(after(seconds(2))));
  }
  SUBCASE("second SIGTERM") {
    AlbatrossProcess albatross(
        ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
    albatross.start();
    INFO("albatross log:\n" << albatross.stderr_text());
    HttpClient slow(albatross.port("web"));
    slow.connect();
    REQUIRE(slow.send("GET /?delay=5000 HTTP/1.1\r\nHost: x\r\n\r\n", after(seconds(5))));
    REQUIRE(wait_until([&] { return targets.requests_served(0) == 1; }, after(seconds(5))));
    albatross.send_signal(SIGTERM);
    REQUIRE(albatross.wait_for_log("SIGTERM", after(seconds(5))));
    TimePoint second = Clock::now();
    albatross.send_signal(SIGTERM);
    auto code = albatross.wait_exit(after(seconds(5)));
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(elapsed_ms(second) < milliseconds(3000));  // not the 5 s the target takes
    CHECK(slow.wait_closed(after(seconds(2))));
  }
}

TEST_CASE("SIGINT drains like SIGTERM") {
  Targets targets({"t1"});
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  HttpClient client(albatross.port("web"));
  REQUIRE(client.get("/").status == 200);
  albatross.send_signal(SIGINT);
  auto code = albatross.wait_exit(after(seconds(5)));
  REQUIRE(code);
  CHECK(*code == 0);
}

}  // namespace
}  // namespace albatross::testing
