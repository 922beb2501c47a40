#include "albatross/common/wall_clock.hpp"

#include <doctest/doctest.h>

#include <chrono>

namespace albatross {
namespace {

TEST_CASE("ISO-8601 in milliseconds and microseconds, UTC") {
  CHECK(iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  // 2026-12-07T20:41:39.123Z
  CHECK(iso8601_ms(1796676099123) == "2026-12-07T20:41:39.123Z");
  std::string out = "at ";
  append_iso8601_us(out, 1796676099000042);
  CHECK(out == "at 2026-12-07T20:41:39.000042Z");
  CHECK(iso8601_ms(951782400000) == "2000-02-29T00:00:00.000Z");  // leap day
  CHECK(iso8601_ms(-5) == "1970-01-01T00:00:00.000Z");            // clamped, never garbage
}

TEST_CASE("unix_ms_now and unix_us_now read the system clock") {
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::int64_t ms = unix_ms_now();
  std::int64_t us = unix_us_now();
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  CHECK(ms >= before);
  CHECK(ms <= after);
  CHECK(us / 1000 >= before);
  CHECK(us / 1000 <= after);
}

}  // namespace
}  // namespace albatross
