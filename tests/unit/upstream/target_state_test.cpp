#include "albatross/upstream/target_state.hpp"

#include <doctest/doctest.h>

#include <set>

namespace albatross::upstream {
namespace {

using Clock = TargetState::SteadyClock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr TargetHealth kHealths[] = {TargetHealth::initial,   TargetHealth::healthy,
                                     TargetHealth::unhealthy, TargetHealth::unavailable,
                                     TargetHealth::draining,  TargetHealth::unused};
constexpr HealthReason kReasons[] = {HealthReason::none,
                                     HealthReason::initial_health_checking,
                                     HealthReason::response_code_mismatch,
                                     HealthReason::timeout,
                                     HealthReason::failed_health_checks,
                                     HealthReason::health_check_disabled,
                                     HealthReason::deregistration_in_progress,
                                     HealthReason::not_registered};

TEST_CASE("TargetState starts initial, or unavailable without health checks") {
  TargetState checked("g/a:1", true);
  CHECK(checked.id() == "g/a:1");
  CHECK(checked.health() == TargetHealth::initial);
  CHECK(checked.reason() == HealthReason::initial_health_checking);
  TargetState unchecked("g/a:1", false);
  CHECK(unchecked.health() == TargetHealth::unavailable);
  CHECK(unchecked.reason() == HealthReason::health_check_disabled);
  CHECK_FALSE(checked.draining());
  CHECK(checked.outstanding() == 0);
  CHECK(checked.last_check_status() == 0);
  CHECK(checked.last_check_latency().count() == -1);
}

TEST_CASE("TargetState packs health and reason without mixing them") {
  TargetState s("t", true);
  for (TargetHealth h : kHealths) {
    for (HealthReason r : kReasons) {
      s.set_health(h, r);
      CHECK(s.health() == h);
      CHECK(s.reason() == r);
    }
  }
}

TEST_CASE("TargetState: draining wins over health in what operators see") {
  TargetState s("t", true);
  s.set_health(TargetHealth::healthy, HealthReason::none);
  CHECK(s.display_state() == TargetHealth::healthy);
  s.start_drain(1'700'000'000'123);
  CHECK(s.draining());
  CHECK(s.drain_deadline_unix_ms() == 1'700'000'000'123);
  CHECK(s.display_state() == TargetHealth::draining);
  CHECK(s.display_reason() == HealthReason::deregistration_in_progress);
  CHECK(s.health() == TargetHealth::healthy);  // the checker's view is untouched
  s.stop_drain();
  CHECK_FALSE(s.draining());
  CHECK(s.display_state() == TargetHealth::healthy);
  CHECK(s.display_reason() == HealthReason::none);
  // A zero deadline ("drain ends now") is still a drain.
  s.start_drain(0);
  CHECK(s.draining());
}

TEST_CASE("TargetState counts in-flight exchanges") {
  TargetState s("t", true);
  s.begin_exchange();
  s.begin_exchange();
  s.end_exchange();
  CHECK(s.outstanding() == 1);
}

TEST_CASE("TargetState slow-start weight ramps linearly from a floor to 1") {
  TargetState s("t", true);
  Clock::time_point now = Clock::now();
  const milliseconds ramp = seconds(100);
  CHECK(s.slow_start_weight(now, ramp) == 1.0);  // not ramping
  s.set_slow_start_begin(now - seconds(25));
  CHECK(s.slow_start_weight(now, ramp) == doctest::Approx(0.25));
  CHECK(s.slow_start_weight(now + seconds(50), ramp) == doctest::Approx(0.75));
  CHECK(s.slow_start_weight(now + seconds(75), ramp) == 1.0);
  CHECK(s.slow_start_weight(now + seconds(500), ramp) == 1.0);
  CHECK(s.slow_start_weight(now, milliseconds(0)) == 1.0);  // slow start off in the group
  // Just started: a trickle, never nothing.
  CHECK(s.slow_start_weight(now - seconds(25), ramp) == doctest::Approx(0.01));
  CHECK(s.slow_start_weight(now - seconds(24), ramp) == doctest::Approx(0.01));
  s.clear_slow_start();
  CHECK(s.slow_start_weight(now, ramp) == 1.0);
  // A begin at the clock's epoch is still "ramping".
  s.set_slow_start_begin(Clock::time_point{});
  CHECK(s.slow_start_weight(Clock::time_point{} + seconds(10), ramp) ==
        doctest::Approx(0.1).epsilon(1e-6));
}

TEST_CASE("TargetState records checks and probe requests") {
  TargetState s("t", true);
  s.record_check(503, std::chrono::microseconds(1234), 1'700'000'000'000);
  CHECK(s.last_check_status() == 503);
  CHECK(s.last_check_latency() == std::chrono::microseconds(1234));
  CHECK(s.last_check_unix_ms() == 1'700'000'000'000);
  CHECK_FALSE(s.take_probe_request());
  s.report_connect_failure();
  s.report_connect_failure();
  CHECK(s.passive_failures() == 2);
  CHECK(s.take_probe_request());
  CHECK_FALSE(s.take_probe_request());
}

TEST_CASE("health and reason names follow ALB") {
  std::set<std::string_view> names;
  for (TargetHealth h : kHealths)
    names.insert(health_name(h));
  CHECK(names.size() == std::size(kHealths));
  CHECK(health_name(TargetHealth::healthy) == "healthy");
  CHECK(health_name(TargetHealth::draining) == "draining");
  CHECK(reason_code(HealthReason::none).empty());
  CHECK(reason_code(HealthReason::initial_health_checking) == "Elb.InitialHealthChecking");
  CHECK(reason_code(HealthReason::timeout) == "Target.Timeout");
  CHECK(reason_code(HealthReason::response_code_mismatch) == "Target.ResponseCodeMismatch");
  CHECK(reason_code(HealthReason::deregistration_in_progress) == "Target.DeregistrationInProgress");
}

}  // namespace
}  // namespace albatross::upstream
