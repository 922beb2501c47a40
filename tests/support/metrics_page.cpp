#include "support/metrics_page.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "support/http_client.hpp"

namespace albatross::testing {

MetricsPage MetricsPage::scrape(std::uint16_t admin_port) {
  HttpClient client(admin_port);
  HttpResponse response = client.get("/metrics");
  if (response.status != 200) {
    throw std::runtime_error("/metrics answered " + std::to_string(response.status));
  }
  return MetricsPage(response.body);
}

MetricsPage::MetricsPage(std::string_view text) : text_(text) {
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line.front() == '#') continue;
    Series s;
    std::size_t brace = line.find('{');
    std::size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    if (brace != std::string_view::npos && brace < space) {
      s.name = line.substr(0, brace);
      std::size_t close = line.rfind('}');
      std::string_view labels = line.substr(brace + 1, close - brace - 1);
      // name="value" pairs; albatross's label values never hold quotes or commas.
      while (!labels.empty()) {
        std::size_t eq = labels.find("=\"");
        std::size_t end = labels.find('"', eq + 2);
        if (eq == std::string_view::npos || end == std::string_view::npos) break;
        s.labels[std::string(labels.substr(0, eq))] = labels.substr(eq + 2, end - eq - 2);
        labels.remove_prefix(std::min(labels.size(), end + 2));  // past `",`
      }
    } else {
      s.name = line.substr(0, space);
    }
    s.value = std::strtod(std::string(line.substr(space + 1)).c_str(), nullptr);
    series_.push_back(std::move(s));
  }
}

double MetricsPage::sum(std::string_view name, const Labels& labels) const {
  double total = 0;
  for (const Series& s : series_) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) {
        match = false;
        break;
      }
    }
    if (match) total += s.value;
  }
  return total;
}

}  // namespace albatross::testing
