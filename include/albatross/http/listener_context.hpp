#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "albatross/config/listener_config.hpp"
#include "albatross/http/classification.hpp"
#include "albatross/http/proxy_settings.hpp"
#include "albatross/http/rule_matcher.hpp"
#include "albatross/metrics/catalog.hpp"
#include "albatross/tls/handshake_failure.hpp"
#include "albatross/tls/server_context.hpp"
#include "albatross/upstream/target_group.hpp"

namespace albatross::http {

// Where a listener can send an exchange: a target group plus the metric handles of the
// (listener, target group) pair.
struct Route {
  const upstream::TargetGroup* group = nullptr;
  metrics::RouteMetrics metrics;
};

// One listener's immutable view of a snapshot: its settings, its rules and routes, and its
// metric handles. Sessions pin it for the length of an exchange. Thread: any (read-only).
struct ListenerContext {
  std::string name;
  config::ListenerConfig config;
  std::uint16_t port = 0;  // the port bound (port 0 in the config: the one the kernel chose)
  std::string port_text;   // `port` in decimal, for X-Forwarded-Port
  std::string scheme;      // "http" or "https"
  const ProxySettings* settings = nullptr;
  std::vector<Route> routes;  // one per target group the listener's rules forward to
  RuleMatcher rules;          // the default rule last
  std::vector<metrics::RuleMetrics> rule_metrics;  // by RuleMatcher::index_of
  metrics::ListenerMetrics metrics;
  std::array<metrics::Counter*, kReasonCount> desync{};  // by Reason; [compliant] unused
  metrics::Counter* invalid_headers_dropped = nullptr;
  metrics::Counter* invalid_headers_forwarded = nullptr;
  // HTTPS listeners only (scheme "https"): the TLS server side and its handshake counters.
  std::shared_ptr<const tls::ServerContext> tls;
  std::array<metrics::Counter*, tls::kHandshakeFailureCount> tls_handshake_failures{};
  metrics::Counter* tls_handshakes_new = nullptr;
  metrics::Counter* tls_handshakes_resumed = nullptr;
};

}  // namespace albatross::http
