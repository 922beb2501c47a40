#pragma once

#include <optional>
#include <string>
#include <vector>

#include "albatross/common/duration.hpp"
#include "albatross/common/host_port.hpp"

namespace albatross::config {

// [global]: process-wide settings as the operator declared them. Defaults are the
// documented ones in conf/albatross.toml.
struct GlobalConfig {
  int threads = 0;  // 0 = one worker per core
  Duration shutdown_timeout = std::chrono::seconds(30);
  std::optional<HostPort> admin = HostPort{"127.0.0.1", 9901};  // nullopt when "" (disabled)
  std::string admin_token_file;  // "" = state-changing admin calls from loopback only
  // Names the admin endpoint answers to besides localhost, 127.0.0.1, [::1] and its bound
  // address: "name" (with the admin port) or "name:port"; compared exactly after lower-casing.
  std::vector<std::string> admin_allowed_hosts;
  std::string sticky_key_file;                       // "" = random key per process
  std::string access_log = "off";                    // "off" | "stderr" | "stdout" | a file path
  std::string access_log_format = "alb";             // "alb" | "json"
  std::string desync_mitigation_mode = "defensive";  // "monitor" | "defensive" | "strictest"
  bool drop_invalid_header_fields = false;
  int max_connections = 50000;  // client connections per process, beyond which new ones are refused
  int max_header_count = 100;   // request header fields
  // DNS servers asked for target names ("IP:port"; empty = the nameservers of /etc/resolv.conf).
  std::vector<HostPort> resolvers;
  // Where targets registered through the admin endpoint are kept ("" = registration disabled).
  std::string state_file;
};

}  // namespace albatross::config
