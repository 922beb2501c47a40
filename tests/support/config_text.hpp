#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace albatross::testing {

// Builds the TOML text of a test configuration: two worker threads, no admin endpoint (unless
// admin()), listeners bound to 127.0.0.1 port 0, target groups on loopback with health checks
// off (targets are then routable from the start) unless `health_check` gives the keys of that
// table. `extra` lines go into the section as written; a sub-table there (stickiness) must come
// last.
class ConfigText {
 public:
  ConfigText& threads(int n);
  // The admin endpoint's address ("127.0.0.1:0": a port of its own; AdminClient finds it).
  ConfigText& admin(std::string_view address);
  ConfigText& global(std::string_view extra);
  // Enables the admin endpoint on loopback, port 0 (AlbatrossProcess::admin_port finds it).
  ConfigText& admin();
  ConfigText& listener(std::string_view name, std::string_view target_group,
                       std::string_view extra = "");
  ConfigText& target_group(std::string_view name, const std::vector<std::uint16_t>& ports,
                           std::string_view extra = "",
                           std::string_view health_check = "enabled = false");
  std::string str() const;

 private:
  int threads_ = 2;
  std::string admin_;  // "" = disabled
  std::string global_;
  std::string sections_;
};

}  // namespace albatross::testing
