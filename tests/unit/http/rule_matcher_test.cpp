#include "albatross/http/rule_matcher.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

#include "albatross/common/str_cat.hpp"
#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"

namespace albatross::http {
namespace {

// Routes by target group name, in order of first use.
struct Routes {
  std::map<std::string, std::size_t> index;
  std::size_t operator()(const std::string& group) {
    return index.emplace(group, index.size()).first->second;
  }
};

// A listener "web" forwarding to "app" by default, with `rules` after it.
config::ListenerConfig listener_with(std::string_view rules,
                                     std::string_view listener_keys = "target_group = \"app\"") {
  std::string text = str_cat(R"([[target_group]]
name = "app"
targets = ["127.0.0.1:9001"]
[[target_group]]
name = "api"
targets = ["127.0.0.1:9002"]
[[target_group]]
name = "canary"
targets = ["127.0.0.1:9003"]
[[listener]]
name = "web"
bind = "127.0.0.1:8080"
)",
                             listener_keys, "\n", rules);
  config::ConfigErrors errors;
  config::Config config = config::parse(text, "m.toml", errors);
  if (errors.empty()) config::validate(config, errors);
  std::string all;
  for (const config::ConfigError& e : errors)
    all += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.empty(), all);
  return config.listeners.at(0);
}

IpAddress ip(std::string_view text) {
  return *parse_ip_address(text);
}

// A request head with views into `storage`-free literals.
struct Request {
  std::string_view method = "GET";
  std::string_view target = "/";
  std::string_view host = "www.example.com";
  std::vector<Field> fields;
  IpAddress client = ip("127.0.0.1");

  RuleRequest rule_request() const {
    RequestHead head;
    head.method = method;
    head.target = target;
    head.host = host;
    head.fields = fields;
    RuleRequest request = RuleRequest::from(head, client);
    request.fields = fields;  // `head` goes away; the fields live here
    return request;
  }
};

// The priority of the rule `request` matches (0: the default rule).
int matched(const RuleMatcher& matcher, const Request& request) {
  return matcher.match(request.rule_request()).priority;
}

TEST_CASE("RuleRequest: host without port, path without query, absolute-form targets") {
  Request r;
  r.host = "Example.COM:8080";
  r.target = "/a/b?x=1&y=2";
  RuleRequest q = r.rule_request();
  CHECK(q.host == "Example.COM");
  CHECK(q.path == "/a/b");
  CHECK(q.query == "x=1&y=2");
  r.host = "[::1]:8080";
  r.target = "http://other.example/p/q?z";
  q = r.rule_request();
  CHECK(q.host == "[::1]");
  CHECK(q.path == "/p/q");
  CHECK(q.query == "z");
  r.target = "http://other.example";
  CHECK(r.rule_request().path == "/");
  r.target = "http://other.example?k=v";
  q = r.rule_request();
  CHECK(q.path == "/");
  CHECK(q.query == "k=v");
  r.target = "*";
  CHECK(r.rule_request().path == "*");
  r.target = "/no-query?";
  q = r.rule_request();
  CHECK(q.path == "/no-query");
  CHECK(q.query.empty());
}

TEST_CASE("without rules every request takes the default rule") {
  Routes routes;
  RuleMatcher matcher(listener_with(""), std::ref(routes));
  REQUIRE(matcher.rules().size() == 1);
  const Rule& rule = matcher.match(Request().rule_request());
  CHECK(rule.priority == 0);
  CHECK(rule.action.kind == RuleAction::Kind::forward);
  CHECK(rule.action.route == routes.index.at("app"));
  CHECK(rule.action.name() == "forward");
  CHECK(matcher.index_of(rule) == 0);
  RuleMatcher bare;  // before any snapshot: forward to route 0
  CHECK(bare.match(Request().rule_request()).action.route == 0);
}

TEST_CASE("rules are evaluated by priority, lowest first, whatever their file order") {
  Routes routes;
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 30
path = "/api/*"
target_group = "app"
[[listener.rule]]
priority = 10
path = "/api/v2/*"
target_group = "canary"
[[listener.rule]]
priority = 20
path = ["/api/*", "/v1/*"]
target_group = "api"
)"),
                      std::ref(routes));
  REQUIRE(matcher.rules().size() == 4);
  CHECK(matcher.rules()[0].priority == 10);
  CHECK(matcher.rules()[1].priority == 20);
  CHECK(matcher.rules()[2].priority == 30);
  CHECK(matcher.rules()[3].priority == 0);
  Request r;
  r.target = "/api/v2/x";
  CHECK(matched(matcher, r) == 10);
  CHECK(matcher.match(r.rule_request()).action.route == routes.index.at("canary"));
  r.target = "/api/v1/x";
  CHECK(matched(matcher, r) == 20);
  CHECK(matcher.match(r.rule_request()).action.route == routes.index.at("api"));
  r.target = "/v1/x?q=/api/";
  CHECK(matched(matcher, r) == 20);
  r.target = "/static/api/x";
  CHECK(matched(matcher, r) == 0);
  CHECK(matcher.index_of(matcher.match(r.rule_request())) == 3);
}

TEST_CASE("host: case-insensitive with wildcards, compared without the port") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 1
host = ["api.example.com", "*.API.example.com", "v?.example.org"]
target_group = "api"
)"),
                      Routes());
  Request r;
  for (std::string_view host : {"api.example.com", "API.Example.Com", "api.example.com:8080",
                                "x.api.example.com", "a.b.api.example.com:443", "v1.example.org"}) {
    r.host = host;
    CHECK_MESSAGE(matched(matcher, r) == 1, host);
  }
  for (std::string_view host : {"example.com", "api.example.com.evil", "xapi.example.com",
                                "v10.example.org", "", "api.example.co"}) {
    r.host = host;
    CHECK_MESSAGE(matched(matcher, r) == 0, host);
  }
}

TEST_CASE("path: case-sensitive, without the query") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 1
path = ["/Admin/*", "*.php"]
fixed_response = { status = 403 }
)"),
                      Routes());
  Request r;
  r.target = "/Admin/users";
  CHECK(matched(matcher, r) == 1);
  r.target = "/admin/users";
  CHECK(matched(matcher, r) == 0);
  r.target = "/index.php?x=1";
  CHECK(matched(matcher, r) == 1);
  r.target = "/index.html?x=a.php";
  CHECK(matched(matcher, r) == 0);
  CHECK(matcher.match(Request{.target = "/x.php"}.rule_request()).action.name() ==
        "fixed-response");
}

TEST_CASE("method: exact and case-sensitive") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 1
method = ["POST", "PURGE"]
target_group = "api"
)"),
                      Routes());
  CHECK(matched(matcher, {.method = "POST"}) == 1);
  CHECK(matched(matcher, {.method = "PURGE"}) == 1);
  CHECK(matched(matcher, {.method = "post"}) == 0);
  CHECK(matched(matcher, {.method = "GET"}) == 0);
  CHECK(matched(matcher, {.method = "POSTX"}) == 0);
}

TEST_CASE("header: name case-insensitive, value wildcards case-insensitive, any occurrence") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 1
header = { "X-Canary" = ["1", "yes*"] }
target_group = "canary"
)"),
                      Routes());
  Request r;
  r.fields = {{"x-canary", "1"}};
  CHECK(matched(matcher, r) == 1);
  r.fields = {{"X-CANARY", "YES please"}};
  CHECK(matched(matcher, r) == 1);
  r.fields = {{"X-Canary", "0"}, {"Accept", "*/*"}, {"X-Canary", "1"}};
  CHECK(matched(matcher, r) == 1);
  r.fields = {{"X-Canary", "0"}};
  CHECK(matched(matcher, r) == 0);
  r.fields = {{"X-Canary-Not", "1"}};
  CHECK(matched(matcher, r) == 0);
  r.fields = {};
  CHECK(matched(matcher, r) == 0);
}

TEST_CASE("source_ip: the client's address against IPv4 and IPv6 networks") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 1
source_ip = ["10.0.0.0/8", "2001:db8::/32"]
fixed_response = { status = 200, body = "inside" }
)"),
                      Routes());
  CHECK(matched(matcher, {.client = ip("10.1.2.3")}) == 1);
  CHECK(matched(matcher, {.client = ip("2001:db8:1::9")}) == 1);
  std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 9, 9, 9};
  CHECK(matched(matcher, {.client = IpAddress::from_v6(mapped)}) == 1);
  CHECK(matched(matcher, {.client = ip("11.0.0.1")}) == 0);
  CHECK(matched(matcher, {.client = ip("127.0.0.1")}) == 0);
  CHECK(matched(matcher, {.client = ip("2001:db9::1")}) == 0);
}

TEST_CASE("conditions are AND-ed; values within one condition OR-ed") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 5
host = ["a.example.com", "b.example.com"]
path = "/api/*"
method = ["GET", "HEAD"]
header = { "X-Env" = "prod", "X-Team" = ["blue", "green"] }
source_ip = "127.0.0.0/8"
target_group = "api"
)"),
                      Routes());
  Request all{.method = "HEAD",
              .target = "/api/x",
              .host = "b.example.com",
              .fields = {{"X-Team", "green"}, {"X-Env", "PROD"}},
              .client = ip("127.0.0.2")};
  CHECK(matched(matcher, all) == 5);
  Request r = all;
  r.host = "c.example.com";
  CHECK(matched(matcher, r) == 0);
  r = all;
  r.target = "/web/x";
  CHECK(matched(matcher, r) == 0);
  r = all;
  r.method = "POST";
  CHECK(matched(matcher, r) == 0);
  r = all;
  r.fields = {{"X-Env", "prod"}};  // X-Team missing
  CHECK(matched(matcher, r) == 0);
  r = all;
  r.client = ip("10.0.0.1");
  CHECK(matched(matcher, r) == 0);
}

TEST_CASE("actions: redirect and fixed responses are compiled; redirect_to_https is the default") {
  RuleMatcher matcher(listener_with(R"(
[[listener.rule]]
priority = 2
path = "/old/*"
redirect = { path = "/new/#{path}", status = 302 }
[[listener.rule]]
priority = 3
path = "/down"
fixed_response = { status = 503, body = "maintenance" }
)",
                                    "redirect_to_https = true\nhttps_port = 8443"),
                      Routes());
  const Rule& redirect = matcher.match(Request{.target = "/old/x"}.rule_request());
  CHECK(redirect.action.name() == "redirect");
  REQUIRE(redirect.action.redirect);
  CHECK(redirect.action.redirect->status() == 302);
  std::string url;
  REQUIRE(redirect.action.redirect->render({"http", "h", "8080", "old/x", ""}, url));
  CHECK(url == "http://h:8080/new/old/x");
  const Rule& fixed = matcher.match(Request{.target = "/down"}.rule_request());
  REQUIRE(fixed.action.fixed_response);
  CHECK(fixed.action.fixed_response->status() == 503);
  const Rule& fallback = matcher.match(Request{.target = "/other?q=1"}.rule_request());
  CHECK(fallback.priority == 0);
  REQUIRE(fallback.action.redirect);
  CHECK(fallback.action.redirect->status() == 301);
  url.clear();
  REQUIRE(fallback.action.redirect->render({"http", "h", "8080", "other", "q=1"}, url));
  CHECK(url == "https://h:8443/other?q=1");
}

}  // namespace
}  // namespace albatross::http
