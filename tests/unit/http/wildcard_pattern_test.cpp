#include "albatross/http/wildcard_pattern.hpp"

#include <doctest/doctest.h>

namespace albatross::http {
namespace {

bool matches(std::string_view pattern, std::string_view text, bool case_insensitive = false) {
  return WildcardPattern(pattern, case_insensitive).matches(text);
}

TEST_CASE("a pattern without wildcards is an exact comparison") {
  CHECK(matches("/api", "/api"));
  CHECK_FALSE(matches("/api", "/api/"));
  CHECK_FALSE(matches("/api", "/ap"));
  CHECK_FALSE(matches("/api", "/API"));
  CHECK(matches("/api", "/API", true));
  CHECK(matches("", ""));
  CHECK_FALSE(matches("", "x"));
}

TEST_CASE("* matches any run of characters, the empty one included") {
  CHECK(matches("*", ""));
  CHECK(matches("*", "anything/at/all"));
  CHECK(matches("/api/*", "/api/"));
  CHECK(matches("/api/*", "/api/v1/users"));
  CHECK_FALSE(matches("/api/*", "/api"));
  CHECK_FALSE(matches("/api/*", "/apix/1"));
  CHECK(matches("*.jpg", ".jpg"));
  CHECK(matches("*.jpg", "/img/a.b.jpg"));
  CHECK_FALSE(matches("*.jpg", "/img/a.jpg.png"));
  CHECK(matches("/a/*/c", "/a/b/c"));
  CHECK(matches("/a/*/c", "/a//c"));
  CHECK(matches("/a/*/c", "/a/b/x/c"));
  CHECK_FALSE(matches("/a/*/c", "/a/b/c/d"));
  CHECK(matches("**", "x"));
  CHECK(matches("a**b", "ab"));
  CHECK(matches("*a*b*", "xxaxxbxx"));
  CHECK_FALSE(matches("*a*b*", "xxbxxaxx"));
}

TEST_CASE("? matches exactly one character") {
  CHECK(matches("/v?/x", "/v1/x"));
  CHECK_FALSE(matches("/v?/x", "/v/x"));
  CHECK_FALSE(matches("/v?/x", "/v12/x"));
  CHECK(matches("???", "abc"));
  CHECK_FALSE(matches("???", "ab"));
  CHECK(matches("?*", "a"));
  CHECK_FALSE(matches("?*", ""));
  CHECK(matches("*?", "ab"));
}

TEST_CASE("backtracking: a later star retries after a partial match") {
  CHECK(matches("*ab", "aab"));
  CHECK(matches("*aab", "aaab"));
  CHECK(matches("*abc*abd", "abcabcabd"));
  CHECK(matches("a*a*a", "aaaaa"));
  CHECK_FALSE(matches("a*a*a", "aa"));
  CHECK(matches("*.example.com", "a.b.example.com"));
  CHECK_FALSE(matches("*.example.com", "example.com"));  // ALB: the dot must be there
  CHECK_FALSE(matches("*.example.com", "a.example.com.evil"));
  // A long non-matching text stays linear-ish: one star, many restarts.
  std::string text(2000, 'a');
  CHECK_FALSE(matches("*b", text));
  CHECK(matches("*a", text));
}

TEST_CASE("case-insensitive patterns fold ASCII letters only; wildcards in the text are text") {
  CHECK(matches("*.API.example.COM", "v1.api.EXAMPLE.com", true));
  CHECK_FALSE(matches("*.API.example.COM", "v1.api.EXAMPLE.com", false));
  CHECK(matches("x", "X", true));
  CHECK_FALSE(matches("\xc3\xa9", "\xc3\x89", true));  // no Unicode folding
  CHECK(matches("*", "*"));
  CHECK_FALSE(matches("a", "*"));
  CHECK_FALSE(matches("a", "?"));
  CHECK(WildcardPattern("A*B", true).pattern() == "a*b");
}

}  // namespace
}  // namespace albatross::http
