#pragma once

#include <cstddef>

#include "albatross/http/proxy_settings.hpp"
#include "albatross/http/request_head.hpp"
#include "albatross/http/rule_matcher.hpp"

namespace albatross::http {

// The first stage of an exchange: what to do with a parsed request head, before any target is
// involved. Decides desync mitigation (alb-behaviour §4.7 of the design notes: severe heads are
// refused, strictest refuses acceptable ones, defensive closes after ambiguous ones), the
// requests albatross answers itself (TRACE, unsupported Expect) and the listener rule.
struct Admission {
  enum class Kind : std::uint8_t {
    respond,        // albatross answers `status` itself
    rule_response,  // the matched rule's redirect or fixed response
    forward         // on to `rule->action.route`
  };
  Kind kind = Kind::respond;
  int status = 0;  // respond only
  // respond / rule_response: close the connection after answering. forward: close after the
  // exchange whatever the target says (an ambiguous head in defensive mode).
  bool close = false;
  const Rule* rule = nullptr;  // rule_response and forward
};

// Pure: no I/O, no counters. `closing`: the connection ends after this exchange anyway (the
// worker drains or the listener was retired).
Admission admit(const RequestHead& head, DesyncMode mode, const RuleMatcher& rules,
                const RuleRequest& request, bool closing);

}  // namespace albatross::http
