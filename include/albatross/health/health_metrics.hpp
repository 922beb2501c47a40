#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <string>

#include "albatross/health/check_result.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/upstream/target_state.hpp"

namespace albatross::health {

// Metric children of one target, resolved when a snapshot is applied.
struct TargetHealthMetrics {
  std::array<prometheus::Counter*, kCheckResultCount> checks{};  // by CheckResult
  std::array<prometheus::Gauge*, 6> state{};                     // one-hot, by TargetHealth
  int shown = -1;  // the TargetHealth whose gauge is 1 (-1: none yet)

  // Moves the one-hot state gauge to `health`.
  void show(upstream::TargetHealth health);
};

// Metric children of one target group.
struct GroupHealthMetrics {
  prometheus::Histogram* duration = nullptr;
  prometheus::Gauge* healthy = nullptr;
  prometheus::Gauge* unhealthy = nullptr;
};

// The health checker's children of the control-plane families metrics::Catalog declares
// (albatross_health_checks_total, _health_check_duration_seconds, albatross_target_state,
// albatross_healthy_targets, albatross_unhealthy_targets): resolved per target and group when a
// snapshot is applied, removed with them. Thread: the control thread (prometheus-cpp guards
// collection itself).
class HealthMetrics {
 public:
  explicit HealthMetrics(metrics::Catalog& catalog);

  TargetHealthMetrics resolve_target(const std::string& group, const std::string& target);
  GroupHealthMetrics resolve_group(const std::string& group);
  void remove(const TargetHealthMetrics& target);
  void remove(const GroupHealthMetrics& group);

 private:
  prometheus::Family<prometheus::Counter>& checks_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Gauge>& state_;
  prometheus::Family<prometheus::Gauge>& healthy_;
  prometheus::Family<prometheus::Gauge>& unhealthy_;
};

}  // namespace albatross::health
