#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace albatross::testing {

// One scraped /metrics page (Prometheus text exposition format 0.0.4), parsed strictly enough
// that a malformed line fails the scrape: every sample is `name{label="value",...} number`, and
// every sample belongs to a family announced by a `# TYPE` line. Thread: any; immutable.
class MetricsText {
 public:
  using Labels = std::map<std::string, std::string>;
  struct Sample {
    std::string name;
    Labels labels;
    double value = 0;
  };

  // Throws std::runtime_error naming the first line that does not parse.
  static MetricsText parse(std::string_view text);

  // Families declared by `# TYPE` lines, with their type ("counter", "histogram", ...).
  const std::map<std::string, std::string>& families() const { return families_; }
  const std::vector<Sample>& samples() const { return samples_; }
  // The sum over samples named `name` whose labels include every pair of `subset`; nullopt
  // when no sample matches.
  std::optional<double> sum(std::string_view name, const Labels& subset = {}) const;
  // sum(), 0 when nothing matches.
  double value(std::string_view name, const Labels& subset = {}) const {
    return sum(name, subset).value_or(0.0);
  }
  // The values label `label` takes among samples named `name`.
  std::set<std::string> label_values(std::string_view name, std::string_view label) const;

 private:
  std::map<std::string, std::string> families_;
  std::vector<Sample> samples_;
};

}  // namespace albatross::testing
