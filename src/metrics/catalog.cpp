#include "albatross/metrics/catalog.hpp"

namespace albatross::metrics {
namespace {

// 1 ms .. 120 s: the span between a cached page and gunicorn's 120 s worker timeout.
constexpr double kResponseTimeBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                           0.5,   1,      2.5,   5,    10,    30,   60,  120};

constexpr const char* kClassNames[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

}  // namespace

std::size_t generated_code_index(int status) {
  for (std::size_t i = 0; i < kGeneratedCodes.size(); ++i) {
    if (kGeneratedCodes[i] == status) return i;
  }
  return 0;
}

std::size_t code_class_index(int status) {
  int c = status / 100;
  if (c < 1) c = 1;
  if (c > 5) c = 5;
  return static_cast<std::size_t>(c - 1);
}

std::string_view code_class(int status) {
  return kClassNames[code_class_index(status)];
}

Catalog::Catalog(Registry& r)
    : registry(r),
      downstream_connections(r.counter("albatross_downstream_connections_total",
                                       "Client connections accepted.", {"listener"})),
      downstream_connections_active(r.gauge("albatross_downstream_connections_active",
                                            "Client connections open now.", {"listener"})),
      downstream_connections_rejected(r.counter(
          "albatross_downstream_connections_rejected_total",
          "Client connections refused because global.max_connections was reached.", {"listener"})),
      downstream_received_bytes(r.counter("albatross_downstream_received_bytes_total",
                                          "Bytes received from clients, headers included.",
                                          {"listener"})),
      downstream_sent_bytes(r.counter("albatross_downstream_sent_bytes_total",
                                      "Bytes sent to clients, headers included.", {"listener"})),
      generated_responses(r.counter("albatross_generated_responses_total",
                                    "Responses albatross generated itself, by status code.",
                                    {"listener", "code"})),
      desync_requests(r.counter(
          "albatross_desync_requests_total",
          "Requests classified other than Compliant (ALB's desync tiers), by tier and reason.",
          {"listener", "tier", "reason"})),
      invalid_header_requests(r.counter("albatross_invalid_header_requests_total",
                                        "Requests with header field names outside [-A-Za-z0-9], by "
                                        "whether those fields were dropped or forwarded.",
                                        {"listener", "action"})),
      rule_matches(r.counter("albatross_listener_rule_matches_total",
                             "Requests each listener rule matched, by priority (\"default\": "
                             "the listener's default rule).",
                             {"listener", "priority"})),
      tls_handshakes(r.counter("albatross_tls_handshakes_total",
                               "TLS handshakes completed with clients; session is new or resumed.",
                               {"listener", "session"})),
      tls_handshake_failures(r.counter(
          "albatross_tls_handshake_failures_total",
          "TLS handshakes with clients that failed, by reason: protocol, cipher, certificate, "
          "timeout, closed, malformed, client_certificate, other.",
          {"listener", "reason"})),
      tls_client_auth_failures(r.counter(
          "albatross_tls_client_auth_failures_total",
          "Client certificates refused on listeners with client_auth = \"verify\", by reason: "
          "missing, expired, not_yet_valid, unknown_ca, revoked, crl, invalid.",
          {"listener", "reason"})),
      tls_certificate_expiry(
          prometheus::BuildGauge()
              .Name("albatross_tls_certificate_expiry_timestamp_seconds")
              .Help("Unix time at which a certificate served by a TLS listener expires (notAfter).")
              .Register(r.control())),
      tls_ocsp_staple_age(
          prometheus::BuildGauge()
              .Name("albatross_tls_ocsp_staple_age_seconds")
              .Help("Age (now - thisUpdate) of the OCSP response stapled for a certificate; "
                    "absent while none is stapled.")
              .Register(r.control())),
      tls_ocsp_fetch_failures(
          prometheus::BuildCounter()
              .Name("albatross_tls_ocsp_fetch_failures_total")
              .Help("OCSP fetches that gave no response to staple, by reason: network, http, "
                    "invalid, revoked, unknown.")
              .Register(r.control())),
      requests(r.counter(
          "albatross_requests_total",
          "Requests routed to a target group (a target was chosen or none was available).",
          {"listener", "target_group"})),
      responses(r.counter("albatross_responses_total",
                          "Responses sent to clients by code class; source is target or albatross.",
                          {"listener", "target_group", "source", "code_class"})),
      target_response_time(r.histogram(
          "albatross_target_response_time_seconds",
          "Time from sending the request to a target until its response header arrived.",
          {"target_group"}, kResponseTimeBuckets)),
      non_sticky_requests(r.counter("albatross_non_sticky_requests_total",
                                    "Requests that could not follow a sticky cookie, by reason.",
                                    {"target_group", "reason"})),
      fail_open_requests(r.counter("albatross_fail_open_requests_total",
                                   "Requests routed to all targets because none was healthy.",
                                   {"target_group"})),
      retries(r.counter("albatross_retries_total",
                        "Requests sent again: connect failures, or a reused connection lost before "
                        "any response byte.",
                        {"target_group", "reason"})),
      target_requests(r.counter("albatross_target_requests_total", "Requests sent to each target.",
                                {"target_group", "target"})),
      target_connection_errors(r.counter("albatross_target_connection_errors_total",
                                         "Connections to a target that could not be established.",
                                         {"target_group", "target"})),
      upstream_connections(r.counter("albatross_upstream_connections_total",
                                     "Connections opened to each target.",
                                     {"target_group", "target"})),
      upstream_connections_active(
          r.gauge("albatross_upstream_connections_active",
                  "Connections open to each target now, pooled ones included.",
                  {"target_group", "target"})),
      access_log_dropped_batches(r.counter(
          "albatross_access_log_dropped_batches_total",
          "Batches of access-log lines dropped: the writer was 64 MiB behind, or a write failed.",
          {})),
      build_info(prometheus::BuildGauge()
                     .Name("albatross_build_info")
                     .Help("Build information; the value is always 1.")
                     .Register(r.control())),
      config_reloads(prometheus::BuildCounter()
                         .Name("albatross_config_reloads_total")
                         .Help("Configuration reloads by result.")
                         .Register(r.control())),
      config_last_reload_success_time(
          prometheus::BuildGauge()
              .Name("albatross_config_last_reload_success_timestamp_seconds")
              .Help("Unix time of the last configuration load that succeeded.")
              .Register(r.control())),
      config_last_reload_failed(prometheus::BuildGauge()
                                    .Name("albatross_config_last_reload_failed")
                                    .Help("1 when the last reload attempt failed (the previous "
                                          "configuration is still serving).")
                                    .Register(r.control())),
      health_checks(
          prometheus::BuildCounter()
              .Name("albatross_health_checks_total")
              .Help("Health checks completed, by result (pass, code_mismatch, timeout, failed).")
              .Register(r.control())),
      health_check_duration(
          prometheus::BuildHistogram()
              .Name("albatross_health_check_duration_seconds")
              .Help("Time from the start of a health check's connect to its response head (or "
                    "its failure).")
              .Register(r.control())),
      target_state(prometheus::BuildGauge()
                       .Name("albatross_target_state")
                       .Help("1 for the state each target is in (initial, healthy, unhealthy, "
                             "unavailable, draining, unused), 0 for the others.")
                       .Register(r.control())),
      healthy_targets(prometheus::BuildGauge()
                          .Name("albatross_healthy_targets")
                          .Help("Targets of a group that are healthy and not draining.")
                          .Register(r.control())),
      unhealthy_targets(prometheus::BuildGauge()
                            .Name("albatross_unhealthy_targets")
                            .Help("Targets of a group that are unhealthy and not draining.")
                            .Register(r.control())),
      dns_resolutions(prometheus::BuildCounter()
                          .Name("albatross_dns_resolutions_total")
                          .Help("Re-resolutions of followed target names, by result (success, "
                                "failure: the last good addresses stay in service).")
                          .Register(r.control())),
      admin_requests_refused(r.counter(
          "albatross_admin_requests_refused_total",
          "Admin endpoint requests refused, by reason: host (Host is not the endpoint's own), "
          "method, origin (a state change from another origin's page), token, peer.",
          {"reason"})) {
  // A single series, exported from the start so a rate() over it has a baseline.
  access_log_dropped_batches.add({});
}

void ListenerMetrics::resolve(Catalog& c, const std::string& listener) {
  connections = &c.downstream_connections.add({listener});
  connections_active = &c.downstream_connections_active.add({listener});
  connections_rejected = &c.downstream_connections_rejected.add({listener});
  received_bytes = &c.downstream_received_bytes.add({listener});
  sent_bytes = &c.downstream_sent_bytes.add({listener});
  for (std::size_t i = 0; i < kGeneratedCodes.size(); ++i) {
    generated[i] = &c.generated_responses.add({listener, std::to_string(kGeneratedCodes[i])});
  }
}

void RuleMetrics::resolve(Catalog& c, const std::string& listener, int priority,
                          int generated_status) {
  matches = &c.rule_matches.add({listener, priority == 0 ? "default" : std::to_string(priority)});
  generated = generated_status == 0
                  ? nullptr
                  : &c.generated_responses.add({listener, std::to_string(generated_status)});
}

void RouteMetrics::resolve(Catalog& c, const std::string& listener, const std::string& group) {
  requests = &c.requests.add({listener, group});
  for (std::size_t i = 0; i < 5; ++i) {
    target_responses[i] = &c.responses.add({listener, group, "target", kClassNames[i]});
    generated_responses[i] = &c.responses.add({listener, group, "albatross", kClassNames[i]});
  }
}

void TargetGroupMetrics::resolve(Catalog& c, const std::string& group) {
  response_time = &c.target_response_time.add({group});
  fail_open = &c.fail_open_requests.add({group});
  retry_connect = &c.retries.add({group, "connect_failure"});
  retry_reused_connection = &c.retries.add({group, "reused_connection_lost"});
  const char* reasons[] = {"none", "invalid", "expired", "target_unavailable"};
  for (std::size_t i = 0; i < 4; ++i)
    non_sticky[i] = &c.non_sticky_requests.add({group, reasons[i]});
}

void TargetMetrics::resolve(Catalog& c, const std::string& group, const std::string& target) {
  requests = &c.target_requests.add({group, target});
  connection_errors = &c.target_connection_errors.add({group, target});
  connections = &c.upstream_connections.add({group, target});
  connections_active = &c.upstream_connections_active.add({group, target});
}

}  // namespace albatross::metrics
