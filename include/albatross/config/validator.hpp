#pragma once

#include "albatross/config/config.hpp"
#include "albatross/config/config_error.hpp"

namespace albatross::config {

// Stage 2 of 3: rules across fields and sections (names unique, references resolved,
// timeouts consistent). Appends every violation to `errors`.
void validate(const Config& config, ConfigErrors& errors);

}  // namespace albatross::config
