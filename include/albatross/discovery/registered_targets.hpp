#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "albatross/common/host_port.hpp"

namespace albatross::discovery {

// Targets registered through the admin endpoint (ALB's register-targets), by target group, and
// their persistence in global.state_file: a small TOML file written atomically (temporary file,
// fsync, rename, fsync of the directory), so a restart or a reload finds exactly what the
// last successful call left. Thread: the control thread.
class RegisteredTargets {
 public:
  using Groups = std::map<std::string, std::vector<HostPort>, std::less<>>;

  // The file at `path`; a file that does not exist is an empty set. nullopt with `error`
  // (naming the file) when it cannot be read or is not a state file albatross wrote.
  static std::optional<RegisteredTargets> load(const std::string& path, std::string& error);
  // The state file text `text` (`file` names it in errors).
  static std::optional<RegisteredTargets> parse(std::string_view text, std::string_view file,
                                                std::string& error);

  std::string to_text() const;
  // Replaces the file at `path` with to_text(); false with `error` (the file is unchanged).
  bool save(const std::string& path, std::string& error) const;

  bool contains(std::string_view group, const HostPort& target) const;
  bool add(std::string_view group, const HostPort& target);     // false: already there
  bool remove(std::string_view group, const HostPort& target);  // false: was not there
  const Groups& groups() const { return groups_; }
  std::size_t size() const;

 private:
  Groups groups_;
};

}  // namespace albatross::discovery
