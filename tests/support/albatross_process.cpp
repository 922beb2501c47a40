#include "support/albatross_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <doctest/doctest.h>

#include "support/spawn.hpp"

namespace albatross::testing {
namespace {

std::size_t occurrences(const std::string& log, std::string_view text) {
  std::size_t n = 0;
  for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1))
    ++n;
  return n;
}

int timeout_until(TimePoint deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

AlbatrossProcess::AlbatrossProcess(std::string_view config_text) : config_(config_text) {}

AlbatrossProcess::~AlbatrossProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    wait_pid(pid_, pidfd_, -1);
  }
  if (reader_.joinable()) reader_.join();
  if (pidfd_ >= 0) ::close(pidfd_);
  // In sanitizer builds, a report in albatross's log fails the test that ran it.
  for (std::string_view marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                  "runtime error:", "WARNING: ThreadSanitizer"}) {
    if (log_.find(marker) != std::string::npos) {
      FAIL_CHECK("albatross reported \"" << marker << "\"; its log:\n" << log_);
      break;
    }
  }
}

void AlbatrossProcess::start(TimePoint deadline) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe2: " + std::string(std::strerror(errno)));
  }
  try {
    pid_ = spawn({ALBATROSS_BINARY, "--config", config_.path()}, fds[1], fds[1]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  pidfd_ = open_pidfd(pid_);
  reader_ = std::thread([this, fd = fds[0]] {
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        log_closed_ = true;
        changed_.notify_all();
        break;
      }
      log_.append(buffer, static_cast<std::size_t>(n));
      changed_.notify_all();
    }
    ::close(fd);
  });

  std::unique_lock lock(mutex_);
  bool started = changed_.wait_until(
      lock, deadline, [&] { return log_closed_ || log_.find(" started: ") != std::string::npos; });
  if (!started || log_closed_) {
    std::string log = log_;
    lock.unlock();
    throw std::runtime_error(std::string(started ? "albatross exited during startup"
                                                 : "albatross did not start in time") +
                             "; its log:\n" + log);
  }
  // "... listener NAME listening on HOST:PORT"
  static constexpr std::string_view kListener = " listener ";
  static constexpr std::string_view kListening = " listening on ";
  for (std::size_t at = log_.find(kListener); at != std::string::npos;
       at = log_.find(kListener, at + 1)) {
    std::size_t eol = log_.find('\n', at);
    std::string line = log_.substr(at + kListener.size(), eol - at - kListener.size());
    std::size_t on = line.find(kListening);
    std::size_t colon = line.rfind(':');
    if (on == std::string::npos || colon == std::string::npos) continue;
    ports_[line.substr(0, on)] = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
  }
  static constexpr std::string_view kAdmin = "admin endpoint listening on ";
  if (std::size_t at = log_.find(kAdmin); at != std::string::npos) {
    std::size_t eol = log_.find('\n', at);
    std::string address = log_.substr(at + kAdmin.size(), eol - at - kAdmin.size());
    admin_port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
  }
}

std::uint16_t AlbatrossProcess::admin_port() const {
  if (admin_port_ == 0) throw std::runtime_error("albatross logged no admin endpoint");
  return admin_port_;
}

std::uint16_t AlbatrossProcess::port(const std::string& name) const {
  auto it = ports_.find(name);
  if (it == ports_.end()) throw std::runtime_error("albatross logged no listener " + name);
  return it->second;
}

void AlbatrossProcess::send_signal(int signal) const {
  if (pid_ <= 0 || exit_code_) throw std::runtime_error("albatross is not running");
  if (::kill(pid_, signal) != 0) {
    throw std::runtime_error("kill: " + std::string(std::strerror(errno)));
  }
}

bool AlbatrossProcess::reload(TimePoint deadline) const {
  static constexpr std::string_view kDone = "configuration reloaded";
  static constexpr std::string_view kFailed = "reload failed";
  std::unique_lock lock(mutex_);
  const std::size_t done = occurrences(log_, kDone);
  const std::size_t failed = occurrences(log_, kFailed);
  lock.unlock();
  send_signal(SIGHUP);
  lock.lock();
  bool outcome = changed_.wait_until(lock, deadline, [&] {
    return log_closed_ || occurrences(log_, kDone) > done || occurrences(log_, kFailed) > failed;
  });
  if (!outcome || occurrences(log_, kDone) + occurrences(log_, kFailed) == done + failed) {
    throw std::runtime_error("albatross logged no reload outcome; its log:\n" + log_);
  }
  return occurrences(log_, kDone) > done;
}

std::optional<int> AlbatrossProcess::wait_exit(TimePoint deadline) {
  if (exit_code_) return exit_code_;
  if (pid_ <= 0) throw std::runtime_error("albatross was never started");
  int code = wait_pid(pid_, pidfd_, timeout_until(deadline));
  if (code < 0) return std::nullopt;
  exit_code_ = code;
  // The pipe may still hold the last lines: the log is complete once the reader saw its end.
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return log_closed_; });
  return exit_code_;
}

std::string AlbatrossProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool AlbatrossProcess::wait_for_log(std::string_view text, TimePoint deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] {
    return log_.find(text) != std::string::npos || log_closed_;
  }) && log_.find(text) != std::string::npos;
}

std::size_t AlbatrossProcess::log_count(std::string_view text) const {
  std::lock_guard lock(mutex_);
  return occurrences(log_, text);
}

bool AlbatrossProcess::wait_for_log_count(std::string_view text, std::size_t count,
                                          TimePoint deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [&] {
    return log_closed_ || occurrences(log_, text) >= count;
  }) && occurrences(log_, text) >= count;
}

std::uint64_t AlbatrossProcess::status_field(std::string_view key) const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':') {
      return std::stoull(line.substr(key.size() + 1)) * 1024;  // "VmHWM:   12345 kB"
    }
  }
  throw std::runtime_error("no " + std::string(key) + " for pid " + std::to_string(pid_));
}

std::uint64_t AlbatrossProcess::peak_rss() const {
  return status_field("VmHWM");
}

std::uint64_t AlbatrossProcess::current_rss() const {
  return status_field("VmRSS");
}

std::size_t AlbatrossProcess::fd_count() const {
  std::string path = "/proc/" + std::to_string(pid_) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (!dir) throw std::runtime_error("cannot list " + path);
  std::size_t n = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

}  // namespace albatross::testing
