#include "albatross/config/status_matcher.hpp"

#include <doctest/doctest.h>

namespace albatross::config {
namespace {

StatusMatcher parsed(std::string_view text) {
  std::string error;
  std::optional<StatusMatcher> m = StatusMatcher::parse(text, &error);
  REQUIRE_MESSAGE(m.has_value(), error);
  return *m;
}

std::string rejection(std::string_view text) {
  std::string error;
  std::optional<StatusMatcher> m = StatusMatcher::parse(text, &error);
  CHECK_MESSAGE(!m.has_value(), "accepted \"", std::string(text), '"');
  CHECK_MESSAGE(error.find(std::string(text)) != std::string::npos,
                "error does not quote the input: ", error);
  return error;
}

TEST_CASE("StatusMatcher defaults to 200 only") {
  StatusMatcher m;
  CHECK(m.matches(200));
  CHECK_FALSE(m.matches(201));
  CHECK_FALSE(m.matches(199));
  CHECK(m.to_string() == "200");
}

TEST_CASE("StatusMatcher reads a single code") {
  StatusMatcher m = parsed("204");
  CHECK(m.matches(204));
  CHECK_FALSE(m.matches(200));
  REQUIRE(m.ranges().size() == 1);
  CHECK(m.ranges()[0].first == 204);
  CHECK(m.ranges()[0].last == 204);
}

TEST_CASE("StatusMatcher reads lists") {
  StatusMatcher m = parsed("200,202, 301");
  CHECK(m.matches(200));
  CHECK(m.matches(202));
  CHECK(m.matches(301));
  CHECK_FALSE(m.matches(201));
  CHECK_FALSE(m.matches(300));
  CHECK(m.to_string() == "200,202,301");
}

TEST_CASE("StatusMatcher reads ranges, inclusive at both ends") {
  StatusMatcher m = parsed("200-399");
  CHECK_FALSE(m.matches(199));
  CHECK(m.matches(200));
  CHECK(m.matches(302));
  CHECK(m.matches(399));
  CHECK_FALSE(m.matches(400));
  CHECK(m.to_string() == "200-399");
}

TEST_CASE("StatusMatcher reads mixes of codes and ranges") {
  StatusMatcher m = parsed("200,300-302,404");
  for (int code : {200, 300, 301, 302, 404}) {
    CAPTURE(code);
    CHECK(m.matches(code));
  }
  for (int code : {201, 299, 303, 403, 405}) {
    CAPTURE(code);
    CHECK_FALSE(m.matches(code));
  }
  CHECK(m.ranges().size() == 3);
  CHECK(m.to_string() == "200,300-302,404");
}

TEST_CASE("StatusMatcher accepts exactly the bounds 200..499") {
  StatusMatcher m = parsed("200-499");
  CHECK(m.matches(200));
  CHECK(m.matches(499));
  CHECK_FALSE(m.matches(500));
  parsed("499");
  CHECK(rejection("199").find("within 200..499") != std::string::npos);
  CHECK(rejection("500").find("within 200..499") != std::string::npos);
  CHECK(rejection("100-200").find("within 200..499") != std::string::npos);
  CHECK(rejection("200-500").find("within 200..499") != std::string::npos);
  CHECK(rejection("200,503").find("within 200..499") != std::string::npos);
}

TEST_CASE("StatusMatcher rejects reversed ranges") {
  CHECK(rejection("399-200").find("range \"399-200\" is reversed") != std::string::npos);
  CHECK(rejection("200,302-301").find("reversed") != std::string::npos);
  parsed("301-301");
}

TEST_CASE("StatusMatcher rejects garbage") {
  for (const char* text :
       {"", " ", "abc", "20", "2000", "200-", "-200", "200--300", "200-300-400", "200,", ",200",
        "200,,202", "2xx", "200 - 300", "200;202", "+200", "200.0", "200-3OO"}) {
    CAPTURE(text);
    rejection(text);
  }
}

}  // namespace
}  // namespace albatross::config
