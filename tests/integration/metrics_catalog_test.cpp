// The Grafana dashboard and the Prometheus alert rules query only metrics albatross exports:
// every albatross_* name they mention is a family on a live /metrics page (histogram series
// through their family), and every label a selector matches on is one that family carries.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support/test_certificates.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr auto kStartDeadline = std::chrono::seconds(15);
constexpr auto kScrapeDeadline = std::chrono::seconds(10);
constexpr auto kStopDeadline = std::chrono::seconds(15);
constexpr std::size_t kMaxScrapeBytes = 4 << 20;

// The files whose queries are checked, relative to the source tree.
const std::string kQueryFiles[] = {"conf/grafana/albatross-dashboard.json",
                                   "conf/prometheus/albatross-rules.yml"};

// Labels Prometheus attaches to every scraped series (target labels), not albatross.
const std::set<std::string> kScrapeLabels = {"instance", "job"};

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One albatross process, its stderr on a pipe. Stopped (SIGTERM, then SIGKILL past the
// deadline) by stop() or the destructor.
class Daemon {
 public:
  explicit Daemon(const fs::path& config) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    stderr_fd_ = fds[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::string binary = ALBATROSS_BINARY;
    std::string config_text = config.string();
    char* argv[] = {binary.data(), const_cast<char*>("--config"), config_text.data(), nullptr};
    int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    REQUIRE_MESSAGE(rc == 0, "cannot start ", binary);
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() {
    if (pid_ > 0) stop();
    if (stderr_fd_ >= 0) ::close(stderr_fd_);
  }

  // Reads stderr until a line contains `prefix`; returns the rest of that line.
  std::optional<std::string> wait_for_line(const std::string& prefix, Clock::time_point deadline) {
    for (;;) {
      for (std::size_t end; (end = pending_.find('\n')) != std::string::npos;) {
        std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        log_ += line + '\n';
        if (auto at = line.find(prefix); at != std::string::npos) {
          return line.substr(at + prefix.size());
        }
      }
      if (!read_some(deadline)) return std::nullopt;
    }
  }

  // SIGTERM, then the exit status once stderr closes; SIGKILL past the deadline.
  int stop() {
    ::kill(pid_, SIGTERM);
    Clock::time_point deadline = Clock::now() + kStopDeadline;
    while (read_some(deadline)) {
    }
    if (remaining_ms(deadline) == 0) ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string log() const { return log_ + pending_; }

 private:
  // False on EOF or when the deadline passes.
  bool read_some(Clock::time_point deadline) {
    pollfd p{stderr_fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    char buffer[4096];
    ssize_t n = ::read(stderr_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    pending_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string pending_;
  std::string log_;
};

// GET path over a fresh connection; the raw response (head and body), empty on failure.
std::string http_get(std::uint16_t port, const std::string& path) {
  Clock::time_point deadline = Clock::now() + kScrapeDeadline;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[16384];
    for (pollfd p{fd, POLLIN, 0}; response.size() < kMaxScrapeBytes;) {
      if (::poll(&p, 1, remaining_ms(deadline)) <= 0) break;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

// What one /metrics page declares: family -> kind, and per family its labels and their values.
struct Exposition {
  std::map<std::string, std::string> kinds;
  std::map<std::string, std::map<std::string, std::set<std::string>>> labels;
};

Exposition parse_exposition(const std::string& text) {
  Exposition e;
  std::istringstream lines(text);
  std::string line;
  static const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) ([a-z]+)$)");
  static const std::regex label(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)")re");
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, type_line)) {
      e.kinds[m[1]] = m[2];
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    if (!e.kinds.contains(name)) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (name.ends_with(suffix)) {
          name.resize(name.size() - std::char_traits<char>::length(suffix));
          break;
        }
      }
    }
    auto& family = e.labels[name];
    auto open = line.find('{');
    auto close = line.rfind('}');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string inner = line.substr(open + 1, close - open - 1);
    for (std::sregex_iterator it(inner.begin(), inner.end(), label), end; it != end; ++it) {
      if ((*it)[1] != "le") family[(*it)[1]].insert((*it)[2]);
    }
  }
  return e;
}

// Starts albatross once (a plain and a TLS listener, one target group with one target that
// refuses connections, the admin endpoint on port 0) and returns what its /metrics page declares.
const Exposition& live_exposition() {
  static const Exposition exposition = [] {
    fs::path dir = fs::temp_directory_path() / ("albatross-metrics-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    // A bound socket that never listens: a target port that is ours and refuses connections.
    int target_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(target_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::getsockname(target_fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    // The TLS metrics (certificate expiry among them) have series only with a TLS listener.
    albatross::testing::CertificateDir certificates;
    auto certificate = certificates.write(
        "site", albatross::testing::make_certificate({.common_name = "site.test"}));
    std::ofstream(dir / "albatross.toml")
        << "[global]\nthreads = 1\nadmin = \"127.0.0.1:0\"\n"
        << "[[listener]]\nname = \"http\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n"
        << "[[listener]]\nname = \"https\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"app\"\n"
        << "tls = { certificate = \"" << certificate.certificate << "\", private_key = \""
        << certificate.private_key << "\" }\n"
        << "[[target_group]]\nname = \"app\"\ntargets = [\"127.0.0.1:" << ntohs(address.sin_port)
        << "\"]\n";

    Exposition e;
    {
      Daemon daemon(dir / "albatross.toml");
      Clock::time_point deadline = Clock::now() + kStartDeadline;
      std::optional<std::string> admin =
          daemon.wait_for_line("admin endpoint listening on ", deadline);
      REQUIRE_MESSAGE(admin.has_value(), "albatross did not start:\n", daemon.log());
      REQUIRE_MESSAGE(daemon.wait_for_line("started", deadline).has_value(), daemon.log());
      auto port = static_cast<std::uint16_t>(std::stoi(admin->substr(admin->rfind(':') + 1)));
      std::string response = http_get(port, "/metrics");
      REQUIRE_MESSAGE(response.starts_with("HTTP/1.1 200"), response.substr(0, 200));
      e = parse_exposition(response.substr(response.find("\r\n\r\n") + 4));
      CHECK_MESSAGE(daemon.stop() == 0, "albatross did not stop cleanly:\n", daemon.log());
    }
    ::close(target_fd);
    fs::remove_all(dir);
    return e;
  }();
  return exposition;
}

// The family a queried name belongs to: itself, or a histogram's _bucket/_sum/_count series.
std::optional<std::string> family_of(const Exposition& e, const std::string& name) {
  if (e.kinds.contains(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (!name.ends_with(suffix)) continue;
    std::string base = name.substr(0, name.size() - std::char_traits<char>::length(suffix));
    auto it = e.kinds.find(base);
    if (it != e.kinds.end() && it->second == "histogram") return base;
  }
  return std::nullopt;
}

// A query file as PromQL text: JSON string escapes of quotes and backslashes undone.
std::string query_text(const std::string& relative) {
  std::string raw = read_file(fs::path(ALBATROSS_SOURCE_DIR) / relative);
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) ++i;
    out.push_back(raw[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("albatross exports every metric family the dashboard and the alert rules query") {
  const Exposition& e = live_exposition();
  REQUIRE(e.kinds.contains("albatross_build_info"));
  static const std::regex token(R"(albatross_[a-z0-9_]+)");
  for (const std::string& file : kQueryFiles) {
    std::string text = query_text(file);
    std::set<std::string> names;
    for (std::sregex_iterator it(text.begin(), text.end(), token), end; it != end; ++it) {
      names.insert(it->str());
    }
    // A moved or emptied file must not pass for want of names.
    CHECK_MESSAGE(names.size() >= 8, file, " mentions only ", names.size(), " albatross metrics");
    for (const std::string& name : names) {
      CHECK_MESSAGE(family_of(e, name).has_value(), file, " queries ", name,
                    ", which albatross does not export");
    }
  }
}

TEST_CASE("selectors in the dashboard and the alert rules match labels the family carries") {
  const Exposition& e = live_exposition();
  int checked = 0;
  static const std::regex selector(R"((albatross_[a-z0-9_]+)\{([^}]*)\})");
  static const std::regex matcher(
      R"re(([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)")re");
  for (const std::string& file : kQueryFiles) {
    std::string text = query_text(file);
    int selectors = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), selector), end; it != end; ++it) {
      std::optional<std::string> family = family_of(e, (*it)[1]);
      auto series = family ? e.labels.find(*family) : e.labels.end();
      if (series == e.labels.end()) continue;  // not exported, or no series to learn labels from
      ++selectors;
      std::string inner = (*it)[2];
      for (std::sregex_iterator m(inner.begin(), inner.end(), matcher), mend; m != mend; ++m) {
        std::string name = (*m)[1];
        std::string op = (*m)[2];
        std::string value = (*m)[3];
        if (kScrapeLabels.contains(name) || (name == "le" && it->str(1).ends_with("_bucket"))) {
          continue;
        }
        auto values = series->second.find(name);
        CHECK_MESSAGE(values != series->second.end(), file, ": ", it->str(), " matches on label ",
                      name, ", which ", *family, " does not carry");
        // A literal value must be one albatross emits (catches "5XX" for "5xx").
        if (values != series->second.end() && op == "=" && value.find('$') == std::string::npos) {
          CHECK_MESSAGE(values->second.contains(value), file, ": ", it->str(), " matches ", name,
                        "=\"", value, "\", a value ", *family, " never has");
        }
      }
    }
    CHECK_MESSAGE(selectors > 0, file, ": no selector could be checked");
    checked += selectors;
  }
  CHECK(checked >= 20);
}

TEST_CASE("the dashboard names its data source only through the ${datasource} variable") {
  std::string text = read_file(fs::path(ALBATROSS_SOURCE_DIR) / kQueryFiles[0]);
  static const std::regex uid(R"re("uid"\s*:\s*"([^"]*)")re");
  int references = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), uid), end; it != end; ++it) {
    std::string value = (*it)[1];
    if (value == "albatross-overview" || value == "-- Grafana --") continue;  // dashboard, built-in
    ++references;
    CHECK_MESSAGE(value == "${datasource}", "hard-coded data source uid \"", value, "\"");
  }
  CHECK(references > 10);
}
