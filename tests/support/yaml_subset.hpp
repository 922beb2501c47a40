#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace albatross::testing {

// One node of a YAML document in the block-style subset the conformance files use: maps and
// sequences by indentation ("- key: value" items included), double-quoted scalars with the
// escapes \xNN \uNNNN \0 \a \b \t \n \v \f \r \e \" \\ \/ and "\ ", single-quoted scalars ('' is
// a quote), plain scalars (a trailing " #comment" removed), and comment lines. Anything else
// (flow collections, anchors, multi-line scalars, tabs in indentation) is refused by
// parse_yaml_subset with the line number, never guessed at.
// Thread: a value; no shared state.
struct YamlNode {
  enum class Kind { null, scalar, sequence, map };
  Kind kind = Kind::null;
  std::string scalar;
  std::vector<YamlNode> items;                            // sequence
  std::vector<std::pair<std::string, YamlNode>> entries;  // map, in file order

  // The value of `key` in a map, or nullptr.
  const YamlNode* find(std::string_view key) const;
  // The scalar text of `key` ("" when absent or null). Throws when it is not a scalar.
  std::string text(std::string_view key) const;
};

// Parses `text`; throws std::runtime_error naming the line of anything outside the subset.
YamlNode parse_yaml_subset(std::string_view text);

}  // namespace albatross::testing
