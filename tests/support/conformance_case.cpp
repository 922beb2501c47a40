#include "support/conformance_case.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/yaml_subset.hpp"

namespace albatross::testing {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string required(const YamlNode& node, std::string_view key, const std::string& where) {
  const YamlNode* value = node.find(key);
  if (value == nullptr) throw std::runtime_error(where + ": no " + std::string(key));
  return node.text(key);
}

}  // namespace

bool ConformanceCase::has_host() const {
  return std::any_of(headers.begin(), headers.end(),
                     [](const auto& h) { return iequals(h.first, "host"); });
}

std::string ConformanceCase::wire() const {
  std::string out = method + " " + uri;
  if (!version.empty()) out += " " + version;
  out += "\r\n";
  for (const auto& [name, value] : headers)
    out += name + ": " + value + "\r\n";
  if (!has_host()) out += "Host: localhost\r\n";
  out += "\r\n";
  return out;
}

std::vector<ConformanceCase> load_conformance_cases(const std::string& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<ConformanceCase> cases;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::string file = path.filename().string();
    YamlNode root;
    try {
      root = parse_yaml_subset(text.str());
    } catch (const std::exception& e) {
      throw std::runtime_error(file + ": " + e.what());
    }
    if (root.kind != YamlNode::Kind::sequence) {
      throw std::runtime_error(file + ": expected a sequence of cases");
    }
    for (const YamlNode& item : root.items) {
      ConformanceCase c;
      c.file = file;
      std::string where = file + " case " + std::to_string(cases.size());
      c.name = required(item, "name", where);
      where = file + " \"" + c.name + "\"";
      c.method = required(item, "method", where);
      c.uri = required(item, "uri", where);
      c.version = required(item, "version", where);
      if (const YamlNode* headers = item.find("headers");
          headers && headers->kind == YamlNode::Kind::sequence) {
        for (const YamlNode& h : headers->items)
          c.headers.emplace_back(required(h, "name", where), h.text("value"));
      }
      const YamlNode* expected = item.find("expected");
      if (expected == nullptr) throw std::runtime_error(where + ": no expected");
      c.tier = required(*expected, "tier", where);
      c.reason = expected->text("reason");
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

}  // namespace albatross::testing
