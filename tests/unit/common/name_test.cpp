#include "albatross/common/name.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross {
namespace {

TEST_CASE("is_valid_name: 1..64 characters of A-Z a-z 0-9 - _ .") {
  for (std::string_view ok : {"a", "web", "app-1", "Blue_Green.v2", "AWSALB"})
    CHECK_MESSAGE(is_valid_name(ok), std::string(ok));
  CHECK(is_valid_name(std::string(64, 'x')));
  CHECK_FALSE(is_valid_name(std::string(65, 'x')));
  for (std::string_view bad : {"", "a b", "a/b", "a\"b", "a=b", "a;b", "caf\xc3\xa9", "a\n"})
    CHECK_MESSAGE(!is_valid_name(bad), std::string(bad));
  static_assert(is_valid_name("compile-time"));
}

}  // namespace
}  // namespace albatross
