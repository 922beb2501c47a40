#include "albatross/upstream/sticky_cookie.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>

namespace albatross::upstream {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

std::string date_of(system_clock::time_point time) {
  std::array<char, StickyCookie::kHttpDateSize> out;
  format_http_date(time, out);
  return std::string(out.data(), out.size());
}

system_clock::time_point unix_time(std::int64_t seconds) {
  return system_clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace

TEST_CASE("find_cookie finds the exact name, first occurrence first") {
  using V = std::optional<std::string_view>;
  CHECK(find_cookie("AWSALB=abc", "AWSALB") == V("abc"));
  CHECK(find_cookie("AWSALBCORS=x; AWSALB=y", "AWSALB") == V("y"));
  CHECK(find_cookie("AWSALBCORS=x; AWSALB=y", "AWSALBCORS") == V("x"));
  CHECK(find_cookie("AWSALB=y; AWSALBCORS=x", "AWSALBCORS") == V("x"));
  CHECK(find_cookie("AWSALBCORS=x", "AWSALB") == std::nullopt);
  CHECK(find_cookie("AWSALB=y", "AWSAL") == std::nullopt);
  CHECK(find_cookie("XAWSALB=1; AWSALBX=2", "AWSALB") == std::nullopt);
  CHECK(find_cookie("awsalb=1", "AWSALB") == std::nullopt);  // names are case-sensitive
  CHECK(find_cookie("", "AWSALB") == std::nullopt);
  CHECK(find_cookie("session=1; theme=dark", "AWSALB") == std::nullopt);
  CHECK(find_cookie("AWSALB=1; AWSALB=2", "AWSALB") == V("1"));
}

TEST_CASE("find_cookie tolerates blanks, quotes and odd pairs") {
  using V = std::optional<std::string_view>;
  CHECK(find_cookie("a=1;AWSALB=2", "AWSALB") == V("2"));
  CHECK(find_cookie("a=1 ;  AWSALB = 2 ;b=3", "AWSALB") == V("2"));
  CHECK(find_cookie("a=1;\tAWSALB=2\t", "AWSALB") == V("2"));
  CHECK(find_cookie("AWSALB=\"quoted\"", "AWSALB") == V("quoted"));
  CHECK(find_cookie("AWSALB=\"\"", "AWSALB") == V(""));
  CHECK(find_cookie("AWSALB=\"", "AWSALB") == V("\""));  // an unpaired quote stays
  CHECK(find_cookie("AWSALB=", "AWSALB") == V(""));
  CHECK(find_cookie("AWSALB=a=b", "AWSALB") == V("a=b"));
  CHECK(find_cookie("AWSALB; AWSALB=v", "AWSALB") == V("v"));  // no "=": not named AWSALB
  CHECK(find_cookie("AWSALB", "AWSALB") == std::nullopt);
  CHECK(find_cookie(";;; AWSALB=v;", "AWSALB") == V("v"));
  CHECK(find_cookie("=v; AWSALB=w", "AWSALB") == V("w"));
}

TEST_CASE("StickyCookie::find prefers NAME and falls back to NAMECORS") {
  using V = std::optional<std::string_view>;
  StickyCookie cookie("AWSALB");
  CHECK(cookie.name() == "AWSALB");
  CHECK(cookie.cors_name() == "AWSALBCORS");
  CHECK(cookie.find("AWSALBCORS=cors; AWSALB=plain") == V("plain"));
  CHECK(cookie.find("AWSALB=plain; AWSALBCORS=cors") == V("plain"));
  CHECK(cookie.find("x=1; AWSALBCORS=cors") == V("cors"));
  CHECK(cookie.find("x=1") == std::nullopt);
  CHECK(cookie.find("AWSALBCORSX=1; AWSAL=2") == std::nullopt);
}

TEST_CASE("format_http_date writes RFC 1123 GMT dates") {
  CHECK(date_of(unix_time(784111777)) == "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  CHECK(date_of(unix_time(0)) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(date_of(unix_time(-1)) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(date_of(unix_time(1709251199) + 999ms) == "Thu, 29 Feb 2024 23:59:59 GMT");
  CHECK(date_of(unix_time(1709251200)) == "Fri, 01 Mar 2024 00:00:00 GMT");
  CHECK(date_of(unix_time(951782400)) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(date_of(unix_time(4102444799)) == "Thu, 31 Dec 2099 23:59:59 GMT");
}

TEST_CASE("StickyCookie::append_set_cookie writes ALB's two Set-Cookie lines") {
  StickyCookie cookie("AWSALB");
  std::string out = "X-Before: 1\r\n";
  system_clock::time_point now = unix_time(1717243200);  // Sat, 01 Jun 2024 12:00:00 GMT
  cookie.append_set_cookie(out, "VALUE-_0", now + StickyCookie::kLifetime);
  CHECK(out ==
        "X-Before: 1\r\n"
        "Set-Cookie: AWSALB=VALUE-_0; Expires=Sat, 08 Jun 2024 12:00:00 GMT; Path=/\r\n"
        "Set-Cookie: AWSALBCORS=VALUE-_0; Expires=Sat, 08 Jun 2024 12:00:00 GMT; Path=/; "
        "SameSite=None; Secure\r\n");

  std::string custom;
  StickyCookie("app.sticky").append_set_cookie(custom, "v", unix_time(0));
  CHECK(custom ==
        "Set-Cookie: app.sticky=v; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/\r\n"
        "Set-Cookie: app.stickyCORS=v; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; "
        "SameSite=None; Secure\r\n");
}

}  // namespace albatross::upstream
