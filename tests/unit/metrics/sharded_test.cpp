#include "albatross/metrics/sharded.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

namespace albatross::metrics {
namespace {

// Runs `body` on `n` threads, thread i with shard i + 1 (the workers' numbering), and joins.
template <typename F>
void on_worker_threads(unsigned n, F body) {
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < n; ++i) {
    threads.emplace_back([i, &body] {
      set_thread_shard(i + 1);
      CHECK(thread_shard() == i + 1);
      body(i);
    });
  }
  for (std::thread& t : threads)
    t.join();
}

TEST_CASE("thread shards are per thread; the default is 0") {
  CHECK(thread_shard() == 0);
  on_worker_threads(2, [](unsigned) {});
  CHECK(thread_shard() == 0);  // other threads' settings do not leak here
}

TEST_CASE("Counter sums increments from several threads") {
  Counter c(5);
  constexpr std::uint64_t kPerThread = 100000;
  on_worker_threads(4, [&](unsigned i) {
    for (std::uint64_t n = 0; n < kPerThread; ++n)
      c.inc();
    c.inc(i);  // 0 + 1 + 2 + 3
  });
  c.inc(10);  // shard 0, this thread
  CHECK(c.value() == 4 * kPerThread + 6 + 10);
}

TEST_CASE("Counter folds shards beyond its size onto existing ones") {
  Counter c(2);
  on_worker_threads(5, [&](unsigned) { c.inc(3); });
  CHECK(c.value() == 15);
}

TEST_CASE("Gauge sums signed deltas across threads") {
  Gauge g(5);
  on_worker_threads(4, [&](unsigned i) {
    for (int n = 0; n < 1000; ++n) {
      g.inc();
      if (n % 2 == 0) g.dec();
    }
    g.add(-static_cast<std::int64_t>(i));
  });
  CHECK(g.value() == 4 * 500 - 6);
  // A gauge may go negative on one shard and positive on another: only the sum matters.
  Gauge split(3);
  split.inc();
  on_worker_threads(1, [&](unsigned) { split.dec(); });
  CHECK(split.value() == 0);
}

TEST_CASE("Gauge::set makes the sum equal the value, whatever other shards hold") {
  Gauge g(4);
  on_worker_threads(3, [&](unsigned i) { g.add(10 * (i + 1)); });
  CHECK(g.value() == 60);
  g.set(7);
  CHECK(g.value() == 7);
  g.set(-2);
  CHECK(g.value() == -2);
  g.inc();
  CHECK(g.value() == -1);
}

TEST_CASE("Histogram puts observations in cumulative buckets; bounds are inclusive") {
  const double bounds[] = {0.001, 0.01, 0.1};
  Histogram h(1, bounds);
  h.observe_micros(500);      // <= 1 ms
  h.observe_micros(1000);     // exactly 1 ms: the le="0.001" bucket
  h.observe_micros(1001);     // <= 10 ms
  h.observe_micros(100000);   // exactly 100 ms
  h.observe_micros(2000000);  // +Inf
  Histogram::Snapshot s = h.snapshot();
  CHECK(s.cumulative == std::vector<std::uint64_t>{2, 3, 4, 5});
  CHECK(s.count == 5);
  CHECK(s.sum_seconds == doctest::Approx(2.102501));
  CHECK(h.upper_bounds() == std::vector<double>{0.001, 0.01, 0.1});
}

TEST_CASE("Histogram sorts its bounds") {
  const double bounds[] = {1.0, 0.5, 2.0};
  Histogram h(1, bounds);
  CHECK(h.upper_bounds() == std::vector<double>{0.5, 1.0, 2.0});
  h.observe_micros(700000);
  CHECK(h.snapshot().cumulative == std::vector<std::uint64_t>{0, 1, 1, 1});
}

TEST_CASE("Histogram sums observations from several threads") {
  // 17 bounds: more cells than one cache line per shard.
  std::vector<double> bounds;
  for (int i = 1; i <= 17; ++i)
    bounds.push_back(0.001 * i);
  Histogram h(5, bounds);
  constexpr std::uint64_t kPerThread = 20000;
  on_worker_threads(4, [&](unsigned i) {
    for (std::uint64_t n = 0; n < kPerThread; ++n)
      h.observe_micros(1000 * (i + 1));  // thread i lands exactly on bound i
  });
  Histogram::Snapshot s = h.snapshot();
  REQUIRE(s.cumulative.size() == 18);
  CHECK(s.cumulative[0] == kPerThread);
  CHECK(s.cumulative[1] == 2 * kPerThread);
  CHECK(s.cumulative[2] == 3 * kPerThread);
  CHECK(s.cumulative[3] == 4 * kPerThread);
  CHECK(s.cumulative[17] == 4 * kPerThread);
  CHECK(s.count == 4 * kPerThread);
  CHECK(s.sum_seconds == doctest::Approx(kPerThread * (0.001 + 0.002 + 0.003 + 0.004)));
}

}  // namespace
}  // namespace albatross::metrics
