#include "albatross/health/health_metrics.hpp"

namespace albatross::health {
namespace {

// 1 ms .. 120 s: a check's latency is bounded by its timeout, at most ALB's 120 s.
const prometheus::Histogram::BucketBoundaries kDurationBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

constexpr upstream::TargetHealth kStates[] = {
    upstream::TargetHealth::initial,   upstream::TargetHealth::healthy,
    upstream::TargetHealth::unhealthy, upstream::TargetHealth::unavailable,
    upstream::TargetHealth::draining,  upstream::TargetHealth::unused,
};
constexpr CheckResult kResults[] = {CheckResult::pass, CheckResult::code_mismatch,
                                    CheckResult::timeout, CheckResult::failed};

}  // namespace

void TargetHealthMetrics::show(upstream::TargetHealth health) {
  int index = static_cast<int>(health);
  if (index == shown || index < 0 || index >= static_cast<int>(state.size())) return;
  if (shown >= 0) state[static_cast<std::size_t>(shown)]->Set(0);
  state[static_cast<std::size_t>(index)]->Set(1);
  shown = index;
}

HealthMetrics::HealthMetrics(metrics::Catalog& catalog)
    : checks_(catalog.health_checks),
      duration_(catalog.health_check_duration),
      state_(catalog.target_state),
      healthy_(catalog.healthy_targets),
      unhealthy_(catalog.unhealthy_targets) {}

TargetHealthMetrics HealthMetrics::resolve_target(const std::string& group,
                                                  const std::string& target) {
  TargetHealthMetrics m;
  for (CheckResult r : kResults) {
    m.checks[static_cast<std::size_t>(r)] = &checks_.Add(
        {{"target_group", group}, {"target", target}, {"result", std::string(result_name(r))}});
  }
  for (upstream::TargetHealth h : kStates) {
    m.state[static_cast<std::size_t>(h)] = &state_.Add(
        {{"target_group", group}, {"target", target}, {"state", std::string(health_name(h))}});
  }
  // A child that already existed (same labels) keeps its value; learn which gauge is set.
  for (std::size_t i = 0; i < m.state.size(); ++i) {
    if (m.state[i]->Value() != 0) m.shown = static_cast<int>(i);
  }
  return m;
}

GroupHealthMetrics HealthMetrics::resolve_group(const std::string& group) {
  GroupHealthMetrics m;
  m.duration = &duration_.Add({{"target_group", group}}, kDurationBuckets);
  m.healthy = &healthy_.Add({{"target_group", group}});
  m.unhealthy = &unhealthy_.Add({{"target_group", group}});
  return m;
}

void HealthMetrics::remove(const TargetHealthMetrics& target) {
  for (prometheus::Counter* c : target.checks) {
    if (c) checks_.Remove(c);
  }
  for (prometheus::Gauge* g : target.state) {
    if (g) state_.Remove(g);
  }
}

void HealthMetrics::remove(const GroupHealthMetrics& group) {
  if (group.duration) duration_.Remove(group.duration);
  if (group.healthy) healthy_.Remove(group.healthy);
  if (group.unhealthy) unhealthy_.Remove(group.unhealthy);
}

}  // namespace albatross::health
