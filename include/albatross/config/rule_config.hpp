#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/cidr.hpp"

namespace albatross::config {

// ALB's limits on listener rules (alb-behaviour.md §5).
inline constexpr int kMaxRulePriority = 50000;
inline constexpr std::size_t kMaxConditionValues = 5;  // per condition, OR-ed
inline constexpr std::size_t kMaxPatternLength = 128;  // host, path, header value; redirect parts
inline constexpr std::size_t kMaxFixedBody = 1024;

// A rule's `redirect` action: the five URL components, each text with #{protocol}, #{host},
// #{port}, #{path} (without its leading slash) and #{query} (without '?') standing for the
// request's. The defaults keep every component, so a redirect changes what it names.
struct RedirectConfig {
  static constexpr std::string_view kKeepProtocol = "#{protocol}";
  static constexpr std::string_view kKeepHost = "#{host}";
  static constexpr std::string_view kKeepPort = "#{port}";
  static constexpr std::string_view kKeepPath = "/#{path}";
  static constexpr std::string_view kKeepQuery = "#{query}";

  std::string protocol{kKeepProtocol};  // "http", "https" (lower-cased) or "#{protocol}"
  std::string port{kKeepPort};          // "1".."65535" or "#{port}"
  std::string host{kKeepHost};
  std::string path{kKeepPath};  // starts with '/'
  std::string query{kKeepQuery};
  int status = 301;  // 301 or 302

  // Why this redirect would send a request back to where it came from, on a listener of the
  // given scheme and port (0: not known yet, as for a port-0 bind), or "" if it changes the URL.
  // ALB's rule: protocol, host, port or path must change; a query alone does not count, as no
  // condition looks at the query, the same rule would match again.
  std::string loop_problem(bool listener_tls, std::uint16_t listener_port) const;
};

// A rule's `fixed_response` action: a response albatross serves itself.
struct FixedResponseConfig {
  int status = 0;  // 2XX, 4XX or 5XX
  std::string content_type = "text/plain";
  std::string body;  // at most kMaxFixedBody bytes
};

// One `header = { "Name" = [values] }` entry: the field (any occurrence) must match one value.
struct HeaderConditionConfig {
  std::string name;
  std::vector<std::string> values;
};

// [[listener.rule]]: conditions (each a list of at most kMaxConditionValues alternatives; all
// given conditions must hold) and exactly one action. Plain data, checked by parse/validate.
struct RuleConfig {
  int priority = 0;  // 1..kMaxRulePriority, unique per listener; lower is evaluated first
  std::vector<std::string> hosts;
  std::vector<std::string> paths;
  std::vector<std::string> methods;
  std::vector<HeaderConditionConfig> headers;
  std::vector<Cidr> source_ips;
  // Actions: exactly one is set.
  std::string target_group;
  std::optional<RedirectConfig> redirect;
  std::optional<FixedResponseConfig> fixed_response;
};

}  // namespace albatross::config
