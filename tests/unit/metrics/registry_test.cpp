#include "albatross/metrics/registry.hpp"

#include <doctest/doctest.h>

#include <prometheus/counter.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "albatross/metrics/catalog.hpp"

namespace albatross::metrics {
namespace {

bool contains(const std::string& text, std::string_view line) {
  return text.find(std::string(line) + "\n") != std::string::npos;
}

std::size_t occurrences(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

TEST_CASE("Registry::serialize renders counters and gauges with their label sets") {
  Registry registry(3);
  Family<Counter>& requests =
      registry.counter("t_requests_total", "Requests.", {"listener", "code"});
  Family<Gauge>& active = registry.gauge("t_active", "Active.", {"listener"});
  requests.add({"web", "2xx"}).inc(3);
  requests.add({"web", "5xx"}).inc();
  requests.add({"api", "2xx"});  // resolved, never incremented: still exported as 0
  std::thread worker([&] {
    set_thread_shard(2);
    requests.add({"web", "2xx"}).inc(4);
    active.add({"web"}).add(5);
  });
  worker.join();
  active.add({"web"}).dec();
  std::string text = registry.serialize();
  CHECK(contains(text, "# HELP t_requests_total Requests."));
  CHECK(contains(text, "# TYPE t_requests_total counter"));
  CHECK(contains(text, "t_requests_total{listener=\"web\",code=\"2xx\"} 7"));
  CHECK(contains(text, "t_requests_total{listener=\"web\",code=\"5xx\"} 1"));
  CHECK(contains(text, "t_requests_total{listener=\"api\",code=\"2xx\"} 0"));
  CHECK(contains(text, "# TYPE t_active gauge"));
  CHECK(contains(text, "t_active{listener=\"web\"} 4"));
}

TEST_CASE("Registry::add returns the same child for the same labels") {
  Registry registry(1);
  Family<Counter>& f = registry.counter("t_total", "T.", {"a"});
  Counter& one = f.add({"x"});
  CHECK(&f.add({"x"}) == &one);
  CHECK(&f.add({"y"}) != &one);
}

TEST_CASE("Registry::serialize renders histograms with cumulative buckets and +Inf") {
  Registry registry(2);
  const double bounds[] = {0.01, 0.1, 1};
  Family<Histogram>& latency =
      registry.histogram("t_latency_seconds", "Latency.", {"target_group"}, bounds);
  Histogram& h = latency.add({"app"});
  h.observe_micros(5000);
  h.observe_micros(50000);
  h.observe_micros(60000);
  h.observe_micros(3000000);
  std::string text = registry.serialize();
  CHECK(contains(text, "# TYPE t_latency_seconds histogram"));
  CHECK(contains(text, "t_latency_seconds_bucket{target_group=\"app\",le=\"0.01\"} 1"));
  CHECK(contains(text, "t_latency_seconds_bucket{target_group=\"app\",le=\"0.1\"} 3"));
  CHECK(contains(text, "t_latency_seconds_bucket{target_group=\"app\",le=\"1\"} 3"));
  CHECK(contains(text, "t_latency_seconds_bucket{target_group=\"app\",le=\"+Inf\"} 4"));
  CHECK(occurrences(text, "le=\"+Inf\"") == 1);
  CHECK(contains(text, "t_latency_seconds_count{target_group=\"app\"} 4"));
  CHECK(contains(text, "t_latency_seconds_sum{target_group=\"app\"} 3.115"));
}

TEST_CASE("Registry::serialize includes control-plane metrics, families sorted by name") {
  Registry registry(1);
  registry.counter("t_zz_total", "Z.", {}).add({}).inc();
  auto& reloads = prometheus::BuildCounter()
                      .Name("t_aa_reloads_total")
                      .Help("Reloads.")
                      .Register(registry.control());
  reloads.Add({{"result", "ok"}}).Increment(2);
  std::string text = registry.serialize();
  CHECK(contains(text, "t_aa_reloads_total{result=\"ok\"} 2"));
  CHECK(contains(text, "t_zz_total 1"));
  CHECK(text.find("t_aa_reloads_total") < text.find("t_zz_total"));
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
        "albatross_upstream_connections_active"}) {
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
