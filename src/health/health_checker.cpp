#include "albatross/health/health_checker.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <utility>

#include "albatross/common/coroutine.hpp"
#include "albatross/common/log.hpp"
#include "albatross/common/wall_clock.hpp"

namespace albatross::health {
namespace {

namespace net = boost::asio;
using upstream::HealthReason;
using upstream::TargetHealth;
using Clock = HealthChecker::Clock;

constexpr Clock::time_point kNever = Clock::time_point::max();

// Moves a periodic due time past `now`, keeping its phase.
void advance(Clock::time_point& due, Clock::time_point now, Duration interval) {
  if (due > now) return;
  auto step = std::chrono::duration_cast<Clock::duration>(std::max(interval, Duration(1)));
  due += step * ((now - due) / step + 1);
}

}  // namespace

// One checked target. Copies what a check needs, so no snapshot has to outlive it.
struct HealthChecker::Entry {
  std::string id;
  std::shared_ptr<upstream::TargetState> state;
  std::vector<net::ip::tcp::endpoint> endpoints;  // with the health-check port
  std::string host_header;
  std::shared_ptr<const tls::ClientContext> tls;  // HTTPS target groups: checks go over TLS
  std::string server_name;
  Hysteresis hysteresis;
  TargetHealthMetrics metrics;
  bool checked = true;           // its group has health checks enabled
  bool retired = false;          // no longer declared (or replaced): results are discarded
  bool in_flight = false;        // a check is running
  bool first = true;             // not checked yet: the next check fixes its phase
  bool early_wanted = false;     // a worker asked for an early probe
  bool rephase = false;          // update(): its group's interval changed
  std::size_t index = 0;         // position in its group, for spreading checks
  std::uint64_t generation = 0;  // the update() that registered it
  Clock::time_point next_due{};  // epoch: due at once
  Clock::time_point last_start{};
  Clock::time_point ramp_end = kNever;  // end of its slow start; kNever when not ramping

  Entry(std::string target_id, std::shared_ptr<upstream::TargetState> target_state,
        Hysteresis::Thresholds thresholds)
      : id(std::move(target_id)),
        state(std::move(target_state)),
        hysteresis(thresholds, state->health(), state->reason()) {}
};

// One target group as the checker sees it; kept by name across updates so that a check in
// flight always reaches the group's current targets and settings.
struct HealthChecker::Group {
  std::string name;
  config::HealthCheckConfig config;
  Duration slow_start{0};
  std::vector<std::shared_ptr<Entry>> targets;  // in declaration order
  GroupHealthMetrics metrics;
  double rotation = 0;  // in [0, 1): shifts the group's phases so groups do not align
  bool retired = false;

  // Start offset of a target's second check from its first, spread evenly over the group:
  // (0.5 + (index + rotation) / n) intervals, so later checks fall at distinct phases and the
  // mean gap stays one interval.
  Clock::duration phase_offset(std::size_t index) const {
    double n = static_cast<double>(std::max<std::size_t>(targets.size(), 1));
    double fraction = 0.5 + (static_cast<double>(index) + rotation) / n;
    return std::chrono::duration_cast<Clock::duration>(config.interval * fraction);
  }

  void refresh_metrics() {
    double healthy = 0;
    double unhealthy = 0;
    for (const auto& e : targets) {
      e->metrics.show(e->state->display_state());
      if (e->state->draining()) continue;
      if (e->state->health() == TargetHealth::healthy) ++healthy;
      if (e->state->health() == TargetHealth::unhealthy) ++unhealthy;
    }
    metrics.healthy->Set(healthy);
    metrics.unhealthy->Set(unhealthy);
  }
};

HealthChecker::HealthChecker(net::any_io_executor control, metrics::Catalog& catalog,
                             Options options)
    : executor_(std::move(control)),
      options_(options),
      metrics_(catalog),
      timer_(executor_),
      alive_(std::make_shared<bool>(true)),
      random_(std::random_device{}()) {}

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::stop() {
  if (stopped_) return;
  stopped_ = true;
  alive_.reset();
  timer_.cancel();
  for (auto& [name, group] : groups_)
    group->retired = true;
  for (auto& [id, entry] : entries_)
    entry->retired = true;
}

void HealthChecker::update(const std::deque<upstream::TargetGroup>& groups) {
  if (stopped_) return;
  ++generation_;
  const Clock::time_point now = Clock::now();
  std::map<std::string, std::shared_ptr<Group>> next_groups;
  std::map<std::string, std::shared_ptr<Entry>> next_entries;

  for (const upstream::TargetGroup& declared : groups) {
    const config::TargetGroupConfig& cfg = declared.config();
    if (next_groups.contains(cfg.name)) continue;  // validation rejects duplicates
    std::shared_ptr<Group>& group = next_groups[cfg.name];
    bool interval_changed = false;
    if (auto it = groups_.find(cfg.name); it != groups_.end()) {
      group = it->second;
      interval_changed = group->config.interval != cfg.health_check.interval;
    } else {
      group = std::make_shared<Group>();
      group->name = cfg.name;
      group->metrics = metrics_.resolve_group(cfg.name);
      group->rotation = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    }
    group->config = cfg.health_check;
    group->slow_start = cfg.slow_start;
    group->targets.clear();
    const bool enabled = cfg.health_check.enabled;
    const Hysteresis::Thresholds thresholds{cfg.health_check.healthy_threshold,
                                            cfg.health_check.unhealthy_threshold};

    for (const upstream::Target& target : declared.targets()) {
      if (next_entries.contains(target.id)) continue;
      std::shared_ptr<Entry> entry;
      auto old = entries_.find(target.id);
      if (old != entries_.end() && old->second->state == target.state &&
          old->second->checked == enabled) {
        entry = old->second;  // same identity: verdict, runs and schedule carry over
        entry->hysteresis.set_thresholds(thresholds);
        entry->rephase = interval_changed && !entry->first;
      } else {
        entry = std::make_shared<Entry>(target.id, target.state, thresholds);
        entry->checked = enabled;
        entry->generation = generation_;
        if (old != entries_.end()) {
          // Same id, new TargetState or checks toggled: start over, keeping the metric children.
          entry->metrics = old->second->metrics;
          old->second->retired = true;
        } else {
          entry->metrics = metrics_.resolve_target(cfg.name, target.authority);
        }
      }
      entry->index = group->targets.size();
      std::uint16_t port = cfg.health_check.port.value_or(target.address.port);
      entry->endpoints = target.endpoints;
      for (auto& endpoint : entry->endpoints)
        endpoint.port(port);
      entry->host_header = HostPort{target.address.host, port}.to_string();
      entry->tls = target.tls;
      entry->server_name = target.address.host;
      if (!enabled) {
        if (target.state->health() != TargetHealth::unavailable) {
          target.state->set_health(TargetHealth::unavailable, HealthReason::health_check_disabled);
        }
        entry->ramp_end = kNever;
        target.state->clear_slow_start();
      } else if (cfg.slow_start <= Duration::zero() && entry->ramp_end != kNever) {
        entry->ramp_end = kNever;
        target.state->clear_slow_start();
      }
      if (enabled && target.state->health() == TargetHealth::unavailable) {
        // Checks were just enabled: start over as a new target would.
        target.state->set_health(TargetHealth::initial, HealthReason::initial_health_checking);
      }
      group->targets.push_back(entry);
      next_entries[target.id] = entry;
    }
    for (const std::shared_ptr<Entry>& entry : group->targets) {
      // A new interval: spread the group's checks again from now.
      if (std::exchange(entry->rephase, false)) {
        entry->next_due = now + group->phase_offset(entry->index);
      }
    }
  }

  for (auto& [id, entry] : entries_) {
    if (next_entries.contains(id)) continue;
    entry->retired = true;
    metrics_.remove(entry->metrics);
    // Deregistering a target ends its slow start (alb-behaviour.md §3).
    entry->state->clear_slow_start();
  }
  for (auto& [name, group] : groups_) {
    if (next_groups.contains(name)) continue;
    group->retired = true;
    metrics_.remove(group->metrics);
  }
  groups_ = std::move(next_groups);
  entries_ = std::move(next_entries);
  service();
}

void HealthChecker::arm(Clock::time_point when) {
  timer_.expires_at(when);
  timer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (ec || !alive.lock()) return;
        service();
      });
}

void HealthChecker::service() {
  if (stopped_) return;
  const Clock::time_point now = Clock::now();
  Clock::time_point wake = now + options_.poll_interval;
  for (auto& [name, group] : groups_) {
    const bool enabled = group->config.enabled;
    const Clock::duration spacing =
        std::min<Clock::duration>(options_.early_probe_spacing, group->config.interval);
    for (const std::shared_ptr<Entry>& entry : group->targets) {
      if (entry->state->take_probe_request()) entry->early_wanted = true;
      // A target already unhealthy is expected to refuse; probing it early tells nothing new.
      if (!enabled || entry->hysteresis.state() == TargetHealth::unhealthy) {
        entry->early_wanted = false;
      }
      if (entry->ramp_end != kNever && now >= entry->ramp_end) {
        entry->ramp_end = kNever;
        entry->state->clear_slow_start();
      }
      if (!enabled) continue;
      const bool due = now >= entry->next_due;
      const bool early = entry->early_wanted && now - entry->last_start >= spacing;
      if (!entry->in_flight && (due || early)) {
        launch(group, entry, now);
      } else if (due) {
        // The check in flight (an early probe) stands for this one.
        advance(entry->next_due, now, group->config.interval);
      }
      wake = std::min(wake, entry->next_due);
      if (entry->ramp_end != kNever) wake = std::min(wake, entry->ramp_end);
      if (entry->early_wanted && !entry->in_flight) {
        wake = std::min(wake, entry->last_start + spacing);
      }
    }
    // Picks up what the control thread did not write itself: draining.
    group->refresh_metrics();
  }
  arm(std::max(wake, now));
}

void HealthChecker::launch(const std::shared_ptr<Group>& group, const std::shared_ptr<Entry>& entry,
                           Clock::time_point now) {
  entry->in_flight = true;
  entry->early_wanted = false;
  entry->last_start = now;
  if (entry->first) {
    entry->first = false;
    entry->next_due = now + group->phase_offset(entry->index);
  } else {
    // Checks keep a fixed rhythm: neither a slow answer nor an early probe shifts the next one.
    advance(entry->next_due, now, group->config.interval);
  }
  ++checks_started_;
  net::co_spawn(executor_, run_check(group, entry, executor_), net::detached);
}

awaitable<void> HealthChecker::run_check(std::shared_ptr<Group> group, std::shared_ptr<Entry> entry,
                                         net::any_io_executor executor) {
  ProbeResult result = co_await probe_target(executor, entry->endpoints, entry->host_header,
                                             group->config, entry->tls, entry->server_name);
  entry->in_flight = false;
  if (entry->retired || group->retired) co_return;
  apply(*group, *entry, result);
}

void HealthChecker::apply(Group& group, Entry& entry, const ProbeResult& result) {
  const Clock::time_point now = Clock::now();
  upstream::TargetState& state = *entry.state;
  state.record_check(result.status, result.latency, unix_ms_now());
  entry.metrics.checks[static_cast<std::size_t>(result.result)]->Increment();
  group.metrics.duration->Observe(std::chrono::duration<double>(result.latency).count());

  const Transition t = entry.hysteresis.observe(result.result);
  state.set_health(t.state, t.reason);
  if (t.changed) {
    std::string detail(reason_code(t.reason));
    if (!detail.empty()) detail += ", ";
    if (result.status != 0) {
      str_append(detail, "last status ");
      str_append(detail, result.status);
    } else {
      detail += result.error;
    }
    log::info("target ", entry.id, ' ', health_name(t.previous), " -> ", health_name(t.state), " (",
              detail, ')');

    if (t.state == TargetHealth::healthy && group.slow_start > Duration::zero()) {
      // Slow start only with an established healthy peer (alb-behaviour.md §3): targets
      // registered together into a group without one do not ramp against each other.
      const bool recovered = t.previous != TargetHealth::initial;
      const bool established_peer =
          std::any_of(group.targets.begin(), group.targets.end(), [&](const auto& peer) {
            return peer.get() != &entry && peer->hysteresis.state() == TargetHealth::healthy &&
                   !peer->state->draining() &&
                   (peer->ramp_end == kNever || now >= peer->ramp_end) &&
                   (recovered || peer->generation < entry.generation);
          });
      if (established_peer) {
        state.set_slow_start_begin(now);
        entry.ramp_end = now + group.slow_start;
      }
    } else if (t.state == TargetHealth::unhealthy && entry.ramp_end != kNever) {
      entry.ramp_end = kNever;
      state.clear_slow_start();
    }
  }
  group.refresh_metrics();
}

}  // namespace albatross::health
