#include "albatross/config/validator.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "albatross/config/parser.hpp"

namespace albatross::config {
namespace {

constexpr std::string_view kFile = "v.toml";

// Parses `text` (which must parse cleanly) and returns validate()'s errors, rendered.
std::vector<std::string> validation_errors(std::string_view text) {
  ConfigErrors errors;
  Config config = parse(text, kFile, errors);
  std::string all;
  for (const ConfigError& e : errors)
    all += e.to_string() + "\n";
  REQUIRE_MESSAGE(errors.empty(), all);
  validate(config, errors);
  std::vector<std::string> rendered;
  for (const ConfigError& e : errors)
    rendered.push_back(e.to_string());
  return rendered;
}

using Errors = std::vector<std::string>;

constexpr std::string_view kValid = R"([[listener]]
name = "web"
bind = "127.0.0.1:8080"
target_group = "app"

[[target_group]]
name = "app"
targets = ["127.0.0.1:9001", "127.0.0.1:9002"]
)";

TEST_CASE("validate accepts a consistent configuration") {
  CHECK(validation_errors(kValid).empty());
}

TEST_CASE("validate requires at least one listener") {
  CHECK(validation_errors("[[target_group]]\nname = \"app\"\n") ==
        Errors{"v.toml:0:0: listener: at least one [[listener]] is required"});
}

TEST_CASE("validate rejects duplicate listener names") {
  std::string text = std::string(kValid) +
                     "[[listener]]\nname = \"web\"\nbind = \"127.0.0.1:8081\"\n"
                     "target_group = \"app\"\n";
  CHECK(validation_errors(text) ==
        Errors{"v.toml:10:8: listener[1].name: duplicate listener name \"web\" (first used at "
               "listener[0])"});
}

TEST_CASE("validate rejects duplicate target group names") {
  std::string text = std::string(kValid) + "[[target_group]]\nname = \"app\"\n";
  CHECK(validation_errors(text) ==
        Errors{"v.toml:10:8: target_group[1].name: duplicate target group name \"app\" (first "
               "used at target_group[0])"});
}

TEST_CASE("validate rejects two listeners on one address, but not two ephemeral ports") {
  std::string text = std::string(kValid) +
                     "[[listener]]\nname = \"other\"\nbind = \"127.0.0.1:8080\"\n"
                     "target_group = \"app\"\n";
  CHECK(validation_errors(text) ==
        Errors{"v.toml:11:8: listener[1].bind: address 127.0.0.1:8080 is already bound by "
               "listener[0]"});
  std::string ephemeral = R"([[listener]]
name = "a"
bind = "127.0.0.1:0"
target_group = "app"
[[listener]]
name = "b"
bind = "127.0.0.1:0"
target_group = "app"
[[target_group]]
name = "app"
)";
  CHECK(validation_errors(ephemeral).empty());
  // The same port on IPv6 and IPv4 wildcards is two addresses.
  std::string families = R"([[listener]]
name = "a"
bind = "[::1]:8080"
target_group = "app"
[[listener]]
name = "b"
bind = "127.0.0.1:8080"
target_group = "app"
[[target_group]]
name = "app"
)";
  CHECK(validation_errors(families).empty());
}

TEST_CASE("validate rejects a listener naming an unknown target group or none") {
  std::string text(kValid);
  text.replace(text.find("target_group = \"app\""), 20, "target_group = \"apq\"");
  CHECK(validation_errors(text) ==
        Errors{"v.toml:4:16: listener[0].target_group: unknown target group \"apq\""});
  std::string missing(kValid);
  missing.erase(missing.find("target_group = \"app\"\n"), 21);
  CHECK(validation_errors(missing) ==
        Errors{"v.toml:1:1: listener[0].target_group: missing required key"});
}

TEST_CASE("validate rejects duplicate targets in a group") {
  std::string text(kValid);
  text.replace(text.find("\"127.0.0.1:9002\""), 16,
               "\"127.0.0.1:9002\", \"127.0.0.1:9001\", \"[::1]:1\", \"[::1]:1\"");
  CHECK(validation_errors(text) ==
        Errors{"v.toml:8:48: target_group[0].targets[2]: duplicate target 127.0.0.1:9001",
               "v.toml:8:77: target_group[0].targets[4]: duplicate target [::1]:1"});
  // The same host on different ports, or different hosts on one port, are different targets.
  std::string distinct(kValid);
  distinct.replace(distinct.find("\"127.0.0.1:9002\""), 16,
                   "\"127.0.0.2:9001\", \"localhost:9001\"");
  CHECK(validation_errors(distinct).empty());
}

TEST_CASE("validate requires health_check.timeout to be shorter than its interval") {
  std::string text =
      std::string(kValid) + "[target_group.health_check]\ninterval = \"5s\"\ntimeout = \"5s\"\n";
  CHECK(validation_errors(text) ==
        Errors{"v.toml:11:11: target_group[0].health_check.timeout: must be shorter than "
               "health_check.interval (5s >= 5s)"});
  std::string longer =
      std::string(kValid) + "[target_group.health_check]\ninterval = \"5s\"\ntimeout = \"6s\"\n";
  CHECK(validation_errors(longer) ==
        Errors{"v.toml:11:11: target_group[0].health_check.timeout: must be shorter than "
               "health_check.interval (6s >= 5s)"});
  // Default timeout (5s) against a short interval: located at the health_check table.
  std::string implicit = std::string(kValid) + "[target_group.health_check]\ninterval = \"2s\"\n";
  CHECK(validation_errors(implicit) ==
        Errors{"v.toml:9:1: target_group[0].health_check.timeout: must be shorter than "
               "health_check.interval (5s >= 2s)"});
  std::string shorter = std::string(kValid) +
                        "[target_group.health_check]\ninterval = \"5s\"\ntimeout = \"4999ms\"\n";
  CHECK(validation_errors(shorter).empty());
  // Disabled checks are not held to it.
  std::string disabled = std::string(kValid) +
                         "[target_group.health_check]\nenabled = false\ninterval = \"5s\"\n"
                         "timeout = \"10s\"\n";
  CHECK(validation_errors(disabled).empty());
}

TEST_CASE("validate rejects slow_start with least_outstanding_requests") {
  std::string text =
      std::string(kValid) + "algorithm = \"least_outstanding_requests\"\nslow_start = \"30s\"\n";
  CHECK(validation_errors(text) ==
        Errors{"v.toml:10:14: target_group[0].slow_start: cannot be combined with algorithm "
               "\"least_outstanding_requests\""});
  std::string rr = std::string(kValid) + "algorithm = \"round_robin\"\nslow_start = \"30s\"\n";
  CHECK(validation_errors(rr).empty());
  std::string lor_off =
      std::string(kValid) + "algorithm = \"least_outstanding_requests\"\nslow_start = \"0s\"\n";
  CHECK(validation_errors(lor_off).empty());
}

TEST_CASE("validate rejects invalid names") {
  for (const char* name :
       {"has space", "tab\t", "sl/ash", "quote\\\"", "\xc3\xa9t\xc3\xa9", "x{a=\\\"b\\\"}"}) {
    CAPTURE(name);
    std::string text(kValid);
    text.replace(text.find("name = \"web\""), 12, std::string("name = \"") + name + "\"");
    CHECK(validation_errors(text) ==
          Errors{"v.toml:2:8: listener[0].name: must be 1..64 characters of A-Z a-z 0-9 - _ ."});
  }
  std::string long_name(65, 'g');
  std::string text(kValid);
  text.replace(text.find("name = \"app\""), 12, "name = \"" + long_name + "\"");
  text.replace(text.find("target_group = \"app\""), 20, "target_group = \"" + long_name + "\"");
  CHECK(validation_errors(text) ==
        Errors{"v.toml:7:8: target_group[0].name: must be 1..64 characters of A-Z a-z 0-9 - _ ."});
  std::string ok(kValid);
  ok.replace(ok.find("name = \"web\""), 12, "name = \"Web-1_a.b\"");
  CHECK(validation_errors(ok).empty());
  std::string longest(kValid);
  longest.replace(longest.find("name = \"web\""), 12, "name = \"" + std::string(64, 'w') + "\"");
  CHECK(validation_errors(longest).empty());
}

TEST_CASE("validate reports every violation at once") {
  std::string text = R"([[listener]]
name = "web"
bind = "127.0.0.1:80"
target_group = "missing"

[[listener]]
name = "web"
bind = "127.0.0.1:80"
target_group = "app"

[[target_group]]
name = "app"
targets = ["127.0.0.1:1", "127.0.0.1:1"]
algorithm = "least_outstanding_requests"
slow_start = "60s"

[target_group.health_check]
interval = "1s"
)";
  CHECK(validation_errors(text) ==
        Errors{
            "v.toml:13:27: target_group[0].targets[1]: duplicate target 127.0.0.1:1",
            "v.toml:17:1: target_group[0].health_check.timeout: must be shorter than "
            "health_check.interval (5s >= 1s)",
            "v.toml:15:14: target_group[0].slow_start: cannot be combined with algorithm "
            "\"least_outstanding_requests\"",
            "v.toml:4:16: listener[0].target_group: unknown target group \"missing\"",
            "v.toml:7:8: listener[1].name: duplicate listener name \"web\" (first used at "
            "listener[0])",
            "v.toml:8:8: listener[1].bind: address 127.0.0.1:80 is already bound by listener[0]",
        });
}

}  // namespace
}  // namespace albatross::config
