#include "albatross/health/hysteresis.hpp"

#include <doctest/doctest.h>

namespace albatross::health {
namespace {

using upstream::HealthReason;
using upstream::TargetHealth;
constexpr CheckResult kPass = CheckResult::pass;
constexpr CheckResult kMismatch = CheckResult::code_mismatch;
constexpr CheckResult kTimeout = CheckResult::timeout;
constexpr CheckResult kFailed = CheckResult::failed;

// A target driven to healthy (one pass from initial).
Hysteresis healthy(int healthy_threshold, int unhealthy_threshold) {
  Hysteresis h({healthy_threshold, unhealthy_threshold});
  REQUIRE(h.observe(kPass).state == TargetHealth::healthy);
  return h;
}

// A target driven to unhealthy through `unhealthy_threshold` failures from healthy.
Hysteresis unhealthy(int healthy_threshold, int unhealthy_threshold) {
  Hysteresis h = healthy(healthy_threshold, unhealthy_threshold);
  for (int i = 0; i < unhealthy_threshold; ++i)
    h.observe(kFailed);
  REQUIRE(h.state() == TargetHealth::unhealthy);
  return h;
}

TEST_CASE("Hysteresis: a new target is initial, checking") {
  Hysteresis h({5, 2});
  CHECK(h.state() == TargetHealth::initial);
  CHECK(h.reason() == HealthReason::initial_health_checking);
}

TEST_CASE("Hysteresis: initial -> healthy on the first pass, whatever the healthy threshold") {
  for (int threshold : {2, 5, 10}) {
    Hysteresis h({threshold, 2});
    Transition t = h.observe(kPass);
    CHECK(t.changed);
    CHECK(t.previous == TargetHealth::initial);
    CHECK(t.state == TargetHealth::healthy);
    CHECK(t.reason == HealthReason::none);
  }
}

TEST_CASE("Hysteresis: initial -> unhealthy after unhealthy_threshold failures") {
  Hysteresis h({5, 3});
  Transition t = h.observe(kTimeout);
  CHECK_FALSE(t.changed);
  CHECK(t.state == TargetHealth::initial);
  CHECK(t.reason == HealthReason::initial_health_checking);
  t = h.observe(kFailed);
  CHECK_FALSE(t.changed);
  CHECK(t.state == TargetHealth::initial);
  t = h.observe(kMismatch);
  CHECK(t.changed);
  CHECK(t.previous == TargetHealth::initial);
  CHECK(t.state == TargetHealth::unhealthy);
  CHECK(t.reason == HealthReason::response_code_mismatch);  // the last failure's reason
}

TEST_CASE("Hysteresis: a failing initial target still turns healthy on one pass") {
  Hysteresis h({5, 3});
  h.observe(kFailed);
  h.observe(kFailed);
  Transition t = h.observe(kPass);
  CHECK(t.changed);
  CHECK(t.state == TargetHealth::healthy);
}

TEST_CASE("Hysteresis: healthy -> unhealthy after N consecutive failures, with the last reason") {
  struct Case {
    CheckResult last;
    HealthReason reason;
  };
  for (Case c :
       {Case{kMismatch, HealthReason::response_code_mismatch},
        Case{kTimeout, HealthReason::timeout}, Case{kFailed, HealthReason::failed_health_checks}}) {
    Hysteresis h = healthy(5, 3);
    Transition t = h.observe(kTimeout);
    CHECK_FALSE(t.changed);
    CHECK(t.state == TargetHealth::healthy);
    CHECK(t.reason == HealthReason::none);
    t = h.observe(kFailed);
    CHECK_FALSE(t.changed);
    CHECK(h.consecutive_failures() == 2);
    t = h.observe(c.last);
    CHECK(t.changed);
    CHECK(t.previous == TargetHealth::healthy);
    CHECK(t.state == TargetHealth::unhealthy);
    CHECK(t.reason == c.reason);
  }
}

TEST_CASE("Hysteresis: unhealthy -> healthy after M consecutive passes") {
  Hysteresis h = unhealthy(3, 2);
  Transition t = h.observe(kPass);
  CHECK_FALSE(t.changed);
  CHECK(t.state == TargetHealth::unhealthy);
  CHECK(t.reason == HealthReason::failed_health_checks);  // still shows why it is out
  t = h.observe(kPass);
  CHECK_FALSE(t.changed);
  t = h.observe(kPass);
  CHECK(t.changed);
  CHECK(t.previous == TargetHealth::unhealthy);
  CHECK(t.state == TargetHealth::healthy);
  CHECK(t.reason == HealthReason::none);
}

TEST_CASE("Hysteresis: while unhealthy, the reason follows the latest failure") {
  Hysteresis h = unhealthy(3, 2);
  Transition t = h.observe(kTimeout);
  CHECK_FALSE(t.changed);
  CHECK(t.reason == HealthReason::timeout);
  t = h.observe(kMismatch);
  CHECK(t.reason == HealthReason::response_code_mismatch);
}

TEST_CASE("Hysteresis: alternation resets the runs, so a flapping target never flips") {
  SUBCASE("healthy target failing every other check stays healthy") {
    Hysteresis h = healthy(3, 2);
    for (int i = 0; i < 10; ++i) {
      CHECK_FALSE(h.observe(kFailed).changed);
      CHECK(h.consecutive_failures() == 1);
      CHECK_FALSE(h.observe(kPass).changed);
      CHECK(h.consecutive_failures() == 0);
    }
    CHECK(h.state() == TargetHealth::healthy);
  }
  SUBCASE("unhealthy target passing every other check stays unhealthy") {
    Hysteresis h = unhealthy(2, 2);
    for (int i = 0; i < 10; ++i) {
      CHECK_FALSE(h.observe(kPass).changed);
      CHECK(h.consecutive_passes() == 1);
      CHECK_FALSE(h.observe(kTimeout).changed);
      CHECK(h.consecutive_passes() == 0);
    }
    CHECK(h.state() == TargetHealth::unhealthy);
  }
  SUBCASE("initial target: a pass in between restarts the failure count") {
    Hysteresis h({5, 2});
    h.observe(kFailed);
    REQUIRE(h.observe(kPass).state == TargetHealth::healthy);
    CHECK_FALSE(h.observe(kFailed).changed);  // one failure since the pass
    CHECK(h.observe(kFailed).changed);
  }
}

TEST_CASE("Hysteresis: a threshold of 1 turns at once") {
  Hysteresis h = healthy(1, 1);
  CHECK(h.observe(kFailed).state == TargetHealth::unhealthy);
  CHECK(h.observe(kPass).state == TargetHealth::healthy);
}

TEST_CASE("Hysteresis: thresholds below 1 count as 1") {
  Hysteresis h({0, -3});
  CHECK(h.thresholds().healthy == 1);
  CHECK(h.thresholds().unhealthy == 1);
  h.observe(kPass);
  CHECK(h.observe(kFailed).state == TargetHealth::unhealthy);
}

TEST_CASE("Hysteresis: threshold changes (reload) apply from the next observation") {
  SUBCASE("a lower unhealthy threshold: the run so far counts") {
    Hysteresis h = healthy(5, 5);
    h.observe(kFailed);
    h.observe(kFailed);
    h.observe(kFailed);
    CHECK(h.state() == TargetHealth::healthy);
    h.set_thresholds({5, 2});
    CHECK(h.state() == TargetHealth::healthy);  // nothing happens without a check
    Transition t = h.observe(kTimeout);
    CHECK(t.changed);
    CHECK(t.state == TargetHealth::unhealthy);
    CHECK(t.reason == HealthReason::timeout);
  }
  SUBCASE("a higher healthy threshold lengthens the way back") {
    Hysteresis h = unhealthy(2, 2);
    h.observe(kPass);
    h.set_thresholds({4, 2});
    CHECK_FALSE(h.observe(kPass).changed);
    CHECK_FALSE(h.observe(kPass).changed);
    CHECK(h.observe(kPass).changed);  // the fourth pass in a row
    CHECK(h.state() == TargetHealth::healthy);
  }
  SUBCASE("a higher unhealthy threshold delays the fall") {
    Hysteresis h = healthy(5, 2);
    h.observe(kFailed);
    h.set_thresholds({5, 3});
    CHECK_FALSE(h.observe(kFailed).changed);
    CHECK(h.observe(kFailed).changed);
  }
}

TEST_CASE("Hysteresis: resuming from an observed state") {
  Hysteresis healthy_again({5, 2}, TargetHealth::healthy, HealthReason::none);
  CHECK(healthy_again.state() == TargetHealth::healthy);
  CHECK_FALSE(healthy_again.observe(kFailed).changed);
  CHECK(healthy_again.observe(kFailed).changed);

  Hysteresis unhealthy_again({2, 2}, TargetHealth::unhealthy, HealthReason::timeout);
  CHECK(unhealthy_again.reason() == HealthReason::timeout);
  CHECK_FALSE(unhealthy_again.observe(kPass).changed);  // needs the full run back
  CHECK(unhealthy_again.observe(kPass).changed);

  Hysteresis from_unavailable({5, 2}, TargetHealth::unavailable,
                              HealthReason::health_check_disabled);
  CHECK(from_unavailable.state() == TargetHealth::initial);
  CHECK(from_unavailable.reason() == HealthReason::initial_health_checking);
}

TEST_CASE("Hysteresis: runs saturate instead of overflowing") {
  Hysteresis h = healthy(5, 2);
  for (int i = 0; i < 5000; ++i)
    h.observe(kPass);
  CHECK(h.consecutive_passes() == 1000);
  CHECK(h.state() == TargetHealth::healthy);
}

TEST_CASE("check results: names and reasons") {
  CHECK(result_name(CheckResult::pass) == "pass");
  CHECK(result_name(CheckResult::code_mismatch) == "code_mismatch");
  CHECK(result_name(CheckResult::timeout) == "timeout");
  CHECK(result_name(CheckResult::failed) == "failed");
  CHECK(failure_reason(CheckResult::pass) == HealthReason::none);
  CHECK(reason_code(failure_reason(CheckResult::code_mismatch)) == "Target.ResponseCodeMismatch");
  CHECK(reason_code(failure_reason(CheckResult::timeout)) == "Target.Timeout");
  CHECK(reason_code(failure_reason(CheckResult::failed)) == "Target.FailedHealthChecks");
}

}  // namespace
}  // namespace albatross::health
