#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "albatross/config/target_group_config.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/upstream/balancer.hpp"
#include "albatross/upstream/sticky_cookie.hpp"
#include "albatross/upstream/target.hpp"

namespace albatross::upstream {

// The outcome of choosing a target for one request.
struct PickResult {
  const Target* target = nullptr;  // nullptr: nothing to send to (503)
  bool fail_open = false;          // no target was routable; chosen among all of them
};

// A target group as one snapshot declares it: its settings, its targets and its balancer.
// Immutable; observed state is reached through each Target's state. Thread: any.
class TargetGroup {
 public:
  TargetGroup(config::TargetGroupConfig config, std::vector<Target> targets,
              std::shared_ptr<GroupState> state, metrics::TargetGroupMetrics metrics);

  const std::string& name() const { return config_.name; }
  const config::TargetGroupConfig& config() const { return config_; }
  std::span<const Target> targets() const { return targets_; }
  const metrics::TargetGroupMetrics& metrics() const { return metrics_; }
  const std::shared_ptr<GroupState>& state() const { return state_; }

  // Healthy (or health checks disabled) and not draining.
  static bool routable(const Target& target);

  // Chooses a target for a new request, skipping `exclude` (targets already tried). Among
  // routable targets when there are any; otherwise among all non-draining ones when the group
  // fails open (ALB's behaviour, alb-behaviour.md §2.4).
  PickResult pick(std::span<const Target* const> exclude,
                  std::chrono::steady_clock::time_point now) const;

  // The target a sticky cookie names, or nullptr.
  const Target* find_sticky(std::uint64_t sticky_id) const;
  bool any_routable() const;

  // Stickiness: the cookie pair when enabled (nullptr otherwise) and the id cookies carry.
  const StickyCookie* sticky_cookie() const { return sticky_cookie_ ? &*sticky_cookie_ : nullptr; }
  std::uint64_t sticky_group_id() const { return sticky_group_id_; }

 private:
  config::TargetGroupConfig config_;
  std::vector<Target> targets_;
  std::shared_ptr<GroupState> state_;
  std::unique_ptr<Balancer> balancer_;
  metrics::TargetGroupMetrics metrics_;
  std::optional<StickyCookie> sticky_cookie_;
  std::uint64_t sticky_group_id_ = 0;
};

}  // namespace albatross::upstream
