#include "albatross/upstream/balancer.hpp"

#include <boost/container/small_vector.hpp>
#include <random>

namespace albatross::upstream {
namespace {

// A cheap per-thread generator for slow-start sampling (not for anything secret).
double uniform01() {
  thread_local std::uint64_t s = std::random_device{}() | 1;
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return static_cast<double>(s >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

const Target* RoundRobinBalancer::choose(std::span<const Target* const> candidates,
                                         std::chrono::steady_clock::time_point now,
                                         std::chrono::milliseconds slow_start) const {
  std::size_t n = candidates.size();
  std::uint64_t position = state_->next.fetch_add(1, std::memory_order_relaxed);
  if (slow_start.count() == 0) return candidates[position % n];
  double max_weight = 0;
  const Target* heaviest = candidates[0];
  for (const Target* t : candidates) {
    double weight = t->state->slow_start_weight(now, slow_start);
    if (weight > max_weight) {
      max_weight = weight;
      heaviest = t;
    }
  }
  // Weighted by rejection: each draw takes the next shared position and keeps its target with
  // probability weight / max_weight; a rejected draw takes a fresh position rather than passing
  // to the neighbour, so a target at weight w gets w / (sum of weights) of the requests and the
  // others share the rest evenly. Expected draws stay below n; the cap bounds the bad luck.
  const std::size_t max_draws = 4 * n + 8;
  for (std::size_t draw = 0; draw < max_draws; ++draw) {
    if (draw > 0) position = state_->next.fetch_add(1, std::memory_order_relaxed);
    const Target* t = candidates[position % n];
    double weight = t->state->slow_start_weight(now, slow_start);
    if (weight >= max_weight || uniform01() * max_weight < weight) return t;
  }
  return heaviest;
}

const Target* LeastOutstandingBalancer::choose(std::span<const Target* const> candidates,
                                               std::chrono::steady_clock::time_point,
                                               std::chrono::milliseconds) const {
  std::uint64_t position = state_->next.fetch_add(1, std::memory_order_relaxed);
  // Rotate over the tied candidates themselves: rotating the scan's starting point instead
  // would hand the turns of a busier target to whichever tied one follows it.
  boost::container::small_vector<const Target*, 16> ties;
  std::int64_t best = 0;
  for (const Target* t : candidates) {
    std::int64_t outstanding = t->state->outstanding();
    if (ties.empty() || outstanding < best) {
      ties.clear();
      best = outstanding;
    }
    if (outstanding == best) ties.push_back(t);
  }
  return ties[position % ties.size()];
}

std::unique_ptr<Balancer> make_balancer(config::Algorithm algorithm,
                                        std::shared_ptr<GroupState> state) {
  if (algorithm == config::Algorithm::least_outstanding_requests) {
    return std::make_unique<LeastOutstandingBalancer>(std::move(state));
  }
  return std::make_unique<RoundRobinBalancer>(std::move(state));
}

}  // namespace albatross::upstream
