#include "albatross/common/str_cat.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

namespace albatross {
namespace {

TEST_CASE("str_cat formats strings, characters, booleans, numbers and durations") {
  std::string s = "str";
  CHECK(str_cat("a", std::string_view("b"), s, 'c') == "abstrc");
  CHECK(str_cat(true, ' ', false) == "true false");
  CHECK(str_cat(0, ' ', -42, ' ', 42u) == "0 -42 42");
  CHECK(str_cat(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(str_cat(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(str_cat(1.5) == "1.5");
  CHECK(str_cat(std::chrono::seconds(3)) == "3000ms");
  CHECK(str_cat() == "");
  std::string out = "x=";
  str_append(out, 7);
  CHECK(out == "x=7");
}

}  // namespace
}  // namespace albatross
