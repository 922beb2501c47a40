#include "albatross/upstream/target_group.hpp"

#include "albatross/upstream/sticky_id.hpp"

#include <algorithm>
#include <boost/container/small_vector.hpp>

namespace albatross::upstream {

TargetGroup::TargetGroup(config::TargetGroupConfig config, std::vector<Target> targets,
                         std::shared_ptr<GroupState> state, metrics::TargetGroupMetrics metrics)
    : config_(std::move(config)),
      targets_(std::move(targets)),
      state_(std::move(state)),
      balancer_(make_balancer(config_.algorithm, state_)),
      metrics_(metrics),
      sticky_group_id_(upstream::sticky_group_id(config_.name)) {
  if (config_.stickiness.enabled) sticky_cookie_.emplace(config_.stickiness.cookie_name);
}

bool TargetGroup::any_routable() const {
  return std::any_of(targets_.begin(), targets_.end(), routable);
}

bool TargetGroup::routable(const Target& target) {
  const TargetState& s = *target.state;
  if (s.draining()) return false;
  TargetHealth h = s.health();
  return h == TargetHealth::healthy || h == TargetHealth::unavailable;
}

PickResult TargetGroup::pick(std::span<const Target* const> exclude,
                             std::chrono::steady_clock::time_point now) const {
  auto excluded = [&](const Target& t) {
    return std::find(exclude.begin(), exclude.end(), &t) != exclude.end();
  };
  boost::container::small_vector<const Target*, 16> candidates;
  for (const Target& t : targets_) {
    if (routable(t) && !excluded(t)) candidates.push_back(&t);
  }
  bool fail_open = false;
  if (candidates.empty()) {
    bool any_routable = std::any_of(targets_.begin(), targets_.end(), routable);
    // Fail open only when the group has no routable target at all: a target merely excluded
    // by this request's retry is no reason to send to unhealthy ones.
    if (any_routable || !config_.fail_open) return {};
    for (const Target& t : targets_) {
      if (!t.state->draining() && !excluded(t)) candidates.push_back(&t);
    }
    if (candidates.empty()) return {};
    fail_open = true;
  }
  return {balancer_->choose(candidates, now, config_.slow_start), fail_open};
}

const Target* TargetGroup::find_sticky(std::uint64_t sticky_id) const {
  for (const Target& t : targets_) {
    if (t.sticky_id == sticky_id) return &t;
  }
  return nullptr;
}

}  // namespace albatross::upstream
