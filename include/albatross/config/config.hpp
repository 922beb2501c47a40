#pragma once

#include <map>
#include <string>
#include <vector>

#include "albatross/config/config_error.hpp"
#include "albatross/config/global_config.hpp"
#include "albatross/config/listener_config.hpp"
#include "albatross/config/target_group_config.hpp"

namespace albatross::config {

// The whole configuration as declared: the output of parse(), the input of validate() and of
// the snapshot builder. Plain data; `locations` maps every key path read to where it was written,
// so later stages can point their errors at the right line.
struct Config {
  std::string file;
  GlobalConfig global;
  std::vector<ListenerConfig> listeners;
  std::vector<TargetGroupConfig> target_groups;
  std::map<std::string, SourceLocation, std::less<>> locations;

  SourceLocation location_of(std::string_view key_path) const;
};

}  // namespace albatross::config
