// sd_notify: with NOTIFY_SOCKET pointing at a datagram socket the test owns, albatross announces
// READY=1 once it serves, RELOADING=1 with MONOTONIC_USEC then READY=1 around every reload (a
// failed one included), and STOPPING=1 when SIGTERM starts the drain.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "support/albatross_process.hpp"
#include "support/config_text.hpp"
#include "support/http_client.hpp"
#include "support/targets.hpp"

namespace albatross::testing {
namespace {

using std::chrono::seconds;

// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  // `abstract`: in the abstract namespace, named "@..." as systemd does.
  explicit NotifySocket(bool abstract = false) {
    if (abstract) {
      path_ = "@albatross-notify-" + std::to_string(::getpid());
    } else {
      const char* tmp = std::getenv("TMPDIR");
      dir_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/albatross-notify-XXXXXX";
      if (::mkdtemp(dir_.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      path_ = dir_ + "/notify.sock";
    }
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd_ < 0 || path_.size() >= sizeof address.sun_path) {
      throw std::runtime_error("cannot make a notify socket at " + path_);
    }
    path_.copy(address.sun_path, path_.size());
    socklen_t length = sizeof address;
    if (abstract) {
      address.sun_path[0] = '\0';
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      throw std::runtime_error("cannot bind " + path_);
    }
  }
  ~NotifySocket() {
    ::close(fd_);
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  const std::string& path() const { return path_; }

  // The next datagram, or nullopt when none arrives by `deadline`.
  std::optional<std::string> receive(TimePoint deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, std::max<int>(0, static_cast<int>(left.count()))) <= 0) return std::nullopt;
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }
  // Datagrams up to and including the first that starts with `prefix`.
  std::vector<std::string> receive_until(std::string_view prefix, TimePoint deadline) {
    std::vector<std::string> out;
    while (auto message = receive(deadline)) {
      out.push_back(*message);
      if (message->starts_with(prefix)) break;
    }
    return out;
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

std::uint64_t monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000;
}

// NOTIFY_SOCKET in the environment albatross inherits, for one scope.
class NotifyEnvironment {
 public:
  explicit NotifyEnvironment(const std::string& path) {
    if (const char* old = std::getenv("NOTIFY_SOCKET")) old_ = old;
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifyEnvironment() {
    if (old_) {
      ::setenv("NOTIFY_SOCKET", old_->c_str(), 1);
    } else {
      ::unsetenv("NOTIFY_SOCKET");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST_CASE("READY=1 at start, RELOADING=1 and READY=1 around reloads, STOPPING=1 at SIGTERM") {
  Targets targets({"a", "b"});
  NotifySocket notify;
  auto config = [&](std::uint16_t port) {
    return ConfigText().listener("web", "app").target_group("app", {port}).str();
  };
  AlbatrossProcess albatross(config(targets.port(0)));
  {
    NotifyEnvironment environment(notify.path());
    albatross.start();
  }
  INFO("albatross log:\n" << albatross.stderr_text());

  std::vector<std::string> startup = notify.receive_until("READY=1", after(seconds(5)));
  REQUIRE(!startup.empty());
  CHECK(startup.back() == "READY=1");
  // Ready means serving.
  HttpClient client(albatross.port("web"));
  CHECK(client.get("/").header("X-Target") == "a");
  auto status = notify.receive(after(seconds(5)));
  CHECK(status == "STATUS=serving");

  for (bool valid : {true, false}) {
    CAPTURE(valid);
    albatross.rewrite_config(valid ? config(targets.port(1)) : "[global]\nbogus = 1\n");
    const std::uint64_t before = monotonic_usec();
    CHECK(albatross.reload() == valid);
    const std::uint64_t after_reload = monotonic_usec();
    std::vector<std::string> messages = notify.receive_until("READY=1", after(seconds(5)));
    REQUIRE(messages.size() == 2);
    // "RELOADING=1\nMONOTONIC_USEC=N", N taken while reloading on CLOCK_MONOTONIC.
    const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
    REQUIRE(messages[0].starts_with(prefix));
    const std::uint64_t usec = std::stoull(messages[0].substr(prefix.size()));
    CHECK(usec >= before);
    CHECK(usec <= after_reload);
    CHECK(messages[1] == "READY=1");
    CHECK(notify.receive(after(seconds(5))) ==
          (valid ? "STATUS=serving" : "STATUS=serving (last reload failed)"));
  }
  CHECK(client.get("/").header("X-Target") == "b");

  albatross.send_signal(SIGTERM);
  CHECK(notify.receive(after(seconds(5))) == "STOPPING=1");
  CHECK(albatross.wait_exit(after(seconds(10))) == 0);
  // Nothing else follows.
  CHECK(!notify.receive(after(std::chrono::milliseconds(100))));
}

TEST_CASE("an abstract NOTIFY_SOCKET (@name) is reached as well") {
  Targets targets({"a"});
  NotifySocket notify(true);
  AlbatrossProcess albatross(
      ConfigText().listener("web", "app").target_group("app", targets.ports()).str());
  {
    NotifyEnvironment environment(notify.path());
    albatross.start();
  }
  INFO("albatross log:\n" << albatross.stderr_text());
  std::vector<std::string> ready = notify.receive_until("READY=1", after(seconds(5)));
  REQUIRE(!ready.empty());
  CHECK(ready.back() == "READY=1");
  albatross.send_signal(SIGTERM);
  std::vector<std::string> stopping = notify.receive_until("STOPPING=1", after(seconds(5)));
  REQUIRE(!stopping.empty());
  CHECK(stopping.back() == "STOPPING=1");
  CHECK(albatross.wait_exit(after(seconds(10))) == 0);
}

}  // namespace
}  // namespace albatross::testing
