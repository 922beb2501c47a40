#pragma once

#include <string>
#include <string_view>

namespace albatross::http {

// A listener-rule pattern with ALB's wildcards: `*` matches any run of characters (none
// included), `?` exactly one; there is no escape, so neither matches itself only. Matching is
// case-sensitive (paths) or ASCII case-insensitive (hosts, header values: the pattern is stored
// lower case and the text folded on the fly). Compiled once per snapshot; matches() allocates
// nothing and takes O(pattern x text) at worst. Immutable, any thread.
class WildcardPattern {
 public:
  WildcardPattern(std::string_view pattern, bool case_insensitive);

  bool matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  bool case_insensitive_;
  bool literal_;  // no wildcard: a plain comparison
};

}  // namespace albatross::http
