// Health checks on the request path: a target failing its /ping leaves the rotation after
// unhealthy_threshold checks and returns after healthy_threshold, a target added by a reload is
// probed at once and then used, a group with no healthy target fails open (or answers 503 with
// fail_open = false), and a newly healthy target ramps up under slow start.
#include <doctest/doctest.h>

#include <map>

#include "support/admin_client.hpp"
#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/sticky_session.hpp"
#include "support/targets.hpp"
#include "support/unresponsive_listener.hpp"

namespace albatross::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace json = boost::json;

// One check a second; a failing target is out after 2 failures, back after 3 passes.
constexpr std::string_view kChecks =
    "interval = \"1s\"\ntimeout = \"500ms\"\nhealthy_threshold = 3\nunhealthy_threshold = 2";

std::string transition(std::string_view group, std::uint16_t port, std::string_view from,
                       std::string_view to) {
  return "target " + std::string(group) + "/" + loopback(port) + " " + std::string(from) + " -> " +
         std::string(to) + " (";
}

TEST_CASE(
    "a target whose /ping turns 503 leaves after unhealthy_threshold checks, returns after "
    "healthy_threshold") {
  Targets targets({"a", "b"});
  AlbatrossProcess albatross(ConfigText()
                                 .admin("127.0.0.1:0")
                                 .listener("web", "app")
                                 .target_group("app", targets.ports(), "", kChecks)
                                 .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  const std::string b = loopback(targets.port(1));
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(0), "initial", "healthy"),
                                 after(seconds(5))));
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(1), "initial", "healthy"),
                                 after(seconds(5))));
  auto before = spread(albatross.port("web"), 10);
  CHECK(before["a"] == 5);
  CHECK(before["b"] == 5);

  // Failing: out after exactly two failed checks.
  const std::uint64_t pings_before_failing = targets[1].ping_requests();
  targets[1].set_ping_status(503);
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(1), "healthy", "unhealthy"),
                                 after(seconds(10))));
  const std::uint64_t failed_checks = targets[1].ping_requests() - pings_before_failing;
  CHECK(failed_checks >= 2);
  CHECK(failed_checks <= 3);  // at most one check was already on its way when the status flipped
  json::object status = admin.status();
  const json::object* shown = AdminClient::find_target(status, "app", b);
  REQUIRE(shown != nullptr);
  CHECK(shown->at("state").as_string() == "unhealthy");
  CHECK(shown->at("reason").as_string() == "Target.ResponseCodeMismatch");
  CHECK(shown->at("last_check_status").as_int64() == 503);
  auto during = spread(albatross.port("web"), 20);
  CHECK(during["a"] == 20);
  CHECK(during.count("b") == 0);
  MetricsText metrics = admin.metrics();
  CHECK(metrics.value("albatross_healthy_targets", {{"target_group", "app"}}) == 1);
  CHECK(metrics.value("albatross_unhealthy_targets", {{"target_group", "app"}}) == 1);

  // Recovering: one pass is not enough...
  const std::uint64_t pings_before_passing = targets[1].ping_requests();
  targets[1].set_ping_status(200);
  REQUIRE(admin.wait_status(
      [&](const json::object& s) {
        const json::object* t = AdminClient::find_target(s, "app", b);
        return t && t->at("last_check_status").as_int64() == 200;
      },
      after(seconds(5))));
  // ...the next two checks are a second apart each, so this runs before the third pass.
  auto recovering = spread(albatross.port("web"), 10);
  CHECK(recovering.count("b") == 0);
  CHECK(admin.target_state("app", b) == "unhealthy");
  // ...it takes three.
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(1), "unhealthy", "healthy"),
                                 after(seconds(10))));
  const std::uint64_t passed_checks = targets[1].ping_requests() - pings_before_passing;
  CHECK(passed_checks >= 3);
  CHECK(passed_checks <= 4);
  auto after_recovery = spread(albatross.port("web"), 10);
  CHECK(after_recovery["a"] == 5);
  CHECK(after_recovery["b"] == 5);
}

TEST_CASE("a target added by a reload is probed at once, then used") {
  Targets targets({"a", "b"});
  // A long interval: only the probe of a new target can make it healthy within the test.
  constexpr std::string_view kSlowChecks = "interval = \"30s\"\ntimeout = \"1s\"";
  auto config = [&](std::vector<std::uint16_t> ports) {
    return ConfigText()
        .admin("127.0.0.1:0")
        .listener("web", "app")
        .target_group("app", ports, "", kSlowChecks)
        .str();
  };
  AlbatrossProcess albatross(config({targets.port(0)}));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(0), "initial", "healthy"),
                                 after(seconds(5))));
  CHECK(spread(albatross.port("web"), 4)["a"] == 4);
  const std::uint64_t b_pings = targets[1].ping_requests();

  albatross.rewrite_config(config(targets.ports()));
  TimePoint reloaded = Clock::now();
  REQUIRE(albatross.reload());
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(1), "initial", "healthy"),
                                 after(seconds(10))));
  CAPTURE(elapsed_ms(reloaded).count());
  CHECK(elapsed_ms(reloaded) < seconds(5));
  CHECK(targets[1].ping_requests() == b_pings + 1);
  const json::object status = admin.status();
  const json::object* b = AdminClient::find_target(status, "app", loopback(targets.port(1)));
  REQUIRE(b != nullptr);
  CHECK(b->at("state").as_string() == "healthy");
  CHECK(b->at("last_check_status").as_int64() == 200);
  // The survivor was not probed again: its state carried over.
  const json::object* a = AdminClient::find_target(status, "app", loopback(targets.port(0)));
  REQUIRE(a != nullptr);
  CHECK(a->at("state").as_string() == "healthy");
  CHECK(targets[0].ping_requests() == 1);
  auto by_target = spread(albatross.port("web"), 10);
  CHECK(by_target["a"] == 5);
  CHECK(by_target["b"] == 5);
}

TEST_CASE(
    "no healthy target: fail_open = true sends to all of them, fail_open = false answers "
    "503") {
  Targets targets({"a", "b", "c"});
  UnresponsiveListener hung;  // its checks time out
  AlbatrossProcess albatross(
      ConfigText()
          .admin("127.0.0.1:0")
          .listener("open", "open")
          .listener("closed", "closed")
          .target_group("open", {targets.port(0), targets.port(1)},
                        "fail_open = true\n[target_group.stickiness]\nenabled = true", kChecks)
          .target_group("closed", {targets.port(2)}, "fail_open = false", kChecks)
          .target_group("hung", {hung.port()}, "", kChecks)
          .str());
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  AdminClient admin(albatross);
  for (std::size_t i = 0; i < 2; ++i) {
    REQUIRE(albatross.wait_for_log(transition("open", targets.port(i), "initial", "healthy"),
                                   after(seconds(5))));
  }
  REQUIRE(albatross.wait_for_log(transition("closed", targets.port(2), "initial", "healthy"),
                                 after(seconds(5))));
  HttpClient closed(albatross.port("closed"));
  CHECK(closed.get("/").status == 200);
  // A user bound to b while all is well.
  std::string cookie;
  for (int i = 0; i < 2 && cookie.empty(); ++i) {
    HttpClient user(albatross.port("open"));
    HttpResponse r = user.get("/");
    if (r.header("X-Target") == "b") cookie = r.header("Set-Cookie").value_or("");
  }
  cookie = cookie.substr(0, cookie.find(';'));
  REQUIRE(cookie.starts_with("AWSALB="));

  for (std::size_t i = 0; i < targets.size(); ++i)
    targets[i].set_ping_status(503);
  REQUIRE(albatross.wait_for_log(transition("open", targets.port(0), "healthy", "unhealthy"),
                                 after(seconds(10))));
  REQUIRE(albatross.wait_for_log(transition("open", targets.port(1), "healthy", "unhealthy"),
                                 after(seconds(10))));
  REQUIRE(albatross.wait_for_log(transition("closed", targets.port(2), "healthy", "unhealthy"),
                                 after(seconds(10))));
  REQUIRE(albatross.wait_for_log(transition("hung", hung.port(), "initial", "unhealthy"),
                                 after(seconds(10))));

  // Fail open: new users spread over every target, the bound user stays where it was.
  const double fail_open_before =
      admin.metrics().value("albatross_fail_open_requests_total", {{"target_group", "open"}});
  auto by_target = spread(albatross.port("open"), 10);
  CHECK(by_target["a"] == 5);
  CHECK(by_target["b"] == 5);
  HttpClient bound(albatross.port("open"));
  for (int i = 0; i < 6; ++i) {
    HttpResponse r = bound.request("GET", "/", "Cookie: " + cookie + "\r\n");
    CHECK(r.status == 200);
    CHECK(r.header("X-Target") == "b");
    CHECK(!r.header("Set-Cookie"));
  }
  for (int i = 0; i < 3; ++i) {
    HttpResponse r = closed.get("/");
    CHECK(r.status == 503);
    CHECK(!r.header("X-Target"));
  }

  MetricsText metrics = admin.metrics();
  CHECK(metrics.value("albatross_fail_open_requests_total", {{"target_group", "open"}}) ==
        fail_open_before + 10);
  CHECK(metrics.value("albatross_fail_open_requests_total", {{"target_group", "closed"}}) == 0);
  CHECK(metrics.value("albatross_generated_responses_total",
                      {{"listener", "closed"}, {"code", "503"}}) == 3);
  CHECK(metrics.value("albatross_healthy_targets", {{"target_group", "open"}}) == 0);
  CHECK(metrics.value("albatross_unhealthy_targets", {{"target_group", "open"}}) == 2);
  CHECK(metrics.value("albatross_non_sticky_requests_total",
                      {{"target_group", "open"}, {"reason", "target_unavailable"}}) == 0);
  // A target that never answers is unhealthy for timing out.
  const json::object status = admin.status();
  const json::object* shown = AdminClient::find_target(status, "hung", loopback(hung.port()));
  REQUIRE(shown != nullptr);
  CHECK(shown->at("state").as_string() == "unhealthy");
  CHECK(shown->at("reason").as_string() == "Target.Timeout");
}

TEST_CASE("slow start: a target added next to healthy ones starts with a small share") {
  Targets targets({"a", "b", "c"});
  constexpr std::string_view kFastChecks = "interval = \"1s\"\ntimeout = \"500ms\"";
  auto config = [&](std::vector<std::uint16_t> ports) {
    return ConfigText()
        .listener("web", "app")
        .target_group("app", ports, "slow_start = \"30s\"", kFastChecks)
        .str();
  };
  AlbatrossProcess albatross(config({targets.port(0), targets.port(1)}));
  albatross.start();
  INFO("albatross log:\n" << albatross.stderr_text());
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(0), "initial", "healthy"),
                                 after(seconds(5))));
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(1), "initial", "healthy"),
                                 after(seconds(5))));
  // Registered together into an empty group: neither ramps against the other.
  auto first = spread(albatross.port("web"), 20);
  CHECK(first["a"] == 10);
  CHECK(first["b"] == 10);

  albatross.rewrite_config(config(targets.ports()));
  REQUIRE(albatross.reload());
  REQUIRE(albatross.wait_for_log(transition("app", targets.port(2), "initial", "healthy"),
                                 after(seconds(5))));
  // 30 s of ramp: in its first seconds c weighs a few percent of a full target, so of 300
  // requests it gets a handful where plain round robin would give it 100.
  TimePoint ramp_start = Clock::now();
  auto ramping = spread(albatross.port("web"), 300);
  CAPTURE(elapsed_ms(ramp_start).count());
  REQUIRE(elapsed_ms(ramp_start) < seconds(10));  // still early in the ramp
  CAPTURE(ramping["c"]);
  CHECK(ramping["c"] < 45);  // 15 %: weight 1/3 of a full target at 10 s
  CHECK(ramping["a"] + ramping["b"] + ramping["c"] == 300);
  CHECK(ramping["a"] > 100);
  CHECK(ramping["b"] > 100);
}

}  // namespace
}  // namespace albatross::testing
