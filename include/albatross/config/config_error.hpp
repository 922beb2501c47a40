#pragma once

#include <string>
#include <vector>

namespace albatross::config {

// Where a key or value sits in the configuration file (1-based; 0 when unknown).
struct SourceLocation {
  int line = 0;
  int column = 0;
};

// One problem found while parsing or validating a configuration. Rendered as
// "FILE:LINE:COL: key.path: message", the form editors and CI logs link to.
struct ConfigError {
  std::string file;
  SourceLocation location;
  std::string key_path;
  std::string message;

  std::string to_string() const;
};

using ConfigErrors = std::vector<ConfigError>;

}  // namespace albatross::config
