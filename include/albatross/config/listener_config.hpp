#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "albatross/common/duration.hpp"
#include "albatross/common/host_port.hpp"
#include "albatross/config/rule_config.hpp"
#include "albatross/config/tls_config.hpp"

namespace albatross::config {

// [[listener]]: one bound address accepting downstream connections.
struct ListenerConfig {
  std::string name;
  HostPort bind;
  std::string target_group;  // the default rule's action: forward to this group
  // The default rule's action instead: answer every request no rule matched with a 301 to
  // https://host[:https_port]/path?query. Plain HTTP listeners only.
  bool redirect_to_https = false;
  std::uint16_t https_port = 443;
  std::vector<RuleConfig> rules;  // [[listener.rule]], in file order (validate checks priorities)
  Duration idle_timeout = std::chrono::seconds(60);
  Duration header_timeout = std::chrono::seconds(10);
  // Slow-POST bound: a request body may pause at most body_timeout, and after its first
  // body_timeout must average body_min_rate bytes/s (0: no rate, pauses only). See
  // conf/albatross.toml.
  Duration body_timeout = std::chrono::seconds(30);
  int body_min_rate = 500;
  std::optional<TlsConfig> tls;  // [listener.tls]: HTTPS when present
};

}  // namespace albatross::config
