#include "albatross/metrics/sharded.hpp"

#include <algorithm>

namespace albatross::metrics {
namespace {
thread_local unsigned t_shard = 0;
}

void set_thread_shard(unsigned shard) {
  t_shard = shard;
}
unsigned thread_shard() {
  return t_shard;
}

Counter::Counter(unsigned shards) : shards_(shards), slots_(new Slot[shards]) {}

std::uint64_t Counter::value() const {
  std::uint64_t sum = 0;
  for (unsigned i = 0; i < shards_; ++i)
    sum += slots_[i].value.load(std::memory_order_relaxed);
  return sum;
}

Gauge::Gauge(unsigned shards) : shards_(shards), slots_(new Slot[shards]) {}

void Gauge::set(std::int64_t value) {
  std::int64_t others = 0;
  for (unsigned i = 0; i < shards_; ++i) {
    if (i != thread_shard() % shards_) others += slots_[i].value.load(std::memory_order_relaxed);
  }
  slots_[thread_shard() % shards_].value.store(value - others, std::memory_order_relaxed);
}

std::int64_t Gauge::value() const {
  std::int64_t sum = 0;
  for (unsigned i = 0; i < shards_; ++i)
    sum += slots_[i].value.load(std::memory_order_relaxed);
  return sum;
}

Histogram::Histogram(unsigned shards, std::span<const double> upper_bounds)
    : bounds_(upper_bounds.begin(), upper_bounds.end()), shards_(shards) {
  std::sort(bounds_.begin(), bounds_.end());
  for (double b : bounds_)
    bounds_micros_.push_back(static_cast<std::uint64_t>(b * 1e6 + 0.5));
  // Per shard: one cell per bucket (+Inf included), the count and the sum, rounded up to
  // whole cache lines (8 cells of 8 bytes).
  std::size_t cells = bounds_.size() + 1 + 2;
  stride_ = (cells + 7) / 8 * 8;
  cells_.reset(new std::atomic<std::uint64_t>[stride_ * shards_]);
  for (std::size_t i = 0; i < stride_ * shards_; ++i)
    cells_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe_micros(std::uint64_t micros) {
  std::atomic<std::uint64_t>* shard = &cells_[(thread_shard() % shards_) * stride_];
  std::size_t bucket = std::lower_bound(bounds_micros_.begin(), bounds_micros_.end(), micros) -
                       bounds_micros_.begin();
  shard[bucket].fetch_add(1, std::memory_order_relaxed);
  shard[bounds_.size() + 1].fetch_add(1, std::memory_order_relaxed);
  shard[bounds_.size() + 2].fetch_add(micros, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.assign(bounds_.size() + 1, 0);
  std::uint64_t sum_micros = 0;
  for (unsigned shard = 0; shard < shards_; ++shard) {
    const std::atomic<std::uint64_t>* cells = &cells_[shard * stride_];
    for (std::size_t b = 0; b <= bounds_.size(); ++b) {
      s.cumulative[b] += cells[b].load(std::memory_order_relaxed);
    }
    s.count += cells[bounds_.size() + 1].load(std::memory_order_relaxed);
    sum_micros += cells[bounds_.size() + 2].load(std::memory_order_relaxed);
  }
  for (std::size_t b = 1; b < s.cumulative.size(); ++b)
    s.cumulative[b] += s.cumulative[b - 1];
  // Counts are read without a global snapshot: keep the exposition self-consistent.
  if (!s.cumulative.empty()) s.count = s.cumulative.back();
  s.sum_seconds = static_cast<double>(sum_micros) / 1e6;
  return s;
}

}  // namespace albatross::metrics
