#include "albatross/http/admission.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

#include "albatross/common/str_cat.hpp"
#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"

namespace albatross::http {
namespace {

// A listener forwarding to "app" by default, answering /old with a redirect and /gone with a
// fixed response.
RuleMatcher listener_rules() {
  std::string text = R"([[target_group]]
name = "app"
targets = ["127.0.0.1:9001"]
[[listener]]
name = "web"
bind = "127.0.0.1:8080"
target_group = "app"
[[listener.rule]]
priority = 10
path = "/old"
redirect = { path = "/new", status = "HTTP_301" }
[[listener.rule]]
priority = 20
path = "/gone"
fixed_response = { status = 410, content_type = "text/plain", body = "gone" }
)";
  config::ConfigErrors errors;
  config::Config config = config::parse(text, "a.toml", errors);
  if (errors.empty()) config::validate(config, errors);
  std::string all;
  for (const config::ConfigError& e : errors)
    all += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.empty(), all);
  std::map<std::string, std::size_t> routes;
  return RuleMatcher(config.listeners.at(0), [&](const std::string& group) {
    return routes.emplace(group, routes.size()).first->second;
  });
}

// `raw` must outlive the result (the head's views point into it); literals do.
Admission admit_raw(std::string_view raw, DesyncMode mode = DesyncMode::defensive,
                    bool closing = false) {
  static const RuleMatcher rules = listener_rules();
  RequestHead head;
  parse_request_head(raw, ParseOptions{}, head);
  RuleRequest request = RuleRequest::from(head, *parse_ip_address("127.0.0.1"));
  return admit(head, mode, rules, request, closing);
}

TEST_CASE("admit: a compliant request is forwarded by the default rule") {
  Admission a = admit_raw("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(a.kind == Admission::Kind::forward);
  REQUIRE(a.rule != nullptr);
  CHECK(a.rule->priority == 0);
  CHECK_FALSE(a.close);
}

TEST_CASE("admit: severe heads are refused and close, in every mode") {
  // Two differing Content-Lengths: no framing can be trusted (request smuggling).
  constexpr std::string_view raw =
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
  for (DesyncMode mode : {DesyncMode::monitor, DesyncMode::defensive, DesyncMode::strictest}) {
    Admission a = admit_raw(raw, mode);
    CHECK(a.kind == Admission::Kind::respond);
    CHECK(a.status == 400);
    CHECK(a.close);
  }
}

TEST_CASE("admit: TRACE is answered 405, closing only when a body is pending") {
  Admission a = admit_raw("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(a.kind == Admission::Kind::respond);
  CHECK(a.status == 405);
  CHECK_FALSE(a.close);
  Admission with_body = admit_raw("TRACE / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n");
  CHECK(with_body.status == 405);
  CHECK(with_body.close);
}

TEST_CASE("admit: an Expect albatross cannot meet is answered 417 and closes") {
  Admission a =
      admit_raw("PUT / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\n");
  CHECK(a.kind == Admission::Kind::respond);
  CHECK(a.status == 417);
  CHECK(a.close);
}

TEST_CASE("admit: rule responses close when the connection cannot go on") {
  Admission redirect = admit_raw("GET /old HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(redirect.kind == Admission::Kind::rule_response);
  REQUIRE(redirect.rule != nullptr);
  CHECK(redirect.rule->priority == 10);
  CHECK_FALSE(redirect.close);
  CHECK(admit_raw("GET /gone HTTP/1.1\r\nHost: a\r\n\r\n").rule->priority == 20);
  CHECK(admit_raw("GET /gone HTTP/1.0\r\nHost: a\r\n\r\n").close);
  CHECK(admit_raw("GET /gone HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").close);
  CHECK(admit_raw("POST /gone HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n").close);
  CHECK(admit_raw("GET /gone HTTP/1.1\r\nHost: a\r\n\r\n", DesyncMode::defensive, true).close);
}

TEST_CASE("admit: draining does not close a forwarded exchange by itself") {
  Admission a = admit_raw("GET / HTTP/1.1\r\nHost: a\r\n\r\n", DesyncMode::defensive, true);
  CHECK(a.kind == Admission::Kind::forward);
  CHECK_FALSE(a.close);  // the response stage closes the client side (ResponsePlan)
}

}  // namespace
}  // namespace albatross::http
