#include "albatross/common/ascii.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace albatross::ascii {
namespace {

TEST_CASE("ascii case folding touches letters only") {
  CHECK(to_lower('A') == 'a');
  CHECK(to_lower('Z') == 'z');
  CHECK(to_lower('a') == 'a');
  CHECK(to_lower('@') == '@');
  CHECK(to_lower('[') == '[');
  CHECK(to_lower('\xc5') == '\xc5');
  CHECK(iequals("Content-Length", "content-LENGTH"));
  CHECK_FALSE(iequals("Content-Length", "Content-Lengt"));
  CHECK_FALSE(iequals("a@", "a`"));  // '@' + 32 == '`': not letters, not equal
  CHECK(istarts_with("Chunked; x", "chunked"));
  CHECK_FALSE(istarts_with("chunk", "chunked"));
}

TEST_CASE("ascii tokens are RFC 9110 tchar runs") {
  CHECK(is_token("GET"));
  CHECK(is_token("X-Custom_1.a!#$%&'*+^`|~"));
  CHECK_FALSE(is_token(""));
  for (std::string_view bad :
       {"a b", "a:b", "a\"b", "a(b", "a,b", "a;b", "a/b", "a@b", "a\tb", "a\x7f", "\xc3\xa9"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_token(bad));
  }
}

TEST_CASE("ascii OWS trimming and list splitting") {
  CHECK(trim_ows(" \t a b \t") == "a b");
  CHECK(trim_ows("   ").empty());
  std::vector<std::string> items;
  for_each_list_element(" a, ,b ,\tc,, ", [&](std::string_view item) { items.emplace_back(item); });
  CHECK(items == std::vector<std::string>{"a", "b", "c"});
  items.clear();
  for_each_list_element("", [&](std::string_view item) { items.emplace_back(item); });
  CHECK(items.empty());
}

}  // namespace
}  // namespace albatross::ascii
