#include "albatross/common/duration.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Parses text that must be rejected; returns the error message.
std::string rejection(std::string_view text) {
  std::string error;
  std::optional<Duration> value = parse_duration(text, &error);
  CHECK_MESSAGE(!value.has_value(), "accepted \"", std::string(text), '"');
  CHECK_MESSAGE(!error.empty(), "no error message for \"", std::string(text), '"');
  return error;
}

TEST_CASE("parse_duration reads every unit") {
  CHECK(parse_duration("250ms") == milliseconds(250));
  CHECK(parse_duration("30s") == seconds(30));
  CHECK(parse_duration("5m") == minutes(5));
  CHECK(parse_duration("24h") == hours(24));
  CHECK(parse_duration("2d") == hours(48));
  CHECK(parse_duration("1ms") == milliseconds(1));
  CHECK(parse_duration("007s") == seconds(7));
}

TEST_CASE("parse_duration accepts zero in every unit") {
  for (const char* text : {"0ms", "0s", "0m", "0h", "0d"}) {
    CAPTURE(text);
    CHECK(parse_duration(text) == Duration::zero());
  }
}

TEST_CASE("parse_duration caps values at 100 years and reports overflow") {
  CHECK(parse_duration("36500d") == hours(24) * 36500);
  CHECK(parse_duration("3153600000000ms") == milliseconds(3153600000000LL));
  CHECK(rejection("36501d").find("too large") != std::string::npos);
  CHECK(rejection("3153600000001ms").find("too large") != std::string::npos);
  CHECK(rejection("876001h").find("too large") != std::string::npos);
  // Far beyond 64 bits: must not wrap around into a small value.
  CHECK(rejection("99999999999999999999999999s").find("too large") != std::string::npos);
  CHECK(rejection("18446744073709551617ms").find("too large") != std::string::npos);
}

TEST_CASE("parse_duration rejects a missing or unknown unit") {
  CHECK(rejection("30").find("missing unit") != std::string::npos);
  CHECK(rejection("30x").find("unknown unit \"x\"") != std::string::npos);
  CHECK(rejection("30S").find("unknown unit \"S\"") != std::string::npos);
  CHECK(rejection("30sec").find("unknown unit \"sec\"") != std::string::npos);
  CHECK(rejection("30mss").find("unknown unit") != std::string::npos);
  CHECK(rejection("30us").find("unknown unit") != std::string::npos);
}

TEST_CASE("parse_duration rejects signs, spaces, fractions and empty text") {
  for (const char* text : {"-5s", "+5s", " 5s", "5s ", "5 s", "1.5s", ".5s", "1e3ms", "", "s", "ms",
                           "5s5s", "0x10s", "5_000ms"}) {
    CAPTURE(text);
    rejection(text);
  }
  CHECK(rejection("5 s").find("unknown unit \" s\"") != std::string::npos);
  CHECK(rejection("").find("expected a whole number") != std::string::npos);
}

TEST_CASE("parse_duration without an error sink still fails cleanly") {
  CHECK_FALSE(parse_duration("bogus").has_value());
  CHECK_FALSE(parse_duration("99999999999999999999d").has_value());
}

TEST_CASE("format_duration writes the largest exact unit") {
  CHECK(format_duration(Duration::zero()) == "0s");
  CHECK(format_duration(milliseconds(250)) == "250ms");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(seconds(90)) == "90s");
  CHECK(format_duration(seconds(60)) == "1m");
  CHECK(format_duration(minutes(90)) == "90m");
  CHECK(format_duration(hours(1)) == "1h");
  CHECK(format_duration(hours(25)) == "25h");
  CHECK(format_duration(hours(48)) == "2d");
  CHECK(format_duration(milliseconds(86'400'001)) == "86400001ms");
}

TEST_CASE("format_duration and parse_duration round trip") {
  for (long long ms : {0LL, 1LL, 999LL, 1000LL, 1001LL, 59'000LL, 60'000LL, 61'000LL, 3'600'000LL,
                       5'400'000LL, 86'400'000LL, 90'000'000LL, 3153600000000LL}) {
    CAPTURE(ms);
    Duration d{ms};
    std::optional<Duration> back = parse_duration(format_duration(d));
    REQUIRE(back.has_value());
    CHECK(*back == d);
  }
  for (const char* text : {"250ms", "90s", "1m", "90m", "1h", "25h", "1d", "7d"}) {
    CAPTURE(text);
    CHECK(format_duration(*parse_duration(text)) == text);
  }
  // Non-canonical spellings come back canonical.
  CHECK(format_duration(*parse_duration("60s")) == "1m");
  CHECK(format_duration(*parse_duration("1000ms")) == "1s");
  CHECK(format_duration(*parse_duration("24h")) == "1d");
}

}  // namespace
}  // namespace albatross
