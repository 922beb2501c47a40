#include "albatross/metrics/catalog.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross::metrics {
namespace {

bool contains(const std::string& text, std::string_view line) {
  return text.find(std::string(line) + "\n") != std::string::npos;
}

TEST_CASE("Catalog declares every albatross family, and handles resolve to live children") {
  Registry registry(2);
  Catalog catalog(registry);
  ListenerMetrics listener;
  listener.resolve(catalog, "web");
  RouteMetrics route;
  route.resolve(catalog, "web", "app");
  TargetGroupMetrics group;
  group.resolve(catalog, "app");
  TargetMetrics target;
  target.resolve(catalog, "app", "10.0.0.1:80");

  listener.connections->inc();
  listener.count_generated(503);
  listener.count_generated(999);  // unknown codes count as 400
  route.requests->inc(2);
  route.target_responses[code_class_index(204)]->inc();
  route.generated_responses[code_class_index(502)]->inc();
  group.fail_open->inc();
  group.response_time->observe_micros(2000);
  group.non_sticky[2]->inc();
  target.requests->inc();
  target.connections_active->inc();

  std::string text = registry.serialize();
  for (std::string_view family :
       {"albatross_downstream_connections_total", "albatross_downstream_connections_active",
        "albatross_downstream_connections_rejected_total",
        "albatross_downstream_received_bytes_total", "albatross_downstream_sent_bytes_total",
        "albatross_generated_responses_total", "albatross_requests_total",
        "albatross_responses_total", "albatross_target_response_time_seconds",
        "albatross_non_sticky_requests_total", "albatross_fail_open_requests_total",
        "albatross_retries_total", "albatross_target_requests_total",
        "albatross_target_connection_errors_total", "albatross_upstream_connections_total",
        "albatross_upstream_connections_active", "albatross_access_log_dropped_batches_total"}) {
    CAPTURE(family);
    CHECK(text.find("# TYPE " + std::string(family) + " ") != std::string::npos);
  }
  CHECK(contains(text, "albatross_downstream_connections_total{listener=\"web\"} 1"));
  CHECK(contains(text, "albatross_generated_responses_total{listener=\"web\",code=\"503\"} 1"));
  CHECK(contains(text, "albatross_generated_responses_total{listener=\"web\",code=\"400\"} 1"));
  CHECK(contains(text, "albatross_generated_responses_total{listener=\"web\",code=\"502\"} 0"));
  CHECK(contains(text, "albatross_requests_total{listener=\"web\",target_group=\"app\"} 2"));
  CHECK(contains(text,
                 "albatross_responses_total{listener=\"web\",target_group=\"app\",source="
                 "\"target\",code_class=\"2xx\"} 1"));
  CHECK(contains(text,
                 "albatross_responses_total{listener=\"web\",target_group=\"app\",source="
                 "\"albatross\",code_class=\"5xx\"} 1"));
  CHECK(contains(text, "albatross_fail_open_requests_total{target_group=\"app\"} 1"));
  CHECK(contains(text,
                 "albatross_non_sticky_requests_total{target_group=\"app\",reason="
                 "\"expired\"} 1"));
  CHECK(contains(text,
                 "albatross_target_response_time_seconds_bucket{target_group=\"app\",le="
                 "\"0.0025\"} 1"));
  CHECK(contains(text,
                 "albatross_target_requests_total{target_group=\"app\",target=\"10.0.0.1:"
                 "80\"} 1"));
  CHECK(contains(text,
                 "albatross_upstream_connections_active{target_group=\"app\",target="
                 "\"10.0.0.1:80\"} 1"));
  CHECK(contains(text,
                 "albatross_retries_total{target_group=\"app\",reason=\"connect_failure\"} "
                 "0"));
  // One unlabelled series from the start; an access log's drops land in it.
  CHECK(contains(text, "albatross_access_log_dropped_batches_total 0"));
  catalog.access_log_dropped_batches.add({}).inc();
  CHECK(contains(registry.serialize(), "albatross_access_log_dropped_batches_total 1"));
}

TEST_CASE("code classes") {
  CHECK(code_class(101) == "1xx");
  CHECK(code_class(200) == "2xx");
  CHECK(code_class(399) == "3xx");
  CHECK(code_class(404) == "4xx");
  CHECK(code_class(503) == "5xx");
  CHECK(code_class(0) == "1xx");
  CHECK(code_class(999) == "5xx");
  CHECK(generated_code_index(400) == 0);
  CHECK(kGeneratedCodes[generated_code_index(504)] == 504);
  CHECK(generated_code_index(200) == 0);
}

}  // namespace
}  // namespace albatross::metrics
