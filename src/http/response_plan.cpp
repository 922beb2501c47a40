#include "albatross/http/response_plan.hpp"

namespace albatross::http {

ClientFraming framing_for(ResponseBody body, bool client_http10) {
  switch (body) {
    case ResponseBody::none:
      return ClientFraming::none;
    case ResponseBody::content_length:
      return ClientFraming::content_length;
    case ResponseBody::chunked:
    case ResponseBody::until_close:
      return client_http10 ? ClientFraming::until_close : ClientFraming::chunked;
  }
  return ClientFraming::until_close;
}

ResponsePlan ResponsePlan::of(const ResponseHead& response, const RequestFacts& request,
                              bool closing, bool close_both, bool body_sent) {
  ResponsePlan plan;
  plan.upgrade = response.status == 101;
  plan.framing = framing_for(response.body, request.http10);
  plan.client_keep_alive = request.keep_alive && !closing && !close_both && !plan.upgrade &&
                           plan.framing != ClientFraming::until_close &&
                           // an unread request body (the target answered early) cannot be skipped
                           (body_sent || request.body == BodyKind::none);
  plan.upstream_keep_alive = response.keep_alive && !close_both && body_sent && !plan.upgrade &&
                             response.body != ResponseBody::until_close;
  return plan;
}

}  // namespace albatross::http
