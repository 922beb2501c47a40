#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace albatross::config {

// The set of HTTP status codes a health check accepts, written as ALB writes it:
// "200", "200,202", "200-399" or a mix ("200,300-302"). Codes must lie in 200..499.
class StatusMatcher {
 public:
  struct Range {
    int first = 200;
    int last = 200;
  };

  StatusMatcher() = default;
  static std::optional<StatusMatcher> parse(std::string_view text, std::string* error = nullptr);

  bool matches(int status) const;
  const std::vector<Range>& ranges() const { return ranges_; }
  std::string to_string() const;

 private:
  std::vector<Range> ranges_{Range{200, 200}};
};

}  // namespace albatross::config
