#include "support/metrics_text.hpp"

#include <cmath>
#include <cstdlib>
#include <stdexcept>

namespace albatross::testing {
namespace {

bool name_char(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  return alpha || (!first && c >= '0' && c <= '9');
}

std::string_view take_name(std::string_view& rest) {
  std::size_t n = 0;
  while (n < rest.size() && name_char(rest[n], n == 0))
    ++n;
  std::string_view name = rest.substr(0, n);
  rest.remove_prefix(n);
  return name;
}

// The family a sample belongs to: histogram and summary series carry a suffix.
std::string family_of(const std::string& sample, const std::map<std::string, std::string>& types) {
  if (types.contains(sample)) return sample;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (sample.size() > suffix.size() && sample.ends_with(suffix)) {
      std::string base = sample.substr(0, sample.size() - suffix.size());
      if (types.contains(base)) return base;
    }
  }
  return {};
}

}  // namespace

MetricsText MetricsText::parse(std::string_view text) {
  MetricsText out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
      throw std::runtime_error("metrics: the page does not end with a newline");
    }
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    auto fail = [&](std::string_view why) {
      throw std::runtime_error("metrics line " + std::to_string(line_number) + ": " +
                               std::string(why) + ": " + std::string(line));
    };
    if (line.empty()) continue;
    if (line.starts_with("# TYPE ")) {
      std::string_view rest = line.substr(7);
      std::string_view name = take_name(rest);
      if (name.empty() || !rest.starts_with(' ')) fail("bad TYPE line");
      std::string type(rest.substr(1));
      if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
          type != "untyped") {
        fail("unknown type");
      }
      out.families_[std::string(name)] = type;
      continue;
    }
    if (line.starts_with('#')) continue;  // HELP and comments
    Sample sample;
    std::string_view rest = line;
    sample.name = std::string(take_name(rest));
    if (sample.name.empty()) fail("no metric name");
    if (rest.starts_with('{')) {
      rest.remove_prefix(1);
      while (!rest.starts_with('}')) {
        std::string key(take_name(rest));
        if (key.empty() || !rest.starts_with("=\"")) fail("bad label");
        rest.remove_prefix(2);
        std::string value;
        while (!rest.empty() && rest.front() != '"') {
          if (rest.front() == '\\' && rest.size() > 1) {
            rest.remove_prefix(1);
            value.push_back(rest.front() == 'n' ? '\n' : rest.front());
          } else {
            value.push_back(rest.front());
          }
          rest.remove_prefix(1);
        }
        if (rest.empty()) fail("unterminated label value");
        rest.remove_prefix(1);
        if (!sample.labels.emplace(std::move(key), std::move(value)).second) {
          fail("duplicate label");
        }
        if (rest.starts_with(',')) rest.remove_prefix(1);
        if (rest.empty()) fail("unterminated label set");
      }
      rest.remove_prefix(1);
    }
    if (!rest.starts_with(' ')) fail("no value");
    rest.remove_prefix(1);
    std::string number(rest.substr(0, rest.find(' ')));  // an optional timestamp follows
    if (number == "+Inf" || number == "-Inf" || number == "NaN") {
      sample.value = number == "NaN" ? NAN : (number == "+Inf" ? INFINITY : -INFINITY);
    } else {
      char* end = nullptr;
      sample.value = std::strtod(number.c_str(), &end);
      if (number.empty() || end != number.c_str() + number.size()) fail("bad value");
    }
    if (family_of(sample.name, out.families_).empty()) fail("sample without a # TYPE line");
    out.samples_.push_back(std::move(sample));
  }
  return out;
}

std::optional<double> MetricsText::sum(std::string_view name, const Labels& subset) const {
  std::optional<double> total;
  for (const Sample& s : samples_) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [key, value] : subset) {
      auto it = s.labels.find(key);
      if (it == s.labels.end() || it->second != value) {
        match = false;
        break;
      }
    }
    if (match) total = total.value_or(0.0) + s.value;
  }
  return total;
}

std::set<std::string> MetricsText::label_values(std::string_view name,
                                                std::string_view label) const {
  std::set<std::string> out;
  for (const Sample& s : samples_) {
    if (s.name != name) continue;
    if (auto it = s.labels.find(std::string(label)); it != s.labels.end()) out.insert(it->second);
  }
  return out;
}

}  // namespace albatross::testing
