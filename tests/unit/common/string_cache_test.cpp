#include "albatross/common/string_cache.hpp"

#include <doctest/doctest.h>

namespace albatross {
namespace {

TEST_CASE("a given string's storage goes to the next taker; the giver is left without any") {
  StringCache cache;
  std::string first(300, 'x');
  const char* storage = first.data();
  cache.give(first);
  CHECK(first.empty());
  CHECK(first.capacity() <= 15);
  CHECK(cache.size() == 1);
  std::string second;
  cache.take(second);
  CHECK(second.data() == storage);
  CHECK(second.capacity() >= 300);
  CHECK(cache.size() == 0);
}

TEST_CASE("small strings and a string that already has storage are left alone") {
  StringCache cache;
  std::string tiny("abc");
  cache.give(tiny);
  CHECK(cache.size() == 0);
  std::string big(100, 'b');
  cache.give(big);
  std::string own(200, 'o');
  const char* storage = own.data();
  cache.take(own);
  CHECK(own.data() == storage);
  CHECK(cache.size() == 1);
}

TEST_CASE("the cache keeps at most kMaxStrings") {
  StringCache cache;
  for (std::size_t i = 0; i < StringCache::kMaxStrings + 10; ++i) {
    std::string s(64, 'z');
    cache.give(s);
  }
  CHECK(cache.size() == StringCache::kMaxStrings);
}

}  // namespace
}  // namespace albatross
