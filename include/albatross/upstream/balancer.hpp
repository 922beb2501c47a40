#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include "albatross/config/target_group_config.hpp"
#include "albatross/upstream/target.hpp"

namespace albatross::upstream {

// Observed state of a target group that outlives snapshots: the round-robin position, so that
// a reload does not send the next requests all to the first target. Thread: any (atomic).
struct GroupState {
  std::atomic<std::uint64_t> next{0};
};

// Chooses one target among routable candidates. The seam between target groups and algorithms.
// Thread: any; implementations keep their mutable state in atomics.
class Balancer {
 public:
  virtual ~Balancer() = default;
  // `candidates` is non-empty. `slow_start` is the group's ramp duration (zero: none).
  virtual const Target* choose(std::span<const Target* const> candidates,
                               std::chrono::steady_clock::time_point now,
                               std::chrono::milliseconds slow_start) const = 0;
};

// Exact round robin across all worker threads: one shared atomic position, so N picks over k
// stable candidates give each N/k ± 1. Targets in slow start are weighted: one at weight w among
// full-weight ones gets w / (k - 1 + w) of the requests, so its share ramps linearly.
class RoundRobinBalancer final : public Balancer {
 public:
  explicit RoundRobinBalancer(std::shared_ptr<GroupState> state) : state_(std::move(state)) {}
  const Target* choose(std::span<const Target* const> candidates,
                       std::chrono::steady_clock::time_point now,
                       std::chrono::milliseconds slow_start) const override;

 private:
  std::shared_ptr<GroupState> state_;
};

// The candidate with the fewest in-flight exchanges; ties are broken round robin.
class LeastOutstandingBalancer final : public Balancer {
 public:
  explicit LeastOutstandingBalancer(std::shared_ptr<GroupState> state) : state_(std::move(state)) {}
  const Target* choose(std::span<const Target* const> candidates,
                       std::chrono::steady_clock::time_point now,
                       std::chrono::milliseconds slow_start) const override;

 private:
  std::shared_ptr<GroupState> state_;
};

std::unique_ptr<Balancer> make_balancer(config::Algorithm algorithm,
                                        std::shared_ptr<GroupState> state);

}  // namespace albatross::upstream
