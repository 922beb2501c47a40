#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace albatross::upstream {

// The pair of cookies ALB sends for lb_cookie stickiness (alb-behaviour.md §1.2): NAME, and
// NAMECORS with the same value plus `SameSite=None; Secure` for cross-site requests. Knows
// their names and text forms, nothing of their values. Immutable. Thread: any.
class StickyCookie {
 public:
  // ALB's fixed cookie lifetime; how long a binding lasts is inside the value.
  static constexpr std::chrono::hours kLifetime{24 * 7};
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  static constexpr std::size_t kHttpDateSize = 29;

  // `name` is a valid cookie name (config validates it), e.g. "AWSALB".
  explicit StickyCookie(std::string name);

  const std::string& name() const { return name_; }
  const std::string& cors_name() const { return cors_name_; }

  // The value a client sent in one Cookie field value: NAME's, else NAMECORS's (a cross-site
  // request may carry only the SameSite=None one); nullopt when neither is there. A request
  // with several Cookie fields: call it on each in order and take the first found.
  std::optional<std::string_view> find(std::string_view cookie_header) const;

  // Appends the two complete Set-Cookie field lines, each ending in CRLF:
  //   Set-Cookie: NAME=VALUE; Expires=DATE; Path=/
  //   Set-Cookie: NAMECORS=VALUE; Expires=DATE; Path=/; SameSite=None; Secure
  // with DATE the RFC 1123 GMT form of `expires` (usually now + kLifetime).
  void append_set_cookie(std::string& out, std::string_view value,
                         std::chrono::system_clock::time_point expires) const;

 private:
  std::string name_;
  std::string cors_name_;
};

// The value of the first cookie named exactly `name` (case-sensitive) in a Cookie field value
// (RFC 6265 `name=value` pairs separated by ";" with optional blanks), without surrounding
// double quotes; nullopt when there is none. A pair without "=" names no cookie.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

// Writes `time` as an RFC 1123 date in GMT ("Sun, 06 Nov 1994 08:49:37 GMT"), truncated to the
// second, with no locale and no allocation. Years are clamped to 0000..9999.
void format_http_date(std::chrono::system_clock::time_point time,
                      std::span<char, StickyCookie::kHttpDateSize> out);

}  // namespace albatross::upstream
