#include "albatross/config/config_error.hpp"

#include "albatross/common/str_cat.hpp"

namespace albatross::config {

std::string ConfigError::to_string() const {
  std::string out = str_cat(file, ':', location.line, ':', location.column, ": ");
  if (!key_path.empty()) str_append(out, str_cat(key_path, ": "));
  out.append(message);
  return out;
}

}  // namespace albatross::config
