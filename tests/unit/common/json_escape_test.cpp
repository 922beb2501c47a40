#include "albatross/common/json_escape.hpp"

#include <doctest/doctest.h>

#include <string>

namespace albatross {
namespace {

std::string escaped(std::string_view text) {
  std::string out;
  append_json_escaped(out, text);
  return out;
}

TEST_CASE("append_json_escaped: quotes, backslashes and the short control forms") {
  CHECK(escaped("plain text") == "plain text");
  CHECK(escaped("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escaped("C:\\dir") == "C:\\\\dir");
  CHECK(escaped("a\nb\rc\td") == "a\\nb\\rc\\td");
}

TEST_CASE("append_json_escaped: other control bytes and DEL as \\u00XX") {
  CHECK(escaped(std::string_view("\0", 1)) == "\\u0000");
  CHECK(escaped("\x01\x08\x0c\x1b\x1f") == "\\u0001\\u0008\\u000c\\u001b\\u001f");
  CHECK(escaped("a\x7f"
                "b") == "a\\u007fb");
  CHECK(escaped(" ~") == " ~");  // 0x20 and 0x7e are printable
}

TEST_CASE("append_json_escaped: UTF-8 passes through, and it appends") {
  CHECK(escaped("caf\xc3\xa9 \xe2\x82\xac") == "caf\xc3\xa9 \xe2\x82\xac");
  std::string out = "\"k\":\"";
  append_json_escaped(out, "v\n");
  CHECK(out == "\"k\":\"v\\n");
}

}  // namespace
}  // namespace albatross
