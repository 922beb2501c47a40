#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace albatross::metrics {

// Each thread that updates metrics writes to its own shard (workers 1..N, everything else 0),
// so concurrent updates never share a cache line; a scrape sums the shards.
void set_thread_shard(unsigned shard);
unsigned thread_shard();

// A monotonically increasing count. inc() is one uncontended relaxed atomic add. Any thread.
class Counter {
 public:
  explicit Counter(unsigned shards);
  void inc(std::uint64_t n = 1) {
    slots_[thread_shard() % shards_].value.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const;

 private:
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> value{0};
  };
  unsigned shards_;
  std::unique_ptr<Slot[]> slots_;
};

// A value that goes up and down (active connections): each shard holds a signed delta.
class Gauge {
 public:
  explicit Gauge(unsigned shards);
  void add(std::int64_t n) {
    slots_[thread_shard() % shards_].value.fetch_add(n, std::memory_order_relaxed);
  }
  void inc() { add(1); }
  void dec() { add(-1); }
  // Sets an absolute value; meant for single-writer gauges (the control thread).
  void set(std::int64_t value);
  std::int64_t value() const;

 private:
  struct alignas(64) Slot {
    std::atomic<std::int64_t> value{0};
  };
  unsigned shards_;
  std::unique_ptr<Slot[]> slots_;
};

// Cumulative-bucket histogram of seconds, stored as integer microseconds so observe() is a
// few relaxed adds on this thread's shard, with no lock (prometheus-cpp's Histogram takes one).
class Histogram {
 public:
  Histogram(unsigned shards, std::span<const double> upper_bounds);
  void observe_micros(std::uint64_t micros);
  const std::vector<double>& upper_bounds() const { return bounds_; }

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> bounds_micros_;
  unsigned shards_;
  std::size_t stride_;  // atomics per shard, padded to a cache line
  std::unique_ptr<std::atomic<std::uint64_t>[]> cells_;
};

}  // namespace albatross::metrics
