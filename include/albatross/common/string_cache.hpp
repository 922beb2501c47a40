#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace albatross {

// Strings with their capacity, handed from finished exchanges to starting ones: an idle
// connection then holds none of its head strings, and a busy one allocates none. Holds at most
// kMaxStrings; strings without heap storage are not kept. Thread: one (a worker's).
class StringCache {
 public:
  static constexpr std::size_t kMaxStrings = 256;

  StringCache() { free_.reserve(kMaxStrings); }

  // Gives `s` the storage of a cached string, if one is there and `s` has none (its content is
  // unspecified).
  void take(std::string& s);
  // Takes `s`'s storage (if worth keeping and there is room); `s` is left empty.
  void give(std::string& s);

  std::size_t size() const { return free_.size(); }

 private:
  static constexpr std::size_t kSmallString = 15;  // libstdc++'s in-place capacity
  std::vector<std::string> free_;
};

}  // namespace albatross
