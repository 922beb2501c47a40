#include "albatross/common/string_cache.hpp"

#include <utility>

namespace albatross {

void StringCache::take(std::string& s) {
  if (free_.empty() || s.capacity() > kSmallString) return;
  s.swap(free_.back());
  free_.pop_back();
}

void StringCache::give(std::string& s) {
  if (s.capacity() > kSmallString && free_.size() < kMaxStrings) {
    free_.emplace_back().swap(s);
  }
  std::string().swap(s);
}

}  // namespace albatross
