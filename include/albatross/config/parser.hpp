#pragma once

#include <string>
#include <string_view>

#include "albatross/config/config.hpp"
#include "albatross/config/config_error.hpp"

namespace albatross::config {

// Stage 1 of 3 (parse -> validate -> build): TOML text to plain structs. Checks syntax, key
// names, value types and per-value ranges; every problem is appended to `errors` with its key
// path, and parsing goes on so that one run reports all of them. Cross-field and
// cross-reference rules are validate()'s job.
Config parse(std::string_view text, std::string_view file, ConfigErrors& errors);

}  // namespace albatross::config
