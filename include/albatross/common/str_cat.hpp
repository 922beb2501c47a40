#pragma once

#include <charconv>
#include <chrono>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace albatross {

// Appends the text form of each argument to `out`: strings as they are, integers and
// floating-point numbers in decimal. The replacement for std::format, which GCC 12 lacks.
inline void str_append(std::string& out, std::string_view text) {
  out.append(text);
}
inline void str_append(std::string& out, const char* text) {
  out.append(text);
}
inline void str_append(std::string& out, const std::string& text) {
  out.append(text);
}
inline void str_append(std::string& out, char c) {
  out.push_back(c);
}
inline void str_append(std::string& out, bool b) {
  out.append(b ? "true" : "false");
}

template <typename T>
requires(std::is_arithmetic_v<T> && !std::same_as<T, char> &&
         !std::same_as<T, bool>) void str_append(std::string& out, T value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, ec == std::errc{} ? end : buf);
}

template <typename Rep, typename Period>
void str_append(std::string& out, std::chrono::duration<Rep, Period> d) {
  str_append(out, std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  out.append("ms");
}

template <typename... Args>
std::string str_cat(const Args&... args) {
  std::string out;
  (str_append(out, args), ...);
  return out;
}

}  // namespace albatross
