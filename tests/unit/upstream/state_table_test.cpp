#include "albatross/upstream/state_table.hpp"

#include <doctest/doctest.h>

namespace albatross::upstream {
namespace {

using Ids = std::map<std::string, bool>;

TEST_CASE("StateTable gives a new target a fresh initial state, and the same state after") {
  StateTable table;
  auto a = table.target("g/a:1", true);
  REQUIRE(a != nullptr);
  CHECK(a->id() == "g/a:1");
  CHECK(a->health() == TargetHealth::initial);
  CHECK(table.target("g/a:1", true) == a);
  CHECK(table.target("g/b:1", true) != a);
  CHECK(table.targets().size() == 2);
}

TEST_CASE("StateTable: survivors of a reload keep their observed state") {
  StateTable table;
  auto a = table.target("g/a:1", true);
  auto b = table.target("g/b:1", true);
  a->set_health(TargetHealth::healthy, HealthReason::none);
  a->begin_exchange();
  table.retain_only(Ids{{"g/a:1", true}, {"g/b:1", true}});
  // The next snapshot declares a again.
  auto again = table.target("g/a:1", true);
  CHECK(again == a);
  CHECK(again->health() == TargetHealth::healthy);
  CHECK(again->outstanding() == 1);
  CHECK(table.removed().empty());
}

TEST_CASE("StateTable moves targets no longer declared to the removed set") {
  StateTable table;
  auto a = table.target("g/a:1", true);
  auto b = table.target("g/b:1", true);
  std::vector<std::shared_ptr<TargetState>> removed = table.retain_only(Ids{{"g/a:1", true}});
  REQUIRE(removed.size() == 1);
  CHECK(removed[0] == b);
  CHECK(table.targets().size() == 1);
  CHECK(table.targets().contains("g/a:1"));
  CHECK(table.removed().size() == 1);
  CHECK(table.removed().at("g/b:1") == b);
  // Removing again finds nothing new.
  CHECK(table.retain_only(Ids{{"g/a:1", true}}).empty());
  table.forget("g/b:1");
  CHECK(table.removed().empty());
}

TEST_CASE("StateTable resurrects a removed target with its state and its drain stopped") {
  StateTable table;
  auto b = table.target("g/b:1", true);
  b->set_health(TargetHealth::healthy, HealthReason::none);
  table.retain_only(Ids{});
  b->start_drain(1'700'000'000'000);
  auto back = table.target("g/b:1", true);
  CHECK(back == b);
  CHECK_FALSE(back->draining());
  CHECK(back->health() == TargetHealth::healthy);
  CHECK(table.removed().empty());
  // Once forgotten, the same id starts over.
  table.retain_only(Ids{});
  table.forget("g/b:1");
  auto fresh = table.target("g/b:1", true);
  CHECK(fresh != b);
  CHECK(fresh->health() == TargetHealth::initial);
}

TEST_CASE("StateTable: new states follow the health-check setting; existing ones are left alone") {
  StateTable table;
  CHECK(table.target("g/new-off:1", false)->health() == TargetHealth::unavailable);
  CHECK(table.target("g/new-on:1", true)->health() == TargetHealth::initial);
  auto a = table.target("g/a:1", true);
  a->set_health(TargetHealth::healthy, HealthReason::none);
  // A build that switches checks off (and may yet fail) does not touch the observed health:
  // the health checker applies the change once the snapshot is published.
  CHECK(table.target("g/a:1", false) == a);
  CHECK(a->health() == TargetHealth::healthy);
  CHECK(a->reason() == HealthReason::none);
  a->set_health(TargetHealth::unavailable, HealthReason::health_check_disabled);
  CHECK(table.target("g/a:1", true)->health() == TargetHealth::unavailable);
}

TEST_CASE("StateTable rollback forgets states a failed build created") {
  StateTable table;
  auto a = table.target("g/a:1", true);
  auto b = table.target("g/b:1", true);
  table.retain_only(Ids{{"g/a:1", true}, {"g/b:1", true}});
  // A build declaring a and c fails: c goes, a and b stay as they were.
  table.target("g/a:1", true);
  table.target("g/c:1", true);
  table.rollback(Ids{{"g/a:1", true}, {"g/b:1", true}});
  CHECK(table.targets().size() == 2);
  CHECK(table.targets().at("g/a:1") == a);
  CHECK(table.targets().at("g/b:1") == b);
  CHECK_FALSE(table.targets().contains("g/c:1"));
}

TEST_CASE("StateTable rollback returns a resurrected target to the removed set, still draining") {
  StateTable table;
  auto a = table.target("g/a:1", true);
  auto b = table.target("g/b:1", true);
  table.retain_only(Ids{{"g/a:1", true}});
  b->start_drain(1'700'000'000'000);
  // A build declaring b again fails.
  CHECK(table.target("g/b:1", true) == b);
  table.rollback(Ids{{"g/a:1", true}});
  CHECK_FALSE(table.targets().contains("g/b:1"));
  REQUIRE(table.removed().contains("g/b:1"));
  CHECK(table.removed().at("g/b:1") == b);
  CHECK(b->draining());
  CHECK(b->drain_deadline_unix_ms() == 1'700'000'000'000);
  // A later successful build declaring b resurrects it then.
  CHECK(table.target("g/b:1", true) == b);
  table.retain_only(Ids{{"g/a:1", true}, {"g/b:1", true}});
  CHECK_FALSE(b->draining());
  CHECK(table.removed().empty());
}

TEST_CASE("StateTable keeps one group state per name") {
  StateTable table;
  auto g = table.group("g");
  g->next.store(7);
  CHECK(table.group("g") == g);
  CHECK(table.group("g")->next.load() == 7);
  CHECK(table.group("h") != g);
}

}  // namespace
}  // namespace albatross::upstream
