#include "albatross/upstream/target_group.hpp"

#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "test_targets.hpp"

namespace albatross::upstream {
namespace {

using testing::TestTargets;
using Clock = std::chrono::steady_clock;

// A group over copies of `t.targets` (copies share each target's state, as snapshots do).
TargetGroup make_group(TestTargets& t, bool fail_open = true,
                       config::Algorithm algorithm = config::Algorithm::round_robin) {
  config::TargetGroupConfig config{.name = std::string("g"), .algorithm = algorithm};
  config.fail_open = fail_open;
  for (const Target& target : t.targets)
    config.targets.push_back(target.address);
  metrics::TargetGroupMetrics m;
  m.resolve(t.catalog, "g");
  return TargetGroup(config, t.targets, std::make_shared<GroupState>(), m);
}

std::size_t port_index(const Target* target) {
  REQUIRE(target != nullptr);
  return target->address.port - 9001;
}

// The set of targets `pick` chooses over enough picks to visit every candidate several times.
std::multiset<std::size_t> picks(const TargetGroup& group, std::size_t n,
                                 std::vector<const Target*> exclude = {},
                                 bool expect_fail_open = false) {
  std::multiset<std::size_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    PickResult r = group.pick(exclude, Clock::now());
    CHECK(r.fail_open == expect_fail_open);
    out.insert(port_index(r.target));
  }
  return out;
}

TEST_CASE("TargetGroup::pick balances over healthy targets") {
  TestTargets t(3);
  t.set_all(TargetHealth::healthy);
  TargetGroup group = make_group(t);
  std::multiset<std::size_t> chosen = picks(group, 30);
  CHECK(chosen.count(0) == 10);
  CHECK(chosen.count(1) == 10);
  CHECK(chosen.count(2) == 10);
}

TEST_CASE("TargetGroup::pick skips initial and unhealthy targets while one is healthy") {
  TestTargets t(4);
  t.targets[0].state->set_health(TargetHealth::initial, HealthReason::initial_health_checking);
  t.targets[1].state->set_health(TargetHealth::unhealthy, HealthReason::timeout);
  t.targets[2].state->set_health(TargetHealth::healthy, HealthReason::none);
  t.targets[3].state->set_health(TargetHealth::unhealthy, HealthReason::response_code_mismatch);
  TargetGroup group = make_group(t);
  std::multiset<std::size_t> chosen = picks(group, 12);
  CHECK(chosen.count(2) == 12);
  CHECK_FALSE(TargetGroup::routable(group.targets()[0]));
  CHECK_FALSE(TargetGroup::routable(group.targets()[1]));
  CHECK(TargetGroup::routable(group.targets()[2]));
}

TEST_CASE("TargetGroup::pick skips draining targets") {
  TestTargets t(3);
  t.set_all(TargetHealth::healthy);
  t.targets[1].state->start_drain(1'700'000'000'000);
  TargetGroup group = make_group(t);
  std::multiset<std::size_t> chosen = picks(group, 20);
  CHECK(chosen.count(1) == 0);
  CHECK(chosen.count(0) == 10);
  CHECK(chosen.count(2) == 10);
  CHECK_FALSE(TargetGroup::routable(group.targets()[1]));
  // Once the drain is cancelled the target is back.
  t.targets[1].state->stop_drain();
  CHECK(picks(group, 30).count(1) == 10);
}

TEST_CASE("TargetGroup::pick fails open to every non-draining target when none is routable") {
  TestTargets t(4);
  t.targets[0].state->set_health(TargetHealth::unhealthy, HealthReason::timeout);
  t.targets[1].state->set_health(TargetHealth::initial, HealthReason::initial_health_checking);
  t.targets[2].state->set_health(TargetHealth::unhealthy, HealthReason::failed_health_checks);
  t.targets[3].state->set_health(TargetHealth::healthy, HealthReason::none);
  t.targets[3].state->start_drain(1);
  TargetGroup group = make_group(t);
  std::multiset<std::size_t> chosen = picks(group, 30, {}, /*expect_fail_open=*/true);
  CHECK(chosen.count(0) == 10);
  CHECK(chosen.count(1) == 10);
  CHECK(chosen.count(2) == 10);
  CHECK(chosen.count(3) == 0);
  // As soon as one target is healthy again, routing is normal.
  t.targets[2].state->set_health(TargetHealth::healthy, HealthReason::none);
  CHECK(picks(group, 5).count(2) == 5);
}

TEST_CASE("TargetGroup::pick without fail_open returns no target when none is routable") {
  TestTargets t(2);
  t.set_all(TargetHealth::unhealthy);
  TargetGroup group = make_group(t, /*fail_open=*/false);
  PickResult r = group.pick({}, Clock::now());
  CHECK(r.target == nullptr);
  CHECK_FALSE(r.fail_open);
}

TEST_CASE("TargetGroup::pick returns no target when every target drains") {
  TestTargets t(2);
  t.set_all(TargetHealth::unhealthy);
  for (Target& target : t.targets)
    target.state->start_drain(5);
  TargetGroup group = make_group(t);
  PickResult r = group.pick({}, Clock::now());
  CHECK(r.target == nullptr);
  CHECK_FALSE(r.fail_open);
  TestTargets none(0);
  TargetGroup empty = make_group(none);
  CHECK(empty.pick({}, Clock::now()).target == nullptr);
}

TEST_CASE("TargetGroup::pick honours exclusions") {
  TestTargets t(3);
  t.set_all(TargetHealth::healthy);
  TargetGroup group = make_group(t);
  std::vector<const Target*> exclude = {&group.targets()[0]};
  std::multiset<std::size_t> chosen = picks(group, 20, exclude);
  CHECK(chosen.count(0) == 0);
  CHECK(chosen.count(1) + chosen.count(2) == 20);
  // Every routable target already tried: nothing, and no fail-open to unhealthy ones.
  t.targets[2].state->set_health(TargetHealth::unhealthy, HealthReason::timeout);
  exclude = {&group.targets()[0], &group.targets()[1]};
  PickResult r = group.pick(exclude, Clock::now());
  CHECK(r.target == nullptr);
  CHECK_FALSE(r.fail_open);
}

TEST_CASE("TargetGroup::pick honours exclusions while failing open") {
  TestTargets t(3);
  t.set_all(TargetHealth::unhealthy);
  TargetGroup group = make_group(t);
  std::vector<const Target*> exclude = {&group.targets()[1]};
  std::multiset<std::size_t> chosen = picks(group, 20, exclude, /*expect_fail_open=*/true);
  CHECK(chosen.count(1) == 0);
  CHECK(chosen.count(0) == 10);
  CHECK(chosen.count(2) == 10);
  exclude = {&group.targets()[0], &group.targets()[1], &group.targets()[2]};
  CHECK(group.pick(exclude, Clock::now()).target == nullptr);
}

TEST_CASE("TargetGroup::pick treats targets without health checks as routable") {
  TestTargets t(2, /*health_checks=*/false);
  CHECK(t.targets[0].state->health() == TargetHealth::unavailable);
  TargetGroup group = make_group(t, /*fail_open=*/false);
  std::multiset<std::size_t> chosen = picks(group, 10);
  CHECK(chosen.count(0) == 5);
  CHECK(chosen.count(1) == 5);
}

TEST_CASE("TargetGroup::pick with least outstanding requests") {
  TestTargets t(3);
  t.set_all(TargetHealth::healthy);
  TargetGroup group = make_group(t, true, config::Algorithm::least_outstanding_requests);
  t.targets[0].state->begin_exchange();
  t.targets[2].state->begin_exchange();
  CHECK(port_index(group.pick({}, Clock::now()).target) == 1);
}

TEST_CASE("TargetGroup::find_sticky") {
  TestTargets t(3);
  TargetGroup group = make_group(t);
  const Target* found = group.find_sticky(1001);
  REQUIRE(found != nullptr);
  CHECK(port_index(found) == 1);
  CHECK(group.find_sticky(4242) == nullptr);
}

TEST_CASE("TargetGroup exposes its declaration") {
  TestTargets t(2);
  TargetGroup group = make_group(t);
  CHECK(group.name() == "g");
  CHECK(group.targets().size() == 2);
  CHECK(group.config().targets.size() == 2);
  CHECK(group.metrics().fail_open != nullptr);
  CHECK(group.state() != nullptr);
  // Copies share the observed state with the declaration they were made from.
  CHECK(group.targets()[0].state == t.targets[0].state);
}

}  // namespace
}  // namespace albatross::upstream
