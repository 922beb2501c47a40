#pragma once

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include "albatross/metrics/family.hpp"
#include "albatross/metrics/sharded.hpp"

namespace albatross::metrics {

// Owns every metric family of the process. Data-plane families are sharded (see sharded.hpp) and
// exposed through prometheus-cpp's Collectable interface; control-plane metrics that change
// rarely use prometheus-cpp's own registry (control()). serialize() renders both in the
// Prometheus text format with prometheus-cpp's serializer. Thread: families are declared at
// start-up; collection may run on any thread.
class Registry : public prometheus::Collectable {
 public:
  explicit Registry(unsigned shards);

  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels);
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels);
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::span<const double> bounds);

  prometheus::Registry& control() { return *control_; }
  std::vector<prometheus::MetricFamily> Collect() const override;
  std::string serialize() const;
  unsigned shards() const { return shards_; }

 private:
  unsigned shards_;
  std::deque<Family<Counter>> counters_;
  std::deque<Family<Gauge>> gauges_;
  std::deque<Family<Histogram>> histograms_;
  std::shared_ptr<prometheus::Registry> control_;
};

}  // namespace albatross::metrics
