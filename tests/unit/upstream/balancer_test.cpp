#include "albatross/upstream/balancer.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <thread>
#include <vector>

#include "test_targets.hpp"

namespace albatross::upstream {
namespace {

using testing::TestTargets;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kNoSlowStart{0};

std::vector<std::size_t> count_picks(const Balancer& balancer, const TestTargets& t,
                                     std::size_t picks, Clock::time_point now,
                                     milliseconds slow_start) {
  std::vector<const Target*> candidates = t.pointers();
  std::vector<std::size_t> counts(candidates.size(), 0);
  for (std::size_t i = 0; i < picks; ++i) {
    const Target* chosen = balancer.choose(candidates, now, slow_start);
    REQUIRE(chosen != nullptr);
    ++counts[t.index_of(chosen)];
  }
  return counts;
}

TEST_CASE("RoundRobinBalancer is exact: N picks over k targets give N/k +- 1") {
  TestTargets t(3);
  RoundRobinBalancer balancer(std::make_shared<GroupState>());
  for (std::size_t picks : {999u, 1000u, 1001u, 7u}) {
    CAPTURE(picks);
    std::vector<std::size_t> counts = count_picks(balancer, t, picks, Clock::now(), kNoSlowStart);
    std::size_t total = 0;
    for (std::size_t c : counts) {
      CHECK(c >= picks / 3);
      CHECK(c <= picks / 3 + 1);
      total += c;
    }
    CHECK(total == picks);
  }
}

TEST_CASE("RoundRobinBalancer visits targets in order") {
  TestTargets t(4);
  RoundRobinBalancer balancer(std::make_shared<GroupState>());
  std::vector<const Target*> candidates = t.pointers();
  const Target* first = balancer.choose(candidates, Clock::now(), kNoSlowStart);
  std::size_t start = t.index_of(first);
  for (std::size_t i = 1; i < 12; ++i) {
    CHECK(t.index_of(balancer.choose(candidates, Clock::now(), kNoSlowStart)) == (start + i) % 4);
  }
}

TEST_CASE("RoundRobinBalancer is exact across threads sharing one group state") {
  TestTargets t(3);
  auto state = std::make_shared<GroupState>();
  RoundRobinBalancer balancer(state);
  std::vector<const Target*> candidates = t.pointers();
  constexpr std::size_t kPerThread = 30001;
  std::array<std::vector<std::size_t>, 2> counts;
  std::vector<std::thread> threads;
  for (std::size_t th = 0; th < 2; ++th) {
    threads.emplace_back([&, th] {
      counts[th].assign(3, 0);
      for (std::size_t i = 0; i < kPerThread; ++i) {
        ++counts[th][t.index_of(balancer.choose(candidates, Clock::now(), kNoSlowStart))];
      }
    });
  }
  for (std::thread& th : threads)
    th.join();
  constexpr std::size_t kTotal = 2 * kPerThread;
  for (std::size_t i = 0; i < 3; ++i) {
    std::size_t c = counts[0][i] + counts[1][i];
    CAPTURE(i);
    CHECK(c >= kTotal / 3);
    CHECK(c <= kTotal / 3 + 1);
  }
  CHECK(state->next.load() == kTotal);
}

TEST_CASE("RoundRobinBalancer continues from the shared position after a new balancer") {
  TestTargets t(2);
  auto state = std::make_shared<GroupState>();
  std::vector<const Target*> candidates = t.pointers();
  RoundRobinBalancer before(state);
  const Target* last = before.choose(candidates, Clock::now(), kNoSlowStart);
  RoundRobinBalancer after(state);  // a reload builds a new balancer over the same state
  CHECK(after.choose(candidates, Clock::now(), kNoSlowStart) != last);
}

TEST_CASE("LeastOutstandingBalancer picks the target with the fewest in-flight exchanges") {
  TestTargets t(3);
  LeastOutstandingBalancer balancer(std::make_shared<GroupState>());
  std::vector<const Target*> candidates = t.pointers();
  t.targets[0].state->begin_exchange();
  t.targets[0].state->begin_exchange();
  t.targets[1].state->begin_exchange();
  for (int i = 0; i < 10; ++i) {
    CHECK(balancer.choose(candidates, Clock::now(), kNoSlowStart) == &t.targets[2]);
  }
  for (int i = 0; i < 3; ++i)
    t.targets[2].state->begin_exchange();
  for (int i = 0; i < 10; ++i) {
    CHECK(balancer.choose(candidates, Clock::now(), kNoSlowStart) == &t.targets[1]);
  }
  t.targets[0].state->end_exchange();
  t.targets[0].state->end_exchange();
  CHECK(balancer.choose(candidates, Clock::now(), kNoSlowStart) == &t.targets[0]);
}

TEST_CASE("LeastOutstandingBalancer rotates among ties") {
  TestTargets t(4);
  LeastOutstandingBalancer balancer(std::make_shared<GroupState>());
  std::vector<const Target*> candidates = t.pointers();
  t.targets[3].state->begin_exchange();  // out of the tie
  std::vector<std::size_t> counts = count_picks(balancer, t, 300, Clock::now(), kNoSlowStart);
  CHECK(counts[0] == 100);
  CHECK(counts[1] == 100);
  CHECK(counts[2] == 100);
  CHECK(counts[3] == 0);
}

// Share of picks the balancer gives each target, over `picks` picks.
std::vector<double> shares(const Balancer& balancer, const TestTargets& t, std::size_t picks,
                           Clock::time_point now, milliseconds slow_start) {
  std::vector<std::size_t> counts = count_picks(balancer, t, picks, now, slow_start);
  std::vector<double> out;
  for (std::size_t c : counts)
    out.push_back(static_cast<double>(c) / static_cast<double>(picks));
  return out;
}

TEST_CASE("RoundRobinBalancer weights a target in slow start by its ramp") {
  // A target at weight w among k-1 others at full weight gets w / (k - 1 + w) of the picks, and
  // the others share the rest evenly. 40000 picks: one standard deviation is below 0.0025.
  constexpr std::size_t kPicks = 40000;
  constexpr double kTolerance = 0.015;
  const milliseconds ramp = seconds(100);
  Clock::time_point now = Clock::now();
  struct Case {
    std::size_t k;
    double w;
  };
  for (Case c : {Case{2, 0.25}, Case{3, 0.5}, Case{4, 0.1}, Case{2, 0.75}}) {
    CAPTURE(c.k);
    CAPTURE(c.w);
    TestTargets t(c.k);
    RoundRobinBalancer balancer(std::make_shared<GroupState>());
    auto elapsed = std::chrono::duration_cast<Clock::duration>(ramp * c.w);
    t.targets[0].state->set_slow_start_begin(now - elapsed);
    REQUIRE(t.targets[0].state->slow_start_weight(now, ramp) == doctest::Approx(c.w));
    std::vector<double> s = shares(balancer, t, kPicks, now, ramp);
    double expected = c.w / (static_cast<double>(c.k) - 1 + c.w);
    CHECK(std::abs(s[0] - expected) < kTolerance);
    double other = (1 - expected) / static_cast<double>(c.k - 1);
    for (std::size_t i = 1; i < c.k; ++i) {
      CAPTURE(i);
      CHECK(std::abs(s[i] - other) < kTolerance);
    }
  }
}

TEST_CASE("RoundRobinBalancer: a finished ramp is plain round robin") {
  TestTargets t(3);
  RoundRobinBalancer balancer(std::make_shared<GroupState>());
  Clock::time_point now = Clock::now();
  t.targets[1].state->set_slow_start_begin(now - seconds(200));
  std::vector<std::size_t> counts = count_picks(balancer, t, 300, now, seconds(100));
  CHECK(counts == std::vector<std::size_t>{100, 100, 100});
}

TEST_CASE("RoundRobinBalancer: every candidate ramping still picks one, by weight") {
  constexpr std::size_t kPicks = 20000;
  TestTargets t(2);
  RoundRobinBalancer balancer(std::make_shared<GroupState>());
  Clock::time_point now = Clock::now();
  const milliseconds ramp = seconds(100);
  t.targets[0].state->set_slow_start_begin(now - seconds(10));  // w = 0.1
  t.targets[1].state->set_slow_start_begin(now - seconds(30));  // w = 0.3
  std::vector<double> s = shares(balancer, t, kPicks, now, ramp);
  CHECK(std::abs(s[0] - 0.25) < 0.02);
  CHECK(std::abs(s[1] - 0.75) < 0.02);
}

TEST_CASE("make_balancer follows the configured algorithm") {
  TestTargets t(2);
  auto state = std::make_shared<GroupState>();
  auto lor = make_balancer(config::Algorithm::least_outstanding_requests, state);
  auto rr = make_balancer(config::Algorithm::round_robin, state);
  CHECK(dynamic_cast<LeastOutstandingBalancer*>(lor.get()) != nullptr);
  CHECK(dynamic_cast<RoundRobinBalancer*>(rr.get()) != nullptr);
}

}  // namespace
}  // namespace albatross::upstream
