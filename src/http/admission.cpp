#include "albatross/http/admission.hpp"

namespace albatross::http {

Admission admit(const RequestHead& head, DesyncMode mode, const RuleMatcher& rules,
                const RuleRequest& request, bool closing) {
  Admission a;
  if (head.tier == Tier::severe) {
    a.status = head.error_status();
    a.close = true;
    return a;
  }
  if (mode == DesyncMode::strictest && head.tier >= Tier::acceptable) {
    a.status = 400;
    a.close = true;
    return a;
  }
  const bool close_after = head.tier == Tier::ambiguous && mode == DesyncMode::defensive;
  // An unread body cannot be skipped reliably: answering before it means closing.
  const bool body_pending = head.body != BodyKind::none;
  if (head.is_trace) {
    a.status = 405;
    a.close = body_pending || close_after;
    return a;
  }
  if (head.expect_unsupported) {
    a.status = 417;
    a.close = true;
    return a;
  }
  a.rule = &rules.match(request);
  if (a.rule->action.kind != RuleAction::Kind::forward) {
    a.kind = Admission::Kind::rule_response;
    a.close = body_pending || close_after || !head.keep_alive || head.version == 10 || closing;
    return a;
  }
  a.kind = Admission::Kind::forward;
  a.close = close_after;
  return a;
}

}  // namespace albatross::http
