#include "albatross/upstream/balancer.hpp"

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
  // Walk from our position; each target in slow start lets the request pass on with the
  // probability of its missing weight.
  for (std::size_t step = 0; step < n; ++step) {
    const Target* t = candidates[(position + step) % n];
    double weight = t->state->slow_start_weight(now, slow_start);
    if (weight >= 1.0 || uniform01() < weight) return t;
  }
  return candidates[position % n];
}

const Target* LeastOutstandingBalancer::choose(std::span<const Target* const> candidates,
                                               std::chrono::steady_clock::time_point,
                                               std::chrono::milliseconds) const {
  std::size_t n = candidates.size();
  std::uint64_t start = state_->next.fetch_add(1, std::memory_order_relaxed);
  const Target* best = nullptr;
  std::int64_t best_outstanding = 0;
  for (std::size_t step = 0; step < n; ++step) {
    const Target* t = candidates[(start + step) % n];
    std::int64_t outstanding = t->state->outstanding();
    if (best == nullptr || outstanding < best_outstanding) {
      best = t;
      best_outstanding = outstanding;
    }
  }
  return best;
}

std::unique_ptr<Balancer> make_balancer(config::Algorithm algorithm,
                                        std::shared_ptr<GroupState> state) {
  if (algorithm == config::Algorithm::least_outstanding_requests) {
    return std::make_unique<LeastOutstandingBalancer>(std::move(state));
  }
  return std::make_unique<RoundRobinBalancer>(std::move(state));
}

}  // namespace albatross::upstream
