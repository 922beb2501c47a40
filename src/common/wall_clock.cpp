#include "albatross/common/wall_clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace albatross {
namespace {

// `fraction` has `digits` digits (3 or 6).
void append_iso8601(std::string& out, std::int64_t seconds, std::int64_t fraction, int digits) {
  std::time_t secs = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%0*dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, digits,
                        static_cast<int>(fraction));
  out.append(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t unix_us_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void append_iso8601_ms(std::string& out, std::int64_t unix_ms) {
  if (unix_ms < 0) unix_ms = 0;
  append_iso8601(out, unix_ms / 1000, unix_ms % 1000, 3);
}

void append_iso8601_us(std::string& out, std::int64_t unix_us) {
  if (unix_us < 0) unix_us = 0;
  append_iso8601(out, unix_us / 1'000'000, unix_us % 1'000'000, 6);
}

std::string iso8601_ms(std::int64_t unix_ms) {
  std::string out;
  append_iso8601_ms(out, unix_ms);
  return out;
}

}  // namespace albatross
