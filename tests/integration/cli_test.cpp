// The command line: --check (OK, or every error as FILE:LINE:COL: key.path: message), --version,
// --help, and start-up failures that exit non-zero with one clear message.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "support/albatross_process.hpp"
#include "support/command_result.hpp"
#include "support/config_text.hpp"
#include "support/temp_file.hpp"

namespace albatross::testing {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// Log lines at level error ("<time> error <message>").
std::vector<std::string> error_lines(const std::string& log) {
  std::vector<std::string> out;
  for (const std::string& line : lines_of(log)) {
    if (line.find(" error ") != std::string::npos) out.push_back(line);
  }
  return out;
}

TEST_CASE("--check accepts a valid configuration") {
  CommandResult result =
      run_check(ConfigText().listener("web", "app").target_group("app", {8080, 8081}).str());
  INFO("stderr: " << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "configuration OK\n");
}

TEST_CASE("--check reports every error with its location and key path, then exits 1") {
  const std::string config = R"([global]
threads = -1
admin = ""

[[listener]]
name = "web"
bind = "127.0.0.1:0"
target_group = "nope"
idle_timeout = "forever"

[[target_group]]
name = "app"
targets = ["127.0.0.1:8080", "not-an-address"]
algorithm = "random"
)";
  std::string file;
  CommandResult result = run_check(config, &file);
  INFO("stdout:\n" << result.out << "stderr:\n" << result.err);
  CHECK(result.exit_code == 1);
  std::vector<std::string> lines = lines_of(result.out);
  REQUIRE(lines.size() == 6);
  const std::regex form("(.+):([0-9]+):([0-9]+): ([a-z_\\[\\]0-9.]+): (.+)");
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    CAPTURE(lines[i]);
    std::smatch m;
    REQUIRE(std::regex_match(lines[i], m, form));
    CHECK(m[1] == file);
    CHECK(std::stoi(m[2]) > 0);
    CHECK(std::stoi(m[3]) > 0);
  }
  auto has = [&](const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  };
  CHECK(has(file + ":2:11: global.threads: must be between 0 and 1024 (got -1)"));
  CHECK(has(file + ":9:16: listener[0].idle_timeout: invalid duration \"forever\": expected a "
                   "whole number followed by ms, s, m, h or d"));
  CHECK(has(file + ":14:13: target_group[0].algorithm: unknown value \"random\" (expected one "
                   "of \"round_robin\", \"least_outstanding_requests\")"));
  CHECK(has(file + ":13:30: target_group[0].targets[1]: invalid address \"not-an-address\": "
                   "expected \"host:port\""));
  CHECK(has(file + ":8:16: listener[0].target_group: unknown target group \"nope\""));
  CHECK(lines.back() == file + ": 5 error(s)");
}

TEST_CASE("--check: an unknown key is an error, wherever it is") {
  std::string file;
  CommandResult result = run_check(ConfigText()
                                       .global("colour = \"blue\"")
                                       .listener("web", "app", "max_body = 10")
                                       .target_group("app", {8080}, "wieght = 3")
                                       .str(),
                                   &file);
  INFO("stdout:\n" << result.out);
  CHECK(result.exit_code == 1);
  CHECK(result.out.find(": global.colour: unknown key\n") != std::string::npos);
  CHECK(result.out.find(": listener[0].max_body: unknown key\n") != std::string::npos);
  CHECK(result.out.find(": target_group[0].wieght: unknown key\n") != std::string::npos);
  CHECK(result.out.find(file + ": 3 error(s)") != std::string::npos);
}

TEST_CASE("--version and --help") {
  CommandResult version = run_albatross({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(std::regex_match(version.out, std::regex("albatross [0-9]+\\.[0-9]+\\.[0-9]+.*\n")));
  CHECK(run_albatross({"-v"}).out == version.out);

  CommandResult help = run_albatross({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.starts_with("usage: albatross"));
  CHECK(help.out.find("--check") != std::string::npos);
  CHECK(run_albatross({"-h"}).out == help.out);

  CommandResult bad = run_albatross({"--frobnicate"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("unknown argument \"--frobnicate\"") != std::string::npos);
  CommandResult missing = run_albatross({});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("--config PATH is required") != std::string::npos);
}

TEST_CASE("start-up failures exit non-zero with one clear message") {
  SUBCASE("the listener address is in use") {
    int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&address), length) == 0);
    REQUIRE(::listen(holder, 8) == 0);
    REQUIRE(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const std::string bind = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    TempFile config("[global]\nadmin = \"\"\n[[listener]]\nname = \"web\"\nbind = \"" + bind +
                    "\"\ntarget_group = \"app\"\n[[target_group]]\nname = \"app\"\ntargets = []\n");
    CommandResult result = run_albatross({"--config", config.path()});
    ::close(holder);
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 1);
    std::vector<std::string> errors = error_lines(result.err);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("listener web: cannot bind " + bind + ": Address already in use") !=
          std::string::npos);
  }
  SUBCASE("the configuration file does not exist") {
    CommandResult result = run_albatross({"--config", "/nonexistent/albatross.toml"});
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 1);
    std::vector<std::string> errors = error_lines(result.err);
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].find("/nonexistent/albatross.toml") != std::string::npos);
    CHECK(errors[0].find("cannot read file: No such file or directory") != std::string::npos);
    CHECK(result.err.find("listener") == std::string::npos);  // no follow-on noise
  }
  SUBCASE("the configuration path is a directory") {
    CommandResult result = run_albatross({"--config", "/"});
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 1);
    std::vector<std::string> errors = error_lines(result.err);
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].find("cannot read file: Is a directory") != std::string::npos);
    CHECK(result.err.find("listener") == std::string::npos);
  }
  SUBCASE("the configuration is invalid") {
    TempFile config(ConfigText().listener("web", "missing-group").str());
    CommandResult result = run_albatross({"--config", config.path()});
    INFO("stderr:\n" << result.err);
    CHECK(result.exit_code == 1);
    std::vector<std::string> errors = error_lines(result.err);
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].find(config.path() + ":") != std::string::npos);
    CHECK(errors[0].find("listener[0].target_group: unknown target group \"missing-group\"") !=
          std::string::npos);
    CHECK(result.err.find("listening on") == std::string::npos);
  }
}

TEST_CASE("a config that passes --check starts") {
  const std::string config = ConfigText().listener("web", "app").target_group("app", {}).str();
  CHECK(run_check(config).exit_code == 0);
  AlbatrossProcess albatross(config);
  albatross.start();
  CHECK(albatross.port("web") > 0);
}

TEST_CASE("--check loads the files start-up loads: the admin token file and the access log") {
  TempFile open_token("correct-horse-battery-staple-42\n", ".token");
  REQUIRE(::chmod(open_token.path().c_str(), 0644) == 0);
  auto config = [](const std::string& token_file, const std::string& access_log) {
    return ConfigText()
        .global("admin_token_file = \"" + token_file + "\"\naccess_log = \"" + access_log + "\"")
        .listener("web", "app")
        .target_group("app", {8080})
        .str();
  };
  const std::string missing_token = "/nonexistent/albatross-admin.token";
  const std::string bad_log = "/nonexistent/albatross/access.log";

  std::string file;
  CommandResult result = run_check(config(missing_token, bad_log), &file);
  INFO("stdout:\n" << result.out << "stderr:\n" << result.err);
  CHECK(result.exit_code == 1);
  std::vector<std::string> lines = lines_of(result.out);
  auto line_with = [&](const std::string& text) {
    for (const std::string& line : lines) {
      if (line.find(text) != std::string::npos) return line;
    }
    return std::string();
  };
  std::string token_line = line_with(": global.admin_token_file: ");
  CHECK(token_line.starts_with(file + ":"));
  CHECK(token_line.find("cannot read admin token file " + missing_token +
                        ": No such file or directory") != std::string::npos);
  std::string log_line = line_with(": global.access_log: ");
  CHECK(log_line.starts_with(file + ":"));
  CHECK(log_line.find("cannot open access log " + bad_log + ": No such file or directory") !=
        std::string::npos);
  CHECK(lines.back() == file + ": 2 error(s)");

  CommandResult readable = run_check(config(open_token.path(), "stderr"));
  CHECK(readable.exit_code == 1);
  CHECK(readable.out.find(": global.admin_token_file: admin token file " + open_token.path() +
                          " is readable by group or others") != std::string::npos);

  // Start-up refuses the same configuration for the same reasons, through the same path.
  TempFile refused(config(missing_token, bad_log));
  CommandResult start = run_albatross({"--config", refused.path()});
  INFO("start-up stderr:\n" << start.err);
  CHECK(start.exit_code == 1);
  CHECK(start.err.find(": global.admin_token_file: cannot read admin token file") !=
        std::string::npos);
  CHECK(start.err.find(": global.access_log: cannot open access log") != std::string::npos);
  CHECK(start.err.find("listening on") == std::string::npos);
}

TEST_CASE("--check passes on the shipped conf/albatross.toml") {
  // The shipped file names no file of its own (admin_token_file and sticky_key_file are
  // commented out, access_log is "off"), so it is checked as installed.
  const std::string shipped = std::string(ALBATROSS_SOURCE_DIR) + "/conf/albatross.toml";
  CommandResult result = run_albatross({"--check", "-c", shipped});
  INFO("stdout:\n" << result.out << "stderr:\n" << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out == "configuration OK\n");
}

}  // namespace
}  // namespace albatross::testing
