#pragma once

#include <string>
#include <string_view>

#include "albatross/common/str_cat.hpp"

namespace albatross::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

// Process-wide log sink: one line per event on stderr, written with a single write(2) so
// lines from different threads never interleave. Safe to call from any thread.
void set_level(Level level);
Level level();
bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... Args>
void debug(const Args&... args) {
  if (enabled(Level::debug)) write(Level::debug, str_cat(args...));
}
template <typename... Args>
void info(const Args&... args) {
  if (enabled(Level::info)) write(Level::info, str_cat(args...));
}
template <typename... Args>
void warn(const Args&... args) {
  if (enabled(Level::warn)) write(Level::warn, str_cat(args...));
}
template <typename... Args>
void error(const Args&... args) {
  if (enabled(Level::error)) write(Level::error, str_cat(args...));
}

}  // namespace albatross::log
