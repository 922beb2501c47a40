#include "albatross/health/health_checker.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <sstream>

#include "albatross/upstream/state_table.hpp"
#include "fake_target.hpp"

namespace albatross::health {
namespace {

namespace net = boost::asio;
using net::ip::tcp;
using testing::Clock;
using testing::FakeTarget;
using testing::run_until;
using upstream::HealthReason;
using upstream::TargetHealth;
using namespace std::chrono_literals;

config::TargetGroupConfig group_config(std::string name, Duration interval, Duration timeout,
                                       int healthy_threshold, int unhealthy_threshold) {
  config::TargetGroupConfig c;
  c.name = std::move(name);
  c.health_check.interval = interval;
  c.health_check.timeout = timeout;
  c.health_check.healthy_threshold = healthy_threshold;
  c.health_check.unhealthy_threshold = unhealthy_threshold;
  return c;
}

struct GroupSpec {
  config::TargetGroupConfig config;
  std::vector<std::uint16_t> ports;
};

// What a snapshot build hands the checker: groups of loopback targets whose observed state
// comes from `states` (so the same table gives the same identities across "reloads").
std::deque<upstream::TargetGroup> build(upstream::StateTable& states,
                                        const std::vector<GroupSpec>& specs) {
  std::deque<upstream::TargetGroup> groups;
  for (const GroupSpec& spec : specs) {
    std::vector<upstream::Target> targets;
    for (std::uint16_t port : spec.ports) {
      upstream::Target t;
      t.address = HostPort{"127.0.0.1", port};
      t.authority = t.address.to_string();
      t.id = spec.config.name + "/" + t.authority;
      t.endpoints = {tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), port)};
      t.state = states.target(t.id, spec.config.health_check.enabled);
      targets.push_back(std::move(t));
    }
    groups.emplace_back(spec.config, std::move(targets), states.group(spec.config.name),
                        metrics::TargetGroupMetrics{});
  }
  return groups;
}

std::shared_ptr<upstream::TargetState> state_of(const std::deque<upstream::TargetGroup>& groups,
                                                std::size_t group, std::size_t target) {
  return groups[group].targets()[target].state;
}

// The value of one sample in the Prometheus text exposition, if present.
std::optional<double> sample(
    const std::string& text, std::string_view name,
    std::initializer_list<std::pair<std::string_view, std::string_view>> labels) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(std::string(name) + "{")) continue;
    bool all = std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
      std::string pair = std::string(label.first) + "=\"" + std::string(label.second) + "\"";
      return line.find(pair) != std::string::npos;
    });
    if (all) return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return std::nullopt;
}

HealthChecker::Options fast_options() {
  HealthChecker::Options o;
  o.poll_interval = 50ms;
  o.early_probe_spacing = 50ms;
  return o;
}

TEST_CASE(
    "HealthChecker: a target turns unhealthy after the threshold and back after the "
    "healthy threshold") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget target(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto groups = build(states, {{group_config("app", 200ms, 100ms, 2, 2), {target.port()}}});
  auto state = state_of(groups, 0, 0);
  CHECK(state->health() == TargetHealth::initial);
  checker.update(groups);

  // One passing check makes an initial target healthy.
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::healthy; }, 1000ms));
  CHECK(target.requests() == 1);
  CHECK(state->last_check_status() == 200);
  CHECK(state->last_check_latency() > 0us);
  CHECK(state->last_check_unix_ms() > 0);

  target.set_status(503);
  std::size_t before = target.requests();
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::unhealthy; }, 2000ms));
  CHECK(state->reason() == HealthReason::response_code_mismatch);
  CHECK(state->last_check_status() == 503);
  // Two failing checks, plus at most one that was in flight when the status changed.
  CHECK(target.requests() - before >= 2);
  CHECK(target.requests() - before <= 3);

  std::string text = registry.serialize();
  const std::string authority = "127.0.0.1:" + std::to_string(target.port());
  CHECK(sample(text, "albatross_target_state",
               {{"target_group", "app"}, {"target", authority}, {"state", "unhealthy"}}) == 1);
  CHECK(sample(text, "albatross_target_state",
               {{"target_group", "app"}, {"target", authority}, {"state", "healthy"}}) == 0);
  CHECK(sample(text, "albatross_health_checks_total",
               {{"target_group", "app"}, {"target", authority}, {"result", "code_mismatch"}}) >= 2);
  CHECK(sample(text, "albatross_health_checks_total",
               {{"target_group", "app"}, {"target", authority}, {"result", "pass"}}) >= 1);
  CHECK(sample(text, "albatross_healthy_targets", {{"target_group", "app"}}) == 0);
  CHECK(sample(text, "albatross_unhealthy_targets", {{"target_group", "app"}}) == 1);
  CHECK(sample(text, "albatross_health_check_duration_seconds_count", {{"target_group", "app"}}) >=
        3);

  target.set_status(200);
  before = target.requests();
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::healthy; }, 2000ms));
  CHECK(state->reason() == HealthReason::none);
  CHECK(target.requests() - before >= 2);
  CHECK(target.requests() - before <= 3);
  text = registry.serialize();
  CHECK(sample(text, "albatross_healthy_targets", {{"target_group", "app"}}) == 1);
  CHECK(sample(text, "albatross_unhealthy_targets", {{"target_group", "app"}}) == 0);
  // Every check went over its own connection, which the checker closed.
  CHECK(run_until(
      io, [&] { return target.client_closes() == target.requests(); }, 1000ms));
}

TEST_CASE("HealthChecker: timeouts and refused connections give their reasons") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget hanging(io);
  hanging.set_mode(FakeTarget::Mode::hang);
  std::uint16_t refused = testing::refused_port(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto groups =
      build(states, {{group_config("app", 200ms, 100ms, 2, 2), {hanging.port(), refused}}});
  checker.update(groups);
  auto hang_state = state_of(groups, 0, 0);
  auto refused_state = state_of(groups, 0, 1);
  REQUIRE(run_until(
      io,
      [&] {
        return hang_state->health() == TargetHealth::unhealthy &&
               refused_state->health() == TargetHealth::unhealthy;
      },
      2000ms));
  CHECK(hang_state->reason() == HealthReason::timeout);
  CHECK(hang_state->last_check_status() == 0);
  CHECK(refused_state->reason() == HealthReason::failed_health_checks);
  CHECK(refused_state->last_check_status() == 0);
}

TEST_CASE("HealthChecker: new targets are probed at once; the others keep their rhythm") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget a(io);
  FakeTarget b(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto config = group_config("app", 10s, 1s, 2, 2);

  Clock::time_point start = Clock::now();
  checker.update(build(states, {{config, {a.port()}}}));
  REQUIRE(run_until(
      io, [&] { return a.requests() == 1; }, 1000ms));
  CHECK(a.request_times()[0] - start < 300ms);

  start = Clock::now();
  checker.update(build(states, {{config, {a.port(), b.port()}}}));
  REQUIRE(run_until(
      io, [&] { return b.requests() == 1; }, 1000ms));
  CHECK(b.request_times()[0] - start < 300ms);
  CHECK(a.requests() == 1);  // the survivor is not probed again by the update
  CHECK(checker.checks_started() == 2);
}

TEST_CASE("HealthChecker: the checks of a group are spread over the interval") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  constexpr std::size_t kTargets = 4;
  constexpr auto kInterval = 400ms;
  std::vector<std::unique_ptr<FakeTarget>> targets;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < kTargets; ++i) {
    targets.push_back(std::make_unique<FakeTarget>(io));
    ports.push_back(targets.back()->port());
  }
  HealthChecker checker(io.get_executor(), catalog);
  Clock::time_point start = Clock::now();
  checker.update(build(states, {{group_config("app", kInterval, 100ms, 2, 2), ports}}));
  REQUIRE(run_until(
      io,
      [&] {
        return std::all_of(targets.begin(), targets.end(),
                           [](const auto& t) { return t->requests() >= 2; });
      },
      2500ms));
  std::vector<Clock::time_point> second;
  for (const auto& t : targets) {
    // The first check at once, the second between half and one and a half intervals later.
    CHECK(t->request_times()[0] - start < 150ms);
    auto gap = t->request_times()[1] - t->request_times()[0];
    CHECK(gap >= kInterval / 2 - 50ms);
    CHECK(gap < kInterval * 3 / 2 + 100ms);
    second.push_back(t->request_times()[1]);
  }
  // Evenly spread, 4 targets cover 3/4 of the interval (300 ms); all at once would be ~0.
  auto [first, last] = std::minmax_element(second.begin(), second.end());
  CHECK(*last - *first >= 200ms);
  std::sort(second.begin(), second.end());
  for (std::size_t i = 1; i < second.size(); ++i) {
    CHECK(second[i] - second[i - 1] >= 40ms);  // ideally 100 ms apart
  }
}

TEST_CASE("HealthChecker: a reported connect failure brings the next check forward") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget target(io);
  HealthChecker checker(io.get_executor(), catalog, fast_options());
  auto groups = build(states, {{group_config("app", 10s, 500ms, 2, 2), {target.port()}}});
  auto state = state_of(groups, 0, 0);
  checker.update(groups);
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::healthy; }, 1000ms));
  REQUIRE(target.requests() == 1);

  // A worker could not connect: the checker probes at once instead of in ~10 s.
  Clock::time_point reported = Clock::now();
  state->report_connect_failure();
  REQUIRE(run_until(
      io, [&] { return target.requests() == 2; }, 1500ms));
  CHECK(target.request_times()[1] - reported < 500ms);
  CHECK(!state->take_probe_request());  // the checker consumed the request

  // The target really is failing: further reports drive it out within two probes.
  target.set_status(500);
  state->report_connect_failure();
  REQUIRE(run_until(
      io, [&] { return target.requests() == 3; }, 1500ms));
  state->report_connect_failure();
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::unhealthy; }, 1500ms));
  CHECK(target.requests() == 4);
  CHECK(Clock::now() - reported < 2500ms);
}

TEST_CASE("HealthChecker: an unhealthy target is not probed early") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  std::uint16_t refused = testing::refused_port(io);
  HealthChecker checker(io.get_executor(), catalog, fast_options());
  auto groups = build(states, {{group_config("app", 10s, 500ms, 2, 1), {refused}}});
  auto state = state_of(groups, 0, 0);
  checker.update(groups);
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::unhealthy; }, 1000ms));
  REQUIRE(checker.checks_started() == 1);
  state->report_connect_failure();
  // Several poll rounds (50 ms each) pass without a check.
  CHECK_FALSE(run_until(
      io, [&] { return checker.checks_started() > 1; }, 400ms));
}

TEST_CASE(
    "HealthChecker: an unchanged target keeps its state across update(); a new identity "
    "starts over") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget target(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto groups = build(states, {{group_config("app", 10s, 500ms, 3, 2), {target.port()}}});
  auto state = state_of(groups, 0, 0);
  checker.update(groups);
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::healthy; }, 1000ms));

  // A reload: a new snapshot, other thresholds and path, the same identity.
  auto config = group_config("app", 10s, 500ms, 5, 3);
  config.health_check.path = "/other";
  auto reloaded = build(states, {{config, {target.port()}}});
  REQUIRE(state_of(reloaded, 0, 0) == state);
  groups.clear();  // the old snapshot goes away; the checker holds nothing of it
  checker.update(reloaded);
  CHECK(state->health() == TargetHealth::healthy);
  CHECK_FALSE(run_until(
      io, [&] { return target.requests() > 1; }, 300ms));
  CHECK(state->health() == TargetHealth::healthy);

  // The new path is used from the next check on.
  state->report_connect_failure();
  REQUIRE(run_until(
      io, [&] { return target.requests() == 2; }, 2000ms));
  CHECK(target.request_heads()[1].starts_with("GET /other HTTP/1.1\r\n"));

  // Same id, new observed state (forgotten, then declared again): initial, probed at once.
  upstream::StateTable fresh;
  auto renewed = build(fresh, {{config, {target.port()}}});
  auto new_state = state_of(renewed, 0, 0);
  REQUIRE(new_state != state);
  CHECK(new_state->health() == TargetHealth::initial);
  checker.update(renewed);
  REQUIRE(run_until(
      io, [&] { return new_state->health() == TargetHealth::healthy; }, 1000ms));
  CHECK(target.requests() == 3);
}

TEST_CASE("HealthChecker: removed targets and groups stop being checked; their metrics go") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget a(io);
  FakeTarget b(io);
  FakeTarget c(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto app = group_config("app", 200ms, 100ms, 2, 2);
  auto other = group_config("other", 200ms, 100ms, 2, 2);
  checker.update(build(states, {{app, {a.port(), b.port()}}, {other, {c.port()}}}));
  REQUIRE(run_until(
      io, [&] { return a.requests() >= 2 && b.requests() >= 2; }, 2000ms));
  const std::string b_authority = "127.0.0.1:" + std::to_string(b.port());
  CHECK(sample(registry.serialize(), "albatross_target_state",
               {{"target", b_authority}, {"state", "healthy"}}) == 1);

  checker.update(build(states, {{app, {a.port()}}}));
  std::size_t b_before = b.requests();
  std::size_t c_before = c.requests();
  std::size_t a_before = a.requests();
  // A check of b already in flight may still land; nothing after it.
  REQUIRE(run_until(
      io, [&] { return a.requests() >= a_before + 3; }, 2000ms));
  CHECK(b.requests() <= b_before + 1);
  CHECK(c.requests() <= c_before + 1);
  std::string text = registry.serialize();
  CHECK_FALSE(sample(text, "albatross_target_state", {{"target", b_authority}}));
  CHECK_FALSE(sample(text, "albatross_health_checks_total", {{"target", b_authority}}));
  CHECK_FALSE(sample(text, "albatross_healthy_targets", {{"target_group", "other"}}));
  CHECK(sample(text, "albatross_healthy_targets", {{"target_group", "app"}}) == 1);
}

TEST_CASE("HealthChecker: groups with health checks disabled are shown unavailable, not probed") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget target(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto config = group_config("app", 100ms, 50ms, 2, 2);
  config.health_check.enabled = false;
  auto groups = build(states, {{config, {target.port()}}});
  auto state = state_of(groups, 0, 0);
  checker.update(groups);
  CHECK_FALSE(run_until(
      io, [&] { return target.requests() > 0; }, 300ms));
  CHECK(state->health() == TargetHealth::unavailable);
  CHECK(state->reason() == HealthReason::health_check_disabled);
  CHECK(sample(registry.serialize(), "albatross_target_state", {{"state", "unavailable"}}) == 1);

  // Enabled by a reload: checked from scratch, at once.
  config.health_check.enabled = true;
  groups = build(states, {{config, {target.port()}}});
  // Building the snapshot alone changes nothing (a build may still fail); update() applies it.
  CHECK(state->health() == TargetHealth::unavailable);
  checker.update(groups);
  CHECK(state->health() == TargetHealth::initial);
  CHECK(state->reason() == HealthReason::initial_health_checking);
  REQUIRE(run_until(
      io, [&] { return state->health() == TargetHealth::healthy; }, 1000ms));
}

TEST_CASE("HealthChecker: the health-check port and its Host header") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget health_port(io);
  std::uint16_t traffic_port = testing::refused_port(io);
  HealthChecker checker(io.get_executor(), catalog);
  auto config = group_config("app", 10s, 500ms, 2, 2);
  config.health_check.port = health_port.port();
  auto groups = build(states, {{config, {traffic_port}}});
  checker.update(groups);
  REQUIRE(run_until(
      io, [&] { return state_of(groups, 0, 0)->health() == TargetHealth::healthy; }, 1000ms));
  REQUIRE(health_port.requests() == 1);
  CHECK(health_port.request_heads()[0].find(
            "\r\nHost: 127.0.0.1:" + std::to_string(health_port.port()) + "\r\n") !=
        std::string::npos);
}

TEST_CASE("HealthChecker: slow start only with an established healthy peer") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget a(io);
  FakeTarget b(io);
  FakeTarget c(io);
  HealthChecker checker(io.get_executor(), catalog, fast_options());
  auto config = group_config("app", 10s, 500ms, 2, 2);
  config.slow_start = 30s;
  // A weight far below 1 over an hour-long ramp: the target is ramping (started recently).
  auto ramping = [](const std::shared_ptr<upstream::TargetState>& s) {
    return s->slow_start_weight(Clock::now(), std::chrono::hours(1)) < 1.0;
  };

  // Registered together into an empty group: nobody ramps.
  auto groups = build(states, {{config, {a.port(), b.port()}}});
  auto sa = state_of(groups, 0, 0);
  auto sb = state_of(groups, 0, 1);
  checker.update(groups);
  REQUIRE(run_until(
      io,
      [&] {
        return sa->health() == TargetHealth::healthy && sb->health() == TargetHealth::healthy;
      },
      1000ms));
  CHECK_FALSE(ramping(sa));
  CHECK_FALSE(ramping(sb));

  // Added next to healthy targets: ramps.
  groups = build(states, {{config, {a.port(), b.port(), c.port()}}});
  auto sc = state_of(groups, 0, 2);
  checker.update(groups);
  REQUIRE(run_until(
      io, [&] { return sc->health() == TargetHealth::healthy; }, 1000ms));
  CHECK(ramping(sc));
  CHECK(sc->slow_start_weight(Clock::now(), config.slow_start) < 1.0);

  // Turning unhealthy ends the ramp.
  c.set_status(503);
  sc->report_connect_failure();
  REQUIRE(run_until(
      io, [&] { return c.requests() == 2; }, 1000ms));
  sc->report_connect_failure();
  REQUIRE(run_until(
      io, [&] { return sc->health() == TargetHealth::unhealthy; }, 1000ms));
  CHECK_FALSE(ramping(sc));
}

TEST_CASE("HealthChecker: a recovering target ramps; the ramp ends after slow_start") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget a(io);
  FakeTarget b(io);
  HealthChecker checker(io.get_executor(), catalog, fast_options());
  auto config = group_config("app", 150ms, 100ms, 1, 1);
  config.slow_start = 300ms;
  auto ramping = [](const std::shared_ptr<upstream::TargetState>& s) {
    return s->slow_start_weight(Clock::now(), std::chrono::hours(1)) < 1.0;
  };
  b.set_status(503);
  auto groups = build(states, {{config, {a.port(), b.port()}}});
  auto sa = state_of(groups, 0, 0);
  auto sb = state_of(groups, 0, 1);
  checker.update(groups);
  REQUIRE(run_until(
      io, [&] { return sb->health() == TargetHealth::unhealthy; }, 1000ms));
  REQUIRE(sa->health() == TargetHealth::healthy);
  CHECK_FALSE(ramping(sa));

  b.set_status(200);
  REQUIRE(run_until(
      io, [&] { return sb->health() == TargetHealth::healthy; }, 1000ms));
  CHECK(ramping(sb));
  Clock::time_point healthy_at = Clock::now();
  REQUIRE(run_until(
      io, [&] { return !ramping(sb); }, 1500ms));
  CHECK(Clock::now() - healthy_at >= 250ms);
  CHECK(sb->health() == TargetHealth::healthy);
}

TEST_CASE("HealthChecker: stop() ends the checks") {
  net::io_context io;
  metrics::Registry registry(1);
  metrics::Catalog catalog(registry);
  upstream::StateTable states;
  FakeTarget target(io);
  auto checker = std::make_unique<HealthChecker>(io.get_executor(), catalog);
  auto groups = build(states, {{group_config("app", 100ms, 50ms, 2, 2), {target.port()}}});
  checker->update(groups);
  REQUIRE(run_until(
      io, [&] { return target.requests() >= 2; }, 1000ms));
  checker->stop();
  std::size_t stopped_at = target.requests();
  CHECK_FALSE(run_until(
      io, [&] { return target.requests() > stopped_at + 1; }, 400ms));
  checker->update(groups);  // ignored after stop()
  checker.reset();          // destroyed while the io_context still runs
  CHECK_FALSE(run_until(
      io, [&] { return target.requests() > stopped_at + 1; }, 200ms));
}

}  // namespace
}  // namespace albatross::health
