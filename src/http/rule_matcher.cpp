#include "albatross/http/rule_matcher.hpp"

#include <algorithm>

#include "albatross/common/ascii.hpp"

namespace albatross::http {
namespace {

// The path and query of a request target: origin form ("/p?q"), absolute form
// ("http://host/p?q", whose authority is skipped) or anything else ("*") taken whole.
void split_target(std::string_view target, std::string_view& path, std::string_view& query) {
  if (!target.empty() && target.front() != '/') {
    std::size_t scheme_end = target.find("://");
    if (scheme_end != std::string_view::npos) {
      std::size_t slash = target.find_first_of("/?", scheme_end + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      if (target.front() == '?') {
        path = "/";
        query = target.substr(1);
        return;
      }
    }
  }
  std::size_t question = target.find('?');
  path = target.substr(0, question);
  query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
}

// "host:port" -> "host"; "[v6]:port" -> "[v6]".
std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

template <typename Patterns>
bool any_matches(const Patterns& patterns, std::string_view text) {
  for (const WildcardPattern& pattern : patterns) {
    if (pattern.matches(text)) return true;
  }
  return false;
}

std::vector<WildcardPattern> compile_patterns(const std::vector<std::string>& texts,
                                              bool case_insensitive) {
  std::vector<WildcardPattern> patterns;
  patterns.reserve(texts.size());
  for (const std::string& text : texts)
    patterns.emplace_back(text, case_insensitive);
  return patterns;
}

}  // namespace

RuleRequest RuleRequest::from(const RequestHead& head, const IpAddress& client) {
  RuleRequest request;
  request.method = head.method;
  request.host = host_without_port(head.host);
  split_target(head.target, request.path, request.query);
  request.fields = head.fields;
  request.client = client;
  return request;
}

std::string_view RuleAction::name() const {
  switch (kind) {
    case Kind::forward:
      return "forward";
    case Kind::redirect:
      return "redirect";
    case Kind::fixed_response:
      return "fixed-response";
  }
  return "forward";
}

bool Rule::matches(const RuleRequest& request) const {
  if (!methods.empty() &&
      std::find(methods.begin(), methods.end(), request.method) == methods.end()) {
    return false;
  }
  if (!source_ips.empty() &&
      std::none_of(source_ips.begin(), source_ips.end(),
                   [&](const Cidr& cidr) { return cidr.contains(request.client); })) {
    return false;
  }
  if (!hosts.empty() && !any_matches(hosts, request.host)) return false;
  if (!paths.empty() && !any_matches(paths, request.path)) return false;
  // Every field line is evaluated, forwarded or not; any occurrence of the name may match.
  for (const HeaderCondition& condition : headers) {
    bool found = false;
    for (const Field& field : request.fields) {
      if (ascii::iequals(field.name, condition.name) &&
          any_matches(condition.values, field.value)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

RuleMatcher::RuleMatcher() {
  rules_.emplace_back();
}

RuleMatcher::RuleMatcher(const config::ListenerConfig& listener,
                         const std::function<std::size_t(const std::string&)>& route_of) {
  rules_.reserve(listener.rules.size() + 1);
  for (const config::RuleConfig& config : listener.rules) {
    Rule& rule = rules_.emplace_back();
    rule.priority = config.priority;
    rule.hosts = compile_patterns(config.hosts, /*case_insensitive=*/true);
    rule.paths = compile_patterns(config.paths, /*case_insensitive=*/false);
    rule.methods = config.methods;
    for (const config::HeaderConditionConfig& header : config.headers) {
      rule.headers.push_back({header.name, compile_patterns(header.values, true)});
    }
    rule.source_ips = config.source_ips;
    if (config.redirect) {
      rule.action.kind = RuleAction::Kind::redirect;
      rule.action.redirect.emplace(*config.redirect);
    } else if (config.fixed_response) {
      rule.action.kind = RuleAction::Kind::fixed_response;
      rule.action.fixed_response.emplace(*config.fixed_response);
    } else {
      rule.action.route = route_of(config.target_group);
    }
  }
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const Rule& a, const Rule& b) { return a.priority < b.priority; });
  Rule& fallback = rules_.emplace_back();
  if (listener.redirect_to_https) {
    config::RedirectConfig https;
    https.protocol = "https";
    https.port = std::to_string(listener.https_port);
    fallback.action.kind = RuleAction::Kind::redirect;
    fallback.action.redirect.emplace(https);
  } else {
    fallback.action.route = route_of(listener.target_group);
  }
}

const Rule& RuleMatcher::match(const RuleRequest& request) const {
  for (std::size_t i = 0; i + 1 < rules_.size(); ++i) {
    if (rules_[i].matches(request)) return rules_[i];
  }
  return rules_.back();
}

}  // namespace albatross::http
