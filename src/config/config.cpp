#include "albatross/config/config.hpp"

namespace albatross::config {

SourceLocation Config::location_of(std::string_view key_path) const {
  // Fall back to the closest enclosing key that was recorded.
  std::string path(key_path);
  while (true) {
    if (auto it = locations.find(path); it != locations.end()) return it->second;
    auto cut = path.find_last_of(".[");
    if (cut == std::string::npos) return {};
    path.resize(cut);
  }
}

}  // namespace albatross::config
