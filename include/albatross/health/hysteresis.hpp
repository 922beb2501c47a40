#pragma once

#include "albatross/health/check_result.hpp"
#include "albatross/upstream/target_state.hpp"

namespace albatross::health {

// What one observation did to a target's health.
struct Transition {
  upstream::TargetHealth state;
  upstream::HealthReason reason;
  upstream::TargetHealth previous;
  bool changed = false;  // state != previous (the reason alone may change without it)
};

// ALB's health decision for one target (alb-behaviour.md §2.1): `initial` turns healthy on its
// first pass and unhealthy after `unhealthy` consecutive failures; `healthy` turns unhealthy
// after `unhealthy` consecutive failures, carrying the reason of the last one; `unhealthy`
// turns healthy after `healthy` consecutive passes. A pass resets the failure run and a failure
// the pass run. Pure (no I/O, no clock). Thread: its owner's.
class Hysteresis {
 public:
  struct Thresholds {
    int healthy = 5;
    int unhealthy = 2;
  };

  // `start` may be initial, healthy or unhealthy (anything else counts as initial), so a
  // checker can resume from a state observed earlier.
  explicit Hysteresis(Thresholds thresholds,
                      upstream::TargetHealth start = upstream::TargetHealth::initial,
                      upstream::HealthReason reason = upstream::HealthReason::none);

  Transition observe(CheckResult result);

  // New thresholds (a reload) apply from the next observation; the runs so far count.
  void set_thresholds(Thresholds thresholds);
  Thresholds thresholds() const { return thresholds_; }

  upstream::TargetHealth state() const { return state_; }
  upstream::HealthReason reason() const { return reason_; }
  int consecutive_passes() const { return passes_; }
  int consecutive_failures() const { return failures_; }

 private:
  Thresholds thresholds_;
  upstream::TargetHealth state_;
  upstream::HealthReason reason_;
  int passes_ = 0;
  int failures_ = 0;
};

}  // namespace albatross::health
