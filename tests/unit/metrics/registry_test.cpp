#include "albatross/metrics/registry.hpp"

#include <doctest/doctest.h>

#include <prometheus/counter.h>

#include <string>
#include <thread>
#include <vector>

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

}  // namespace
}  // namespace albatross::metrics
