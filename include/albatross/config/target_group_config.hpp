#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "albatross/common/duration.hpp"
#include "albatross/common/host_port.hpp"
#include "albatross/config/status_matcher.hpp"

namespace albatross::config {

enum class Algorithm { round_robin, least_outstanding_requests };

// How albatross talks to a group's targets.
enum class TargetProtocol { http, https };

// [target_group.health_check]: ALB's health-check settings with ALB's ranges
// (../shared/design/alb-behaviour.md §2.1) and this project's default path.
struct HealthCheckConfig {
  bool enabled = true;
  std::string path = "/ping";
  std::optional<std::uint16_t> port;  // nullopt = "traffic-port"
  Duration interval = std::chrono::seconds(30);
  Duration timeout = std::chrono::seconds(5);
  int healthy_threshold = 5;
  int unhealthy_threshold = 2;
  StatusMatcher matcher;
};

// [target_group.stickiness]: duration-based cookie stickiness (ALB's lb_cookie).
struct StickinessConfig {
  bool enabled = false;
  std::string cookie_name = "AWSALB";
  Duration duration = std::chrono::seconds(86400);
};

// [[target_group]]: a named set of targets with one algorithm, health check and stickiness.
struct TargetGroupConfig {
  // ALB's default; also what a target removed from a group it cannot be traced to drains for.
  static constexpr Duration kDefaultDeregistrationDelay = std::chrono::seconds(300);

  std::string name;
  Algorithm algorithm = Algorithm::round_robin;
  std::vector<HostPort> targets;
  TargetProtocol protocol = TargetProtocol::http;
  // With https: target certificates are not verified (as ALB) unless `verify`, then against
  // `ca_file` (PEM), or the system's trust store when it is empty.
  bool verify = false;
  std::string ca_file;
  Duration connect_timeout = std::chrono::seconds(10);
  Duration response_timeout = std::chrono::seconds(120);
  // Pooled upstream connections idle longer than this are closed: shorter than the 5 s
  // keep-alive of Node.js and Apache, so we close first and rarely race a target's close.
  Duration keepalive_timeout = std::chrono::seconds(4);
  int max_idle_connections = 64;  // per target and worker
  bool fail_open = true;
  Duration slow_start = Duration::zero();
  Duration deregistration_delay = kDefaultDeregistrationDelay;
  // How often target names (not IP literals, not in /etc/hosts) are resolved again; 0 = at
  // load only. Every address becomes a target.
  Duration dns_refresh = std::chrono::seconds(30);
  HealthCheckConfig health_check;
  StickinessConfig stickiness;
};

}  // namespace albatross::config
