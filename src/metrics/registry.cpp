#include "albatross/metrics/registry.hpp"

#include <prometheus/text_serializer.h>

#include <algorithm>

namespace albatross::metrics {
namespace {

std::vector<prometheus::ClientMetric::Label> make_labels(const std::vector<std::string>& names,
                                                         const std::vector<std::string>& values) {
  std::vector<prometheus::ClientMetric::Label> labels;
  labels.reserve(names.size());
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    labels.push_back({names[i], values[i]});
  }
  return labels;
}

}  // namespace

Registry::Registry(unsigned shards)
    : shards_(shards), control_(std::make_shared<prometheus::Registry>()) {}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  unsigned shards = shards_;
  return counters_.emplace_back(std::move(name), std::move(help), std::move(labels),
                                [shards] { return std::make_unique<Counter>(shards); });
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
  unsigned shards = shards_;
  return gauges_.emplace_back(std::move(name), std::move(help), std::move(labels),
                              [shards] { return std::make_unique<Gauge>(shards); });
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::span<const double> bounds) {
  unsigned shards = shards_;
  std::vector<double> b(bounds.begin(), bounds.end());
  return histograms_.emplace_back(std::move(name), std::move(help), std::move(labels),
                                  [shards, b] { return std::make_unique<Histogram>(shards, b); });
}

std::vector<prometheus::MetricFamily> Registry::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  for (const auto& family : counters_) {
    prometheus::MetricFamily mf{family.name(), family.help(), prometheus::MetricType::Counter, {}};
    family.for_each([&](const std::vector<std::string>& labels, const Counter& c) {
      prometheus::ClientMetric m;
      m.label = make_labels(family.label_names(), labels);
      m.counter.value = static_cast<double>(c.value());
      mf.metric.push_back(std::move(m));
    });
    out.push_back(std::move(mf));
  }
  for (const auto& family : gauges_) {
    prometheus::MetricFamily mf{family.name(), family.help(), prometheus::MetricType::Gauge, {}};
    family.for_each([&](const std::vector<std::string>& labels, const Gauge& g) {
      prometheus::ClientMetric m;
      m.label = make_labels(family.label_names(), labels);
      m.gauge.value = static_cast<double>(g.value());
      mf.metric.push_back(std::move(m));
    });
    out.push_back(std::move(mf));
  }
  for (const auto& family : histograms_) {
    prometheus::MetricFamily mf{
        family.name(), family.help(), prometheus::MetricType::Histogram, {}};
    family.for_each([&](const std::vector<std::string>& labels, const Histogram& h) {
      prometheus::ClientMetric m;
      m.label = make_labels(family.label_names(), labels);
      Histogram::Snapshot s = h.snapshot();
      m.histogram.sample_count = s.count;
      m.histogram.sample_sum = s.sum_seconds;
      for (std::size_t b = 0; b < h.upper_bounds().size(); ++b) {
        m.histogram.bucket.push_back({s.cumulative[b], h.upper_bounds()[b]});
      }
      m.histogram.bucket.push_back({s.count, std::numeric_limits<double>::infinity()});
      mf.metric.push_back(std::move(m));
    });
    out.push_back(std::move(mf));
  }
  return out;
}

std::string Registry::serialize() const {
  std::vector<prometheus::MetricFamily> families = Collect();
  std::vector<prometheus::MetricFamily> control = control_->Collect();
  families.insert(families.end(), std::make_move_iterator(control.begin()),
                  std::make_move_iterator(control.end()));
  std::sort(families.begin(), families.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace albatross::metrics
