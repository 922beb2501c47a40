// [[listener.rule]] and redirect_to_https: parsing (types, limits, unknown keys, every error
// with its key path), validation (priorities, target groups, loops) and RedirectConfig's loop
// check.
#include "albatross/config/rule_config.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "albatross/common/str_cat.hpp"
#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"

namespace albatross::config {
namespace {

constexpr std::string_view kFile = "r.toml";

constexpr std::string_view kHead = R"([[target_group]]
name = "app"
targets = ["127.0.0.1:9001"]

[[target_group]]
name = "api"
targets = ["127.0.0.1:9002"]

[[listener]]
name = "web"
bind = "127.0.0.1:8080"
target_group = "app"
)";

using Errors = std::vector<std::string>;

// Parse and validate errors of kHead followed by `rules`, rendered without the file name, or
// after `head` when given instead.
Errors errors_of(std::string_view rules, std::string_view head = kHead) {
  std::string text = std::string(head) + std::string(rules);
  ConfigErrors errors;
  Config config = parse(text, kFile, errors);
  if (errors.empty()) validate(config, errors);
  Errors rendered;
  for (const ConfigError& e : errors) {
    std::string line = e.to_string();
    rendered.push_back(line.substr(line.find(": ") + 2));  // "key.path: message"
  }
  return rendered;
}

Config parse_valid(std::string_view rules) {
  std::string text = std::string(kHead) + std::string(rules);
  ConfigErrors errors;
  Config config = parse(text, kFile, errors);
  validate(config, errors);
  std::string all;
  for (const ConfigError& e : errors)
    all += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.empty(), all);
  return config;
}

bool has_error(const Errors& errors, std::string_view text) {
  for (const std::string& e : errors) {
    if (e.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("parse reads every rule key, with ALB's spellings accepted") {
  Config config = parse_valid(R"(
[[listener.rule]]
priority = 10
host = ["api.example.com", "*.api.example.com"]
path = ["/api/*"]
method = ["GET", "POST"]
header = { "X-Canary" = ["1", "yes"], "X-Env" = "prod" }
source_ip = ["10.0.0.0/8", "2001:db8::/32"]
target_group = "api"

[[listener.rule]]
priority = 20
path = "/old/*"
redirect = { protocol = "HTTPS", port = 8443, host = "new.example.com", path = "/new/#{path}", query = "", status = "HTTP_302" }

[[listener.rule]]
priority = 5
method = "DELETE"
fixed_response = { status = 503, content_type = "application/json", body = '{"down":true}' }

[[listener.rule]]
priority = 6
path = "/x"
fixed_response = { status = 404 }
)");
  const ListenerConfig& l = config.listeners.at(0);
  REQUIRE(l.rules.size() == 4);
  const RuleConfig& forward = l.rules[0];
  CHECK(forward.priority == 10);
  CHECK(forward.hosts == std::vector<std::string>{"api.example.com", "*.api.example.com"});
  CHECK(forward.paths == std::vector<std::string>{"/api/*"});
  CHECK(forward.methods == std::vector<std::string>{"GET", "POST"});
  REQUIRE(forward.headers.size() == 2);
  CHECK(forward.headers[0].name == "X-Canary");
  CHECK(forward.headers[0].values == std::vector<std::string>{"1", "yes"});
  CHECK(forward.headers[1].values == std::vector<std::string>{"prod"});
  REQUIRE(forward.source_ips.size() == 2);
  CHECK(forward.source_ips[1].to_string() == "2001:db8::/32");
  CHECK(forward.target_group == "api");
  CHECK_FALSE(forward.redirect);
  CHECK_FALSE(forward.fixed_response);

  const RuleConfig& redirect = l.rules[1];
  REQUIRE(redirect.redirect);
  CHECK(redirect.redirect->protocol == "https");
  CHECK(redirect.redirect->port == "8443");
  CHECK(redirect.redirect->host == "new.example.com");
  CHECK(redirect.redirect->path == "/new/#{path}");
  CHECK(redirect.redirect->query == "");
  CHECK(redirect.redirect->status == 302);
  CHECK(redirect.target_group.empty());

  const RuleConfig& fixed = l.rules[2];
  REQUIRE(fixed.fixed_response);
  CHECK(fixed.fixed_response->status == 503);
  CHECK(fixed.fixed_response->content_type == "application/json");
  CHECK(fixed.fixed_response->body == R"({"down":true})");
  CHECK(l.rules[3].fixed_response->content_type == "text/plain");  // the default
  CHECK(l.rules[3].fixed_response->body.empty());
}

TEST_CASE("a redirect's components default to their placeholders") {
  Config config = parse_valid(R"(
[[listener.rule]]
priority = 1
host = "a.example.com"
redirect = { host = "b.example.com" }
)");
  const RedirectConfig& r = *config.listeners[0].rules[0].redirect;
  CHECK(r.protocol == "#{protocol}");
  CHECK(r.port == "#{port}");
  CHECK(r.host == "b.example.com");
  CHECK(r.path == "/#{path}");
  CHECK(r.query == "#{query}");
  CHECK(r.status == 301);
}

TEST_CASE("a rule needs a priority, at least one condition and exactly one action") {
  CHECK(errors_of("[[listener.rule]]\nhost = \"a\"\ntarget_group = \"api\"\n") ==
        Errors{"listener[0].rule[0].priority: missing required key"});
  CHECK(errors_of("[[listener.rule]]\npriority = 1\ntarget_group = \"api\"\n") ==
        Errors{"listener[0].rule[0]: a rule needs at least one condition (host, path, method, "
               "header, source_ip); the listener's own action is the default rule"});
  CHECK(errors_of("[[listener.rule]]\npriority = 1\nhost = \"a\"\n") ==
        Errors{"listener[0].rule[0]: a rule needs exactly one action: target_group, redirect "
               "or fixed_response (got 0)"});
  CHECK(errors_of("[[listener.rule]]\npriority = 1\nhost = \"a\"\ntarget_group = \"api\"\n"
                  "fixed_response = { status = 200 }\n") ==
        Errors{"listener[0].rule[0]: a rule needs exactly one action: target_group, redirect "
               "or fixed_response (got 2)"});
}

TEST_CASE("rule values are checked one by one, every error reported with its key path") {
  Errors errors = errors_of(R"(
[[listener.rule]]
priority = 0
host = ["ok.example.com", "bad host", 7]
path = ["/a", "/b", "/c", "/d", "/e", "/f"]
method = ["GET", "P OST"]
header = { "X Bad" = ["1"], "X-Ok" = [] }
source_ip = ["10.0.0.1/8", "300.0.0.0/8", "10.0.0.0"]
target_group = "api"
colour = "blue"

[[listener.rule]]
priority = 50001
path = "/x"
redirect = { protocol = "ftp", port = 0, host = "a/b", path = "x", query = "?q", status = 307, to = "x" }

[[listener.rule]]
priority = 2
path = "/y"
fixed_response = { status = 302, content_type = "plain", body = "x" }

[[listener.rule]]
priority = 3
path = "/z"
fixed_response = { content_type = "text/html; charset=utf-8" }

[[listener.rule]]
priority = 4
path = "/w"
fixed_response = { status = 204, body = "no" }
)");
  for (std::string_view expected : {
           "listener[0].rule[0].priority: must be between 1 and 50000 (got 0)",
           "listener[0].rule[0].host[1]: \"bad host\": a host may hold",
           "listener[0].rule[0].host[2]: expected a string, got an integer",
           "listener[0].rule[0].path: must list 1..5 values (got 6)",
           "listener[0].rule[0].method[1]: \"P OST\": a method is a token",
           "listener[0].rule[0].header.X Bad: a header field name is a token",
           "listener[0].rule[0].header.X-Ok: must list 1..5 values (got 0)",
           "listener[0].rule[0].source_ip[0]: \"10.0.0.1/8\": bits set beyond the /8 prefix",
           "listener[0].rule[0].source_ip[1]: \"300.0.0.0/8\": \"300.0.0.0\" is not an IPv4",
           "listener[0].rule[0].source_ip[2]: \"10.0.0.0\": expected \"address/prefix\"",
           "listener[0].rule[0].colour: unknown key",
           "listener[0].rule[1].priority: must be between 1 and 50000 (got 50001)",
           "listener[0].rule[1].redirect.protocol: must be \"HTTP\", \"HTTPS\" or \"#{protocol}\"",
           "listener[0].rule[1].redirect.port: must be a port number 1..65535 or \"#{port}\"",
           "listener[0].rule[1].redirect.host: must not contain '/'",
           "listener[0].rule[1].redirect.path: must start with \"/\"",
           "listener[0].rule[1].redirect.query: is written without the leading \"?\"",
           "listener[0].rule[1].redirect.status: must be 301 or 302",
           "listener[0].rule[1].redirect.to: unknown key",
           "listener[0].rule[2].fixed_response.status: must be a 2XX, 4XX or 5XX code (got 302)",
           "listener[0].rule[2].fixed_response.content_type: must be a media type",
           "listener[0].rule[3].fixed_response.status: missing required key",
           "listener[0].rule[4].fixed_response.body: a 204 response has no body",
       }) {
    CHECK_MESSAGE(has_error(errors, expected), expected);
  }
  CHECK(errors.size() == 23);
}

TEST_CASE("limits: 5 values per condition, 128 characters per pattern, 1024 body bytes") {
  CHECK(errors_of("[[listener.rule]]\npriority = 1\nmethod = [\"A\", \"B\", \"C\", \"D\", \"E\"]\n"
                  "target_group = \"api\"\n")
            .empty());
  std::string long_host(129, 'a');
  CHECK(errors_of("[[listener.rule]]\npriority = 1\nhost = \"" + long_host +
                  "\"\ntarget_group = \"api\"\n") ==
        Errors{"listener[0].rule[0].host: \"" + long_host + "\": longer than 128 characters"});
  std::string body(1025, 'x');
  CHECK(errors_of("[[listener.rule]]\npriority = 1\npath = \"/\"\nfixed_response = { status = "
                  "200, body = \"" +
                  body + "\" }\n") ==
        Errors{"listener[0].rule[0].fixed_response.body: longer than 1024 bytes (got 1025)"});
  CHECK(errors_of("[[listener.rule]]\npriority = 1\npath = \"/\"\nfixed_response = { status = "
                  "200, body = \"" +
                  std::string(1024, 'x') + "\" }\n")
            .empty());
  CHECK(has_error(errors_of("[[listener.rule]]\npriority = 1\npath = \"/\"\nredirect = { host = "
                            "\"#{hostname}\" }\n"),
                  "listener[0].rule[0].redirect.host: unknown placeholder \"#{hostname}\""));
}

TEST_CASE("validate: duplicate priorities, unknown target groups, all reported at once") {
  Errors errors = errors_of(R"(
[[listener.rule]]
priority = 10
path = "/a"
target_group = "api"

[[listener.rule]]
priority = 10
path = "/b"
target_group = "missing"

[[listener.rule]]
priority = 11
path = "/c"
target_group = "api"

[[listener.rule]]
priority = 11
path = "/d"
fixed_response = { status = 200 }
)");
  CHECK(errors == Errors{"listener[0].rule[1].priority: duplicate priority 10 (first used at "
                         "listener[0].rule[0])",
                         "listener[0].rule[1].target_group: unknown target group \"missing\"",
                         "listener[0].rule[3].priority: duplicate priority 11 (first used at "
                         "listener[0].rule[2])"});
  // Priorities are per listener.
  CHECK(errors_of(R"(
[[listener.rule]]
priority = 10
path = "/a"
target_group = "api"

[[listener]]
name = "other"
bind = "127.0.0.1:8081"
target_group = "app"

[[listener.rule]]
priority = 10
path = "/a"
target_group = "api"
)")
            .empty());
}

TEST_CASE("validate refuses redirects that loop and HTTPS to HTTP") {
  auto redirect_error = [](std::string_view redirect) {
    return errors_of(
        str_cat("[[listener.rule]]\npriority = 1\npath = \"/a\"\nredirect = ", redirect, "\n"));
  };
  CHECK(redirect_error("{}") ==
        Errors{"listener[0].rule[0].redirect: redirects every request to itself: change at "
               "least one of protocol, host, port, path"});
  CHECK(redirect_error("{ query = \"x=1\" }").size() == 1);  // the same rule matches again
  CHECK(redirect_error("{ protocol = \"HTTP\", port = \"8080\" }") ==
        Errors{"listener[0].rule[0].redirect: redirects to the same listener with the same host "
               "and path, where the rule matches again (a loop): change at least one of "
               "protocol, host, port, path"});
  CHECK(redirect_error("{ protocol = \"https\" }").empty());
  CHECK(redirect_error("{ port = \"8081\" }").empty());
  CHECK(redirect_error("{ host = \"www.#{host}\" }").empty());
  CHECK(redirect_error("{ path = \"/v2/#{path}\" }").empty());
  // An HTTPS listener may redirect to HTTPS only (ALB).
  CHECK(errors_of("[listener.tls]\ncertificate = \"c.pem\"\nprivate_key = \"k.pem\"\n"
                  "[[listener.rule]]\npriority = 1\npath = \"/a\"\n"
                  "redirect = { protocol = \"http\", port = \"80\" }\n") ==
        Errors{"listener[0].rule[0].redirect.protocol: a redirect from an HTTPS listener to "
               "HTTP is not allowed"});
}

TEST_CASE("RedirectConfig::loop_problem knows the listener's scheme and port") {
  RedirectConfig same;
  CHECK_FALSE(same.loop_problem(false, 80).empty());
  RedirectConfig http80;
  http80.protocol = "http";
  http80.port = "80";
  CHECK_FALSE(http80.loop_problem(false, 80).empty());
  CHECK(http80.loop_problem(true, 80).empty());     // HTTPS listener: the protocol changes
  CHECK(http80.loop_problem(false, 8080).empty());  // another port
  CHECK(http80.loop_problem(false, 0).empty());     // port not known (bound at start)
  RedirectConfig https443 = http80;
  https443.protocol = "https";
  https443.port = "443";
  CHECK_FALSE(https443.loop_problem(true, 443).empty());
  CHECK(https443.loop_problem(false, 80).empty());  // the canonical HTTP -> HTTPS redirect
}

TEST_CASE("redirect_to_https: plain listeners only, instead of target_group; https_port") {
  constexpr std::string_view kGroups = R"([[target_group]]
name = "app"
targets = ["127.0.0.1:9001"]
)";
  std::string base = std::string(kGroups) +
                     "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:8080\"\n"
                     "redirect_to_https = true\n";
  {
    ConfigErrors errors;
    Config config = parse(base + "https_port = 8443\n", kFile, errors);
    validate(config, errors);
    CHECK(errors.empty());
    CHECK(config.listeners[0].redirect_to_https);
    CHECK(config.listeners[0].https_port == 8443);
  }
  CHECK(errors_of("target_group = \"app\"\n", base) ==
        Errors{"listener[0].target_group: cannot be combined with redirect_to_https = true, "
               "which is the default rule's action"});
  CHECK(errors_of("https_port = 0\n", base) ==
        Errors{"listener[0].https_port: must be between 1 and 65535 (got 0)"});
  CHECK(errors_of("https_port = 8443\n") ==
        Errors{"listener[0].https_port: is used only with redirect_to_https = true"});
  CHECK(errors_of("[listener.tls]\ncertificate = \"c.pem\"\nprivate_key = \"k.pem\"\n", base) ==
        Errors{"listener[0].redirect_to_https: is for plain HTTP listeners (this one has "
               "[listener.tls])"});
  CHECK(errors_of("", std::string(kGroups) +
                          "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:8080\"\n") ==
        Errors{"listener[0].target_group: missing required key"});
}

}  // namespace
}  // namespace albatross::config
