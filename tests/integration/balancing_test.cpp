// Distribution across targets: round robin is exact across worker threads, least outstanding
// requests steers away from a slow target, and each listener reaches its own target group.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("round robin gives each target N/k requests, +-1, with two worker threads") {
  Targets targets({"a", "b", "c"});
  AlbatrossProcess albatross(
      ConfigText()
          .listener("web", "app")
          .target_group("app", targets.ports(), "algorithm = \"round_robin\"")
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());

  // A new connection per request spreads them over both workers; a few keep-alive clients add
  // requests that stay on one worker each. The count is exact either way.
  constexpr int kRequests = 61;
  std::map<std::string, int> by_name;
  std::vector<std::unique_ptr<HttpClient>> keep_alive;
  for (int i = 0; i < 3; ++i)
    keep_alive.push_back(std::make_unique<HttpClient>(albatross.port("web")));
  for (int i = 0; i < kRequests; ++i) {
    HttpResponse response;
    if (i % 2 == 0) {
      HttpClient fresh(albatross.port("web"));
      response = fresh.get("/");
    } else {
      response = keep_alive[static_cast<std::size_t>(i) % 3]->get("/");
    }
    REQUIRE(response.status == 200);
    ++by_name[response.header("X-Target").value_or("?")];
  }
  CHECK(by_name.size() == 3);
  const std::uint64_t share = kRequests / 3;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    CAPTURE(targets.name(t));
    CHECK(targets.requests_served(t) >= share);
    CHECK(targets.requests_served(t) <= share + 1);
    CHECK(by_name[targets.name(t)] == static_cast<int>(targets.requests_served(t)));
  }
  CHECK(targets.total_requests() == kRequests);
}

TEST_CASE("least outstanding requests sends fewer requests to a slow target") {
  Targets targets({"fast", "slow"});
  targets[1].set_delay(milliseconds(100));
  AlbatrossProcess albatross(
      ConfigText()
          .listener("web", "app")
          .target_group("app", targets.ports(), "algorithm = \"least_outstanding_requests\"")
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());

  // Four clients in parallel, each sending its requests one after the other: the slow target
  // holds its requests 100 ms, so it is busy (outstanding) while the fast one is free.
  constexpr int kClients = 4;
  constexpr int kPerClient = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      try {
        HttpClient client(albatross.port("web"));
        for (int i = 0; i < kPerClient; ++i) {
          if (client.get("/", after(seconds(10))).status != 200) ++failures;
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  CHECK(failures == 0);
  std::uint64_t fast = targets.requests_served(0);
  std::uint64_t slow = targets.requests_served(1);
  CAPTURE(fast);
  CAPTURE(slow);
  CHECK(fast + slow == kClients * kPerClient);
  CHECK(slow >= 1);
  // Round robin would split 40/40.
  CHECK(slow * 3 < fast);
}

TEST_CASE("several listeners and target groups in one process") {
  Targets targets({"blue-1", "blue-2", "green-1", "admin-1"});
  AlbatrossProcess albatross(ConfigText()
                                 .listener("blue", "blue")
                                 .listener("green", "green")
                                 .listener("admin", "admin")
                                 .target_group("blue", {targets.port(0), targets.port(1)})
                                 .target_group("green", {targets.port(2)})
                                 .target_group("admin", {targets.port(3)})
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  std::uint16_t blue = albatross.port("blue");
  std::uint16_t green = albatross.port("green");
  std::uint16_t admin = albatross.port("admin");
  CHECK(blue != green);
  CHECK(green != admin);

  HttpClient blue_client(blue);
  HttpClient green_client(green);
  HttpClient admin_client(admin);
  std::map<std::string, int> seen;
  for (int i = 0; i < 4; ++i) {
    std::string b = blue_client.get("/").header("X-Target").value_or("?");
    CHECK(b.starts_with("blue-"));
    ++seen[b];
    CHECK(green_client.get("/").header("X-Target") == "green-1");
    CHECK(admin_client.get("/").header("X-Target") == "admin-1");
  }
  CHECK(seen["blue-1"] == 2);
  CHECK(seen["blue-2"] == 2);
  // X-Forwarded-Port names the listener the request came in on.
  std::string headers = green_client.get("/headers").body;
  CHECK(headers.find("X-Forwarded-Port: " + std::to_string(green)) != std::string::npos);
}

}  // namespace
}  // namespace albatross::testing
