#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace albatross::testing {

// One scrape of albatross's /metrics page (Prometheus text format), for reading counters by
// name and labels. Thread: a value.
class MetricsPage {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // GETs /metrics from the admin endpoint on `admin_port`; throws when that fails.
  static MetricsPage scrape(std::uint16_t admin_port);
  explicit MetricsPage(std::string_view text);

  // The sum of every series of `name` whose labels include all of `labels` (0 when none).
  double sum(std::string_view name, const Labels& labels = {}) const;
  const std::string& text() const { return text_; }

 private:
  struct Series {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  std::string text_;
  std::vector<Series> series_;
};

}  // namespace albatross::testing
