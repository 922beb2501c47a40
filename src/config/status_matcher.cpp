#include "albatross/config/status_matcher.hpp"

#include "albatross/common/str_cat.hpp"

namespace albatross::config {
namespace {

std::optional<int> parse_code(std::string_view text) {
  if (text.size() != 3) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<StatusMatcher> StatusMatcher::parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<StatusMatcher> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  StatusMatcher matcher;
  matcher.ranges_.clear();
  std::string_view rest = text;
  while (true) {
    auto comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    auto dash = item.find('-');
    std::optional<int> first = parse_code(item.substr(0, dash));
    std::optional<int> last =
        dash == std::string_view::npos ? first : parse_code(item.substr(dash + 1));
    if (!first || !last) {
      return fail(str_cat("invalid matcher \"", text,
                          "\": expected codes like \"200\", \"200,202\" or \"200-399\""));
    }
    if (*first < 200 || *last > 499) {
      return fail(str_cat("invalid matcher \"", text, "\": codes must be within 200..499"));
    }
    if (*first > *last) {
      return fail(str_cat("invalid matcher \"", text, "\": range \"", item, "\" is reversed"));
    }
    matcher.ranges_.push_back(Range{*first, *last});
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return matcher;
}

bool StatusMatcher::matches(int status) const {
  for (const Range& r : ranges_) {
    if (status >= r.first && status <= r.last) return true;
  }
  return false;
}

std::string StatusMatcher::to_string() const {
  std::string out;
  for (const Range& r : ranges_) {
    if (!out.empty()) out.push_back(',');
    str_append(out, r.first);
    if (r.last != r.first) str_append(out, str_cat('-', r.last));
  }
  return out;
}

}  // namespace albatross::config
