#pragma once

#include <optional>
#include <string>

#include "albatross/common/duration.hpp"
#include "albatross/common/host_port.hpp"

namespace albatross::config {

// [global]: process-wide settings as the operator declared them. Defaults are the
// documented ones in conf/albatross.toml.
struct GlobalConfig {
  int threads = 0;  // 0 = one worker per core
  Duration shutdown_timeout = std::chrono::seconds(30);
  std::optional<HostPort> admin = HostPort{"127.0.0.1", 9901};  // nullopt when "" (disabled)
  std::string sticky_key_file;                                  // "" = random key per process
};

}  // namespace albatross::config
