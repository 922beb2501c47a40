#pragma once

#include <array>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "albatross/metrics/registry.hpp"

namespace albatross::metrics {

// Status codes albatross generates itself; each has its own pre-resolved counter.
inline constexpr std::array<int, 14> kGeneratedCodes = {400, 403, 405, 408, 413, 414, 417,
                                                        431, 500, 501, 502, 503, 504, 505};
std::size_t generated_code_index(int status);  // index into kGeneratedCodes (400's if unknown)

// Code classes 1xx..5xx as label values.
std::string_view code_class(int status);
std::size_t code_class_index(int status);  // 0..4

// Every metric family of albatross, declared in one place. Prefix albatross_; labels are bounded
// (listener, target_group, target, code class; never paths). Data-plane families are sharded
// metrics::Family; control-plane ones (written on the control thread only) are prometheus-cpp
// families in Registry::control(). Both render on the same /metrics page.
struct Catalog {
  explicit Catalog(Registry& registry);

  Registry& registry;
  // Downstream (client side), per listener.
  Family<Counter>& downstream_connections;
  Family<Gauge>& downstream_connections_active;
  Family<Counter>& downstream_connections_rejected;
  Family<Counter>& downstream_received_bytes;
  Family<Counter>& downstream_sent_bytes;
  Family<Counter>& generated_responses;      // {listener, code}
  Family<Counter>& desync_requests;          // {listener, tier, reason}: requests not Compliant
  Family<Counter>& invalid_header_requests;  // {listener, action}: dropped | forwarded
  Family<Counter>& rule_matches;             // {listener, priority}: priority or "default"
  // TLS listeners.
  Family<Counter>& tls_handshakes;            // {listener, session}: new | resumed
  Family<Counter>& tls_handshake_failures;    // {listener, reason}
  Family<Counter>& tls_client_auth_failures;  // {listener, reason}: client_auth = "verify"
  // Set when a snapshot is built (control registry): notAfter of each served certificate.
  prometheus::Family<prometheus::Gauge>& tls_certificate_expiry;  // {listener, certificate}
  // OCSP stapling (control registry, updated every second by the server's housekeeping).
  prometheus::Family<prometheus::Gauge>& tls_ocsp_staple_age;        // {listener, certificate}
  prometheus::Family<prometheus::Counter>& tls_ocsp_fetch_failures;  // {certificate, reason}
  // Exchanges, per listener and target group.
  Family<Counter>& requests;   // {listener, target_group}
  Family<Counter>& responses;  // {listener, target_group, source, code_class}
  // Per target group.
  Family<Histogram>& target_response_time;  // {target_group}
  Family<Counter>& non_sticky_requests;     // {target_group, reason}
  Family<Counter>& fail_open_requests;      // {target_group}
  Family<Counter>& retries;                 // {target_group, reason}
  // Upstream (target side), per target.
  Family<Counter>& target_requests;            // {target_group, target}
  Family<Counter>& target_connection_errors;   // {target_group, target}
  Family<Counter>& upstream_connections;       // {target_group, target}
  Family<Gauge>& upstream_connections_active;  // {target_group, target}
  // Access log: batches dropped (the writer 64 MiB behind, a stalled disk; or a failed write).
  Family<Counter>& access_log_dropped_batches;  // no labels
  // Control plane: the process and its configuration (server).
  prometheus::Family<prometheus::Gauge>& build_info;                       // {version}, always 1
  prometheus::Family<prometheus::Counter>& config_reloads;                 // {result}
  prometheus::Family<prometheus::Gauge>& config_last_reload_success_time;  // no labels
  prometheus::Family<prometheus::Gauge>& config_last_reload_failed;        // no labels
  // Control plane: health checks (health::HealthMetrics resolves and removes their children).
  prometheus::Family<prometheus::Counter>& health_checks;  // {target_group, target, result}
  prometheus::Family<prometheus::Histogram>& health_check_duration;  // {target_group}
  prometheus::Family<prometheus::Gauge>& target_state;     // {target_group, target, state}, one-hot
  prometheus::Family<prometheus::Gauge>& healthy_targets;  // {target_group}
  prometheus::Family<prometheus::Gauge>& unhealthy_targets;  // {target_group}
  // Control plane: target discovery (discovery::DnsWatcher).
  prometheus::Family<prometheus::Counter>& dns_resolutions;  // {target_group, name, result}
  // Admin endpoint (control thread).
  Family<Counter>& admin_requests_refused;  // {reason}: host | method | origin | token | peer
};

// Handles for one listener, resolved when a snapshot is built.
struct ListenerMetrics {
  Counter* connections = nullptr;
  Gauge* connections_active = nullptr;
  Counter* connections_rejected = nullptr;
  Counter* received_bytes = nullptr;
  Counter* sent_bytes = nullptr;
  std::array<Counter*, kGeneratedCodes.size()> generated{};

  void resolve(Catalog& catalog, const std::string& listener);
  void count_generated(int status) const { generated[generated_code_index(status)]->inc(); }
};

// Handles for one (listener, target group) pair.
struct RouteMetrics {
  Counter* requests = nullptr;
  std::array<Counter*, 5> target_responses{};     // by code class
  std::array<Counter*, 5> generated_responses{};  // by code class

  void resolve(Catalog& catalog, const std::string& listener, const std::string& target_group);
};

// Handles for one listener rule (the default rule included).
struct RuleMetrics {
  Counter* matches = nullptr;
  Counter* generated = nullptr;  // redirect and fixed-response rules: {listener, their code}

  // `priority` 0 is the default rule; `generated_status` 0 when the rule forwards.
  void resolve(Catalog& catalog, const std::string& listener, int priority, int generated_status);
};

// Handles for one target group.
struct TargetGroupMetrics {
  Histogram* response_time = nullptr;
  Counter* fail_open = nullptr;
  Counter* retry_connect = nullptr;
  Counter* retry_reused_connection = nullptr;
  std::array<Counter*, 4> non_sticky{};  // none, invalid, expired, target_unavailable

  void resolve(Catalog& catalog, const std::string& target_group);
};

// Handles for one target.
struct TargetMetrics {
  Counter* requests = nullptr;
  Counter* connection_errors = nullptr;
  Counter* connections = nullptr;
  Gauge* connections_active = nullptr;

  void resolve(Catalog& catalog, const std::string& target_group, const std::string& target);
};

}  // namespace albatross::metrics
