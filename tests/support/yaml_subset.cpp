#include "support/yaml_subset.hpp"

#include <stdexcept>

namespace albatross::testing {
namespace {

struct Line {
  int number = 0;  // 1-based, for errors
  std::size_t indent = 0;
  std::string_view content;  // after the indentation, trailing spaces and CR removed
};

[[noreturn]] void fail(int line, std::string_view what) {
  throw std::runtime_error("yaml line " + std::to_string(line) + ": " + std::string(what));
}

bool is_dash(std::string_view content) {
  return content == "-" || content.starts_with("- ");
}

// "key:" or "key: value" with a plain key of [A-Za-z0-9_-]; `key` and `rest` receive the parts.
bool split_key(std::string_view content, std::string_view& key, std::string_view& rest) {
  std::size_t i = 0;
  while (i < content.size()) {
    char c = content[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) break;
    ++i;
  }
  if (i == 0 || i >= content.size() || content[i] != ':') return false;
  if (i + 1 < content.size() && content[i + 1] != ' ') return false;
  key = content.substr(0, i);
  rest = content.substr(i + 1);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// What may follow a closing quote: nothing, or a comment.
void expect_end(std::string_view rest, int line) {
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != '#') fail(line, "text after a quoted scalar");
}

YamlNode scalar_node(std::string_view text, int line) {
  YamlNode node;
  if (text.empty()) return node;  // null
  node.kind = YamlNode::Kind::scalar;
  std::string& out = node.scalar;
  if (text.front() == '"') {
    std::size_t i = 1;
    for (;; ++i) {
      if (i >= text.size()) fail(line, "unterminated double-quoted scalar");
      char c = text[i];
      if (c == '"') break;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (++i >= text.size()) fail(line, "unterminated escape");
      switch (text[i]) {
        case '0':
          out.push_back('\0');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'e':
          out.push_back('\x1b');
          break;
        case ' ':
          out.push_back(' ');
          break;
        case '"':
          out.push_back('"');
          break;
        case '/':
          out.push_back('/');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case 'x':
        case 'u': {
          std::size_t digits = text[i] == 'x' ? 2 : 4;
          if (i + digits >= text.size()) fail(line, "short \\x or \\u escape");
          unsigned code = 0;
          for (std::size_t d = 1; d <= digits; ++d) {
            int v = hex_value(text[i + d]);
            if (v < 0) fail(line, "bad hex digit in an escape");
            code = code * 16 + static_cast<unsigned>(v);
          }
          i += digits;
          // \xNN is one code point in YAML; the files use it for single bytes below 0x80 and
          // for raw bytes above (an obs-text octet), which is what a test on the wire wants.
          if (digits == 2) {
            out.push_back(static_cast<char>(code));
          } else {
            append_utf8(out, code);
          }
          break;
        }
        default:
          fail(line, std::string("unsupported escape \\") + text[i]);
      }
    }
    expect_end(text.substr(i + 1), line);
    return node;
  }
  if (text.front() == '\'') {
    std::size_t i = 1;
    for (;; ++i) {
      if (i >= text.size()) fail(line, "unterminated single-quoted scalar");
      if (text[i] != '\'') {
        out.push_back(text[i]);
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
        continue;
      }
      break;
    }
    expect_end(text.substr(i + 1), line);
    return node;
  }
  char first = text.front();
  if (first == '[' || first == '{' || first == '&' || first == '*' || first == '!' ||
      first == '|' || first == '>') {
    fail(line, "flow collections, anchors, tags and block scalars are outside the subset");
  }
  std::size_t comment = text.find(" #");
  if (comment != std::string_view::npos) text = text.substr(0, comment);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  out.assign(text);
  if (out == "~" || out == "null") {
    node.kind = YamlNode::Kind::null;
    out.clear();
  }
  return node;
}

class Parser {
 public:
  explicit Parser(std::string_view text) {
    int number = 0;
    while (!text.empty()) {
      std::size_t eol = text.find('\n');
      std::string_view raw = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      ++number;
      while (!raw.empty() && (raw.back() == '\r' || raw.back() == ' '))
        raw.remove_suffix(1);
      std::size_t indent = 0;
      while (indent < raw.size() && raw[indent] == ' ')
        ++indent;
      std::string_view content = raw.substr(indent);
      if (content.empty() || content.front() == '#') continue;
      if (content.front() == '\t') fail(number, "tab in indentation");
      if (content == "---" || content == "...") continue;
      lines_.push_back(Line{number, indent, content});
    }
  }

  YamlNode document() {
    if (lines_.empty()) return {};
    YamlNode root = node(lines_[0].indent);
    if (pos_ < lines_.size()) fail(lines_[pos_].number, "unexpected indentation");
    return root;
  }

 private:
  YamlNode node(std::size_t indent) {
    return is_dash(lines_[pos_].content) ? sequence(indent) : map(indent);
  }

  YamlNode sequence(std::size_t indent) {
    YamlNode seq;
    seq.kind = YamlNode::Kind::sequence;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && is_dash(lines_[pos_].content)) {
      Line& line = lines_[pos_];
      std::string_view rest = line.content.substr(1);
      std::size_t skipped = 1;
      while (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
        ++skipped;
      }
      std::string_view key, value;
      if (rest.empty()) {
        ++pos_;
        bool nested = pos_ < lines_.size() && lines_[pos_].indent > indent;
        seq.items.push_back(nested ? node(lines_[pos_].indent) : YamlNode{});
      } else if (rest.front() != '"' && rest.front() != '\'' && split_key(rest, key, value)) {
        // "- key: value": a map whose first entry sits on the dash line.
        line.indent = indent + skipped;
        line.content = rest;
        seq.items.push_back(map(line.indent));
      } else {
        seq.items.push_back(scalar_node(rest, line.number));
        ++pos_;
      }
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      fail(lines_[pos_].number, "unexpected indentation in a sequence");
    }
    return seq;
  }

  YamlNode map(std::size_t indent) {
    YamlNode m;
    m.kind = YamlNode::Kind::map;
    while (pos_ < lines_.size() && lines_[pos_].indent == indent &&
           !is_dash(lines_[pos_].content)) {
      const Line& line = lines_[pos_];
      std::string_view key, rest;
      if (!split_key(line.content, key, rest)) fail(line.number, "expected \"key: value\"");
      ++pos_;
      YamlNode value;
      if (!rest.empty()) {
        value = scalar_node(rest, line.number);
      } else if (pos_ < lines_.size() &&
                 (lines_[pos_].indent > indent ||
                  (lines_[pos_].indent == indent && is_dash(lines_[pos_].content)))) {
        value = node(lines_[pos_].indent);
      }
      for (const auto& entry : m.entries) {
        if (entry.first == key) fail(line.number, "duplicate key " + std::string(key));
      }
      m.entries.emplace_back(std::string(key), std::move(value));
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      fail(lines_[pos_].number, "unexpected indentation in a map");
    }
    return m;
  }

  std::vector<Line> lines_;
  std::size_t pos_ = 0;
};

}  // namespace

const YamlNode* YamlNode::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string YamlNode::text(std::string_view key) const {
  const YamlNode* node = find(key);
  if (node == nullptr || node->kind == Kind::null) return {};
  if (node->kind != Kind::scalar) {
    throw std::runtime_error("yaml: " + std::string(key) + " is not a scalar");
  }
  return node->scalar;
}

YamlNode parse_yaml_subset(std::string_view text) {
  return Parser(text).document();
}

}  // namespace albatross::testing
