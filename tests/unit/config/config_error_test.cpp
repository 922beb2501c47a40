#include "albatross/config/config_error.hpp"

#include <doctest/doctest.h>

namespace albatross::config {
namespace {

TEST_CASE("ConfigError renders FILE:LINE:COL: key.path: message") {
  CHECK(ConfigError{"f.toml", {3, 7}, "a.b", "bad"}.to_string() == "f.toml:3:7: a.b: bad");
  CHECK(ConfigError{"f.toml", {1, 1}, "", "syntax"}.to_string() == "f.toml:1:1: syntax");
}

}  // namespace
}  // namespace albatross::config
