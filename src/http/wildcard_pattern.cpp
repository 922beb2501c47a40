#include "albatross/http/wildcard_pattern.hpp"

#include "albatross/common/ascii.hpp"

namespace albatross::http {

WildcardPattern::WildcardPattern(std::string_view pattern, bool case_insensitive)
    : pattern_(pattern), case_insensitive_(case_insensitive) {
  if (case_insensitive_) {
    for (char& c : pattern_)
      c = ascii::to_lower(c);
  }
  literal_ = pattern_.find_first_of("*?") == std::string::npos;
}

bool WildcardPattern::matches(std::string_view text) const {
  auto fold = [this](char c) { return case_insensitive_ ? ascii::to_lower(c) : c; };
  const std::string_view p = pattern_;
  if (literal_) {
    if (p.size() != text.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (p[i] != fold(text[i])) return false;
    }
    return true;
  }
  // Greedy scan remembering the last `*`: on a mismatch, that star takes one more character
  // and the scan resumes after it. Earlier stars never need revisiting (the classic linear
  // backtracking for `*`/`?` globs).
  std::size_t pi = 0;
  std::size_t ti = 0;
  std::size_t star = std::string_view::npos;
  std::size_t star_text = 0;
  while (ti < text.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      star_text = ti;
    } else if (pi < p.size() && (p[pi] == '?' || p[pi] == fold(text[ti]))) {
      ++pi;
      ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++star_text;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

}  // namespace albatross::http
