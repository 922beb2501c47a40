#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/cidr.hpp"
#include "albatross/config/listener_config.hpp"
#include "albatross/http/field.hpp"
#include "albatross/http/fixed_response.hpp"
#include "albatross/http/redirect_template.hpp"
#include "albatross/http/request_head.hpp"
#include "albatross/http/wildcard_pattern.hpp"

namespace albatross::http {

// What listener rules look at in one request: views into its head, and the client's address
// (the TCP peer, never X-Forwarded-For). Built per exchange without allocating.
struct RuleRequest {
  std::string_view method;
  std::string_view host;   // the Host field without its port ("" when absent)
  std::string_view path;   // the request target's path, without the query
  std::string_view query;  // without the '?'
  std::span<const Field> fields;
  IpAddress client;

  static RuleRequest from(const RequestHead& head, const IpAddress& client);
};

// A rule's action. `route` indexes the listener context's routes (forward); the redirect or
// fixed response is compiled in place.
struct RuleAction {
  enum class Kind : std::uint8_t { forward, redirect, fixed_response };
  Kind kind = Kind::forward;
  std::size_t route = 0;
  std::optional<RedirectTemplate> redirect;
  std::optional<FixedResponse> fixed_response;

  // ALB's actions_executed word: "forward", "redirect", "fixed-response".
  std::string_view name() const;
};

// One compiled rule: conditions AND-ed, the values of each condition OR-ed; an absent
// condition holds for every request. Host and header-value patterns are stored lower case.
struct Rule {
  struct HeaderCondition {
    std::string name;
    std::vector<WildcardPattern> values;
  };
  int priority = 0;  // 0: the listener's default rule (no conditions)
  std::vector<WildcardPattern> hosts;
  std::vector<WildcardPattern> paths;
  std::vector<std::string> methods;
  std::vector<HeaderCondition> headers;
  std::vector<Cidr> source_ips;
  RuleAction action;

  bool matches(const RuleRequest& request) const;
};

// A listener's rules, compiled when the snapshot is built: ordered by priority, lowest first,
// with the default rule (the listener's target_group, or its redirect_to_https) last. match()
// returns the first rule whose conditions hold; it allocates nothing and takes no lock.
// Immutable, any thread.
class RuleMatcher {
 public:
  // A matcher of only a default rule forwarding to route 0.
  RuleMatcher();
  // `route_of` maps a target group name (validated to exist) to the route index forwarding to
  // it. Expects a listener that passed config::validate().
  RuleMatcher(const config::ListenerConfig& listener,
              const std::function<std::size_t(const std::string&)>& route_of);

  const Rule& match(const RuleRequest& request) const;
  std::span<const Rule> rules() const { return rules_; }
  std::size_t index_of(const Rule& rule) const {
    return static_cast<std::size_t>(&rule - rules_.data());
  }

 private:
  std::vector<Rule> rules_;
};

}  // namespace albatross::http
