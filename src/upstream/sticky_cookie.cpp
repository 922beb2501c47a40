#include "albatross/upstream/sticky_cookie.hpp"

#include <algorithm>
#include <array>

namespace albatross::upstream {

namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

void put_digits(char* out, unsigned value, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

StickyCookie::StickyCookie(std::string name) : name_(std::move(name)), cors_name_(name_ + "CORS") {}

std::optional<std::string_view> StickyCookie::find(std::string_view cookie_header) const {
  if (auto value = find_cookie(cookie_header, name_)) return value;
  return find_cookie(cookie_header, cors_name_);
}

void StickyCookie::append_set_cookie(std::string& out, std::string_view value,
                                     std::chrono::system_clock::time_point expires) const {
  std::array<char, kHttpDateSize> date;
  format_http_date(expires, date);
  std::string_view date_text(date.data(), date.size());
  for (const std::string* name : {&name_, &cors_name_}) {
    out.append("Set-Cookie: ");
    out.append(*name);
    out.push_back('=');
    out.append(value);
    out.append("; Expires=");
    out.append(date_text);
    out.append(name == &name_ ? "; Path=/\r\n" : "; Path=/; SameSite=None; Secure\r\n");
  }
}

std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name) {
  while (!cookie_header.empty()) {
    std::size_t semi = cookie_header.find(';');
    std::string_view pair = cookie_header.substr(0, semi);
    cookie_header.remove_prefix(semi == std::string_view::npos ? cookie_header.size() : semi + 1);
    std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    if (trim_blanks(pair.substr(0, equals)) != name) continue;
    std::string_view value = trim_blanks(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

void format_http_date(std::chrono::system_clock::time_point time,
                      std::span<char, StickyCookie::kHttpDateSize> out) {
  using namespace std::chrono;
  static constexpr char kWeekdays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  sys_days day = floor<days>(time);
  year_month_day date(day);
  hh_mm_ss<seconds> clock(floor<seconds>(time - day));
  unsigned weekday_index = weekday(day).c_encoding();  // 0 = Sunday
  unsigned month_index = static_cast<unsigned>(date.month()) - 1;
  int year = std::clamp(static_cast<int>(date.year()), 0, 9999);

  char* p = out.data();
  std::copy_n(kWeekdays + 3 * weekday_index, 3, p);
  p[3] = ',';
  p[4] = ' ';
  put_digits(p + 5, static_cast<unsigned>(date.day()), 2);
  p[7] = ' ';
  std::copy_n(kMonths + 3 * month_index, 3, p + 8);
  p[11] = ' ';
  put_digits(p + 12, static_cast<unsigned>(year), 4);
  p[16] = ' ';
  put_digits(p + 17, static_cast<unsigned>(clock.hours().count()), 2);
  p[19] = ':';
  put_digits(p + 20, static_cast<unsigned>(clock.minutes().count()), 2);
  p[22] = ':';
  put_digits(p + 23, static_cast<unsigned>(clock.seconds().count()), 2);
  std::copy_n(" GMT", 4, p + 25);
}

}  // namespace albatross::upstream
