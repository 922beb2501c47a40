#include "albatross/common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "albatross/common/wall_clock.hpp"

namespace albatross::log {
namespace {

std::atomic<Level> g_level{Level::info};

// Under systemd (JOURNAL_STREAM set) the journal stamps each line itself, so the
// timestamp is left out and the syslog priority prefix is used instead.
const bool g_journal = std::getenv("JOURNAL_STREAM") != nullptr;

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

std::string_view journal_prefix(Level level) {
  switch (level) {
    case Level::debug:
      return "<7>";
    case Level::info:
      return "<6>";
    case Level::warn:
      return "<4>";
    case Level::error:
      return "<3>";
  }
  return "<6>";
}

}  // namespace

void set_level(Level level) {
  g_level.store(level, std::memory_order_relaxed);
}
Level level() {
  return g_level.load(std::memory_order_relaxed);
}
bool enabled(Level lvl) {
  return static_cast<int>(lvl) >= static_cast<int>(g_level.load(std::memory_order_relaxed));
}

void write(Level lvl, std::string_view message) {
  std::string line;
  line.reserve(message.size() + 40);
  if (g_journal) {
    line.append(journal_prefix(lvl));
  } else {
    append_iso8601_ms(line, unix_ms_now());
    line.push_back(' ');
  }
  line.append(level_name(lvl));
  line.push_back(' ');
  line.append(message);
  line.push_back('\n');
  // A short write to stderr is not worth retrying: the line is diagnostic only.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace albatross::log
