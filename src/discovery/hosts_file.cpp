#include "albatross/discovery/hosts_file.hpp"

#include <fstream>
#include <sstream>

#include "albatross/common/ascii.hpp"

namespace albatross::discovery {
namespace {

std::string lower(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out)
    c = ascii::to_lower(c);
  return out;
}

}  // namespace

HostsFile HostsFile::parse(std::string_view text) {
  HostsFile hosts;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string address;
    if (!(words >> address)) continue;
    std::string name;
    while (words >> name)
      hosts.names_.insert(lower(name));
  }
  return hosts;
}

HostsFile HostsFile::load(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  return parse(text.str());
}

bool HostsFile::contains(std::string_view name) const {
  return names_.contains(lower(name));
}

}  // namespace albatross::discovery
