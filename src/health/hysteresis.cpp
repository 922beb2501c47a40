#include "albatross/health/hysteresis.hpp"

#include <algorithm>

namespace albatross::health {
namespace {

using upstream::HealthReason;
using upstream::TargetHealth;

// Runs saturate here: far above any threshold (ALB allows 2..10), never overflowing.
constexpr int kMaxRun = 1000;

Hysteresis::Thresholds sanitize(Hysteresis::Thresholds t) {
  return {std::max(1, t.healthy), std::max(1, t.unhealthy)};
}

}  // namespace

Hysteresis::Hysteresis(Thresholds thresholds, TargetHealth start, HealthReason reason)
    : thresholds_(sanitize(thresholds)), state_(start), reason_(reason) {
  switch (start) {
    case TargetHealth::healthy:
      reason_ = HealthReason::none;
      break;
    case TargetHealth::unhealthy:
      if (reason_ == HealthReason::none) reason_ = HealthReason::failed_health_checks;
      break;
    default:
      state_ = TargetHealth::initial;
      reason_ = HealthReason::initial_health_checking;
      break;
  }
}

void Hysteresis::set_thresholds(Thresholds thresholds) {
  thresholds_ = sanitize(thresholds);
}

Transition Hysteresis::observe(CheckResult result) {
  TargetHealth previous = state_;
  if (result == CheckResult::pass) {
    failures_ = 0;
    passes_ = std::min(passes_ + 1, kMaxRun);
    // A new target needs one passing check (§2.1); a failed one needs the full run.
    if (state_ == TargetHealth::initial ||
        (state_ == TargetHealth::unhealthy && passes_ >= thresholds_.healthy)) {
      state_ = TargetHealth::healthy;
      reason_ = HealthReason::none;
    }
  } else {
    passes_ = 0;
    failures_ = std::min(failures_ + 1, kMaxRun);
    HealthReason why = failure_reason(result);
    if (state_ == TargetHealth::unhealthy) {
      reason_ = why;  // still unhealthy; show why the latest check failed
    } else if (failures_ >= thresholds_.unhealthy) {
      state_ = TargetHealth::unhealthy;
      reason_ = why;
    }
  }
  return {state_, reason_, previous, state_ != previous};
}

}  // namespace albatross::health
