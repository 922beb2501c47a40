#pragma once

#include <set>
#include <string>
#include <string_view>

namespace albatross::discovery {

// The names of a hosts(5) file. A target name found there is resolved once per load, as the
// system resolver resolves it (one target with every address, as before target discovery);
// only names it does not hold are followed through DNS. Pure parsing plus one file read.
// Thread: any.
class HostsFile {
 public:
  static constexpr std::string_view kPath = "/etc/hosts";

  static HostsFile parse(std::string_view text);
  // An unreadable file holds no names.
  static HostsFile load(const std::string& path = std::string(kPath));

  // Case-insensitive, one trailing dot ignored.
  bool contains(std::string_view name) const;

 private:
  std::set<std::string, std::less<>> names_;  // lower case
};

}  // namespace albatross::discovery
