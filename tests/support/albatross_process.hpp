#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "support/temp_file.hpp"
#include "support/wait.hpp"

namespace albatross::testing {

// The real albatross binary (ALBATROSS_BINARY) running one test's configuration: the config is
// written to a temp file, the process is started with fork/exec, its stderr is collected by a
// reader thread, and start() returns once every listener has logged its bound port. The process
// is killed (SIGKILL, by its PID) if it is still running when this goes away; a sanitizer report
// in its log then fails the current test.
// Thread: the test's; the reader thread only appends to the log under the mutex.
class AlbatrossProcess {
 public:
  explicit AlbatrossProcess(std::string_view config_text);
  ~AlbatrossProcess();
  AlbatrossProcess(const AlbatrossProcess&) = delete;
  AlbatrossProcess& operator=(const AlbatrossProcess&) = delete;

  // Spawns the process and waits for its "started" line. Throws with the log when the process
  // exits first or the deadline passes.
  void start(TimePoint deadline = after(std::chrono::seconds(10)));

  // The port listener `name` bound (from its "listener NAME listening on HOST:PORT" line).
  std::uint16_t port(const std::string& name) const;
  // The admin endpoint's port (from "admin endpoint listening on HOST:PORT"); throws when the
  // configuration has none (ConfigText::admin enables it).
  std::uint16_t admin_port() const;
  pid_t pid() const { return pid_; }
  const std::string& config_path() const { return config_.path(); }

  void send_signal(int signal) const;
  // Replaces the configuration file's content (the next reload reads it).
  void rewrite_config(std::string_view config_text) const { config_.write(config_text); }
  // SIGHUP, then waits for the reload's outcome in the log: true for "configuration reloaded",
  // false for "reload failed"; throws when neither is logged by `deadline`.
  bool reload(TimePoint deadline = after(std::chrono::seconds(10))) const;
  // The exit code (128 + signal number when killed by a signal), or nullopt if the process is
  // still running at `deadline`. Once it returns a code, stderr_text() holds the whole log.
  std::optional<int> wait_exit(TimePoint deadline);
  bool running() const { return pid_ > 0 && !exit_code_; }

  std::string stderr_text() const;
  // Waits until the log contains `text`; true when it does before `deadline`.
  bool wait_for_log(std::string_view text, TimePoint deadline) const;
  // Times `text` occurs in the log so far.
  std::size_t log_count(std::string_view text) const;
  // Waits until `text` occurs at least `count` times; true when it does before `deadline`.
  bool wait_for_log_count(std::string_view text, std::size_t count, TimePoint deadline) const;

  // VmHWM and VmRSS from /proc/PID/status, in bytes.
  std::uint64_t peak_rss() const;
  std::uint64_t current_rss() const;
  // Open file descriptors (entries of /proc/PID/fd).
  std::size_t fd_count() const;

 private:
  std::uint64_t status_field(std::string_view key) const;

  TempFile config_;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<int> exit_code_;
  std::map<std::string, std::uint16_t> ports_;
  std::uint16_t admin_port_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string log_;          // guarded by mutex_
  bool log_closed_ = false;  // guarded by mutex_: the write end is gone (the process exited)
};

}  // namespace albatross::testing
