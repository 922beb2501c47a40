// Targets that are gone, silent or slow: connect failures move to another target, a group with
// nothing to send to answers 502/503, and timeouts answer 504 within their bound.
#include <doctest/doctest.h>

#include <map>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"
#include "support/unresponsive_listener.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("a stopped target: requests keep succeeding on the others") {
  Targets targets({"a", "b", "c"});
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());

  SUBCASE("stopped before any traffic") {}
  SUBCASE("stopped while the pool holds connections to it") {
    HttpClient warm(albatross.port("web"));
    for (int i = 0; i < 6; ++i)
      REQUIRE(warm.get("/").status == 200);
    HttpClient other(albatross.port("web"));
    for (int i = 0; i < 6; ++i)
      REQUIRE(other.get("/").status == 200);
  }
  const std::uint64_t served_before = targets.requests_served(1);
  targets.stop(1);
  std::map<std::string, int> by_name;
  for (int i = 0; i < 24; ++i) {
    CAPTURE(i);
    // A new client connection each time, so both workers (and their pools) take part.
    HttpClient client(albatross.port("web"));
    HttpResponse response = client.get("/");
    REQUIRE(response.status == 200);
    ++by_name[response.header("X-Target").value_or("?")];
  }
  CHECK(by_name["b"] == 0);
  CHECK(by_name["a"] + by_name["c"] == 24);
  // Both survivors serve. (Not evenly: a retry re-picks among the remaining targets with the
  // group's shared round-robin counter, which favours one of them while health checks are off.)
  CHECK(by_name["a"] >= 1);
  CHECK(by_name["c"] >= 1);
  CHECK(targets.requests_served(1) == served_before);
}

TEST_CASE("a request retried on another target names that target in its fallback Host") {
  Targets targets({"down", "up"});
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  targets.stop(0);
  // HTTP/1.0 without Host: albatross supplies the target's authority. Round robin starts with
  // the stopped target, so the request is retried on the other one.
  HttpClient client(albatross.port("web"));
  client.connect();
  REQUIRE(client.send("GET /headers HTTP/1.0\r\n\r\n", after(seconds(5))));
  auto response = client.read_response(after(seconds(5)));
  REQUIRE(response);
  CHECK(response->status == 200);
  CHECK(response->header("X-Target") == "up");
  CHECK(response->body.find("Host: 127.0.0.1:" + std::to_string(targets.port(1)) + "\n") !=
        std::string::npos);
}

TEST_CASE("a group whose only target is down answers 502; an empty group answers 503") {
  Targets targets({"live", "dead"});
  AlbatrossProcess albatross(ConfigText()
                                 .listener("live", "live")
                                 .listener("dead", "dead")
                                 .listener("empty", "empty")
                                 .target_group("live", {targets.port(0)})
                                 .target_group("dead", {targets.port(1)})
                                 .target_group("empty", {})
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  targets.stop(1);

  HttpClient dead(albatross.port("dead"));
  TimePoint start = Clock::now();
  HttpResponse bad_gateway = dead.get("/");
  CHECK(bad_gateway.status == 502);
  CHECK(elapsed_ms(start) < milliseconds(1000));

  HttpClient empty(albatross.port("empty"));
  HttpResponse unavailable = empty.get("/");
  CHECK(unavailable.status == 503);
  // Nothing went wrong on the connection itself: it may carry on.
  CHECK_FALSE(unavailable.connection_close());
  CHECK(empty.get("/").status == 503);
  // To a HEAD, the same head without its body: the next response on the connection is read
  // from its first byte.
  HttpResponse head = empty.request("HEAD", "/");
  CHECK(head.status == 503);
  CHECK_FALSE(head.connection_close());
  CHECK(head.header("Content-Length"));
  CHECK(empty.get("/").status == 503);
  CHECK(empty.unexpected().empty());

  HttpClient live(albatross.port("live"));
  CHECK(live.get("/").status == 200);
}

TEST_CASE("504 when the target does not answer within response_timeout") {
  Targets targets({"slow"});
  AlbatrossProcess albatross(
      ConfigText()
          .listener("web", "app")
          .target_group("app", targets.ports(), "response_timeout = \"300ms\"")
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  // Three times: each starts at another phase of albatross's 50 ms deadline tick.
  for (int i = 0; i < 3; ++i) {
    HttpClient client(albatross.port("web"));
    TimePoint start = Clock::now();
    HttpResponse response = client.get("/?delay=3000", after(seconds(5)));
    auto took = elapsed_ms(start);
    CHECK(response.status == 504);
    CHECK(took >= milliseconds(290));
    CHECK(took < milliseconds(1500));  // the bound plus scheduling on a busy machine
  }
  // Within the bound, the same target answers.
  HttpClient again(albatross.port("web"));
  CHECK(again.get("/?delay=50").status == 200);
}

TEST_CASE("504 when connecting to the target times out (SYN never answered)") {
  UnresponsiveListener blackhole;
  AlbatrossProcess albatross(
      ConfigText()
          .listener("web", "app")
          .target_group("app", {blackhole.port()}, "connect_timeout = \"300ms\"")
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  for (int i = 0; i < 3; ++i) {
    HttpClient client(albatross.port("web"));
    TimePoint start = Clock::now();
    HttpResponse response = client.get("/", after(seconds(5)));
    auto took = elapsed_ms(start);
    CHECK(response.status == 504);
    CHECK(took >= milliseconds(290));
    CHECK(took < milliseconds(1500));  // the bound plus scheduling on a busy machine
  }
}

}  // namespace
}  // namespace albatross::testing
