#pragma once

#include <string>
#include <string_view>

namespace albatross {

// Appends `text` as the inside of a JSON string (RFC 8259), without the quotes: '"' and '\' are
// backslash-escaped, \n \r \t use their short forms, every other control byte (< 0x20) and DEL
// (0x7f, legal in JSON but invisible and unsafe in terminals and log viewers) become \u00XX.
// Other bytes pass through unchanged (UTF-8 stays UTF-8). The one JSON escaper of albatross:
// admin output (JsonWriter) and the JSON access log use it.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace albatross
