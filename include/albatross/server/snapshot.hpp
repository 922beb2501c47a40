#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "albatross/config/config.hpp"
#include "albatross/http/listener_context.hpp"
#include "albatross/http/proxy_settings.hpp"
#include "albatross/upstream/target_group.hpp"

namespace albatross::server {

// One immutable, validated configuration with everything the request path needs resolved:
// target groups with their targets' endpoints and observed state, listener contexts with their
// routes and metric handles. Published to workers as a whole on start and on each reload;
// nothing in it changes afterwards. Thread: any (read-only).
struct Snapshot {
  config::Config config;
  std::string config_hash;  // SHA-256 of the file, hex
  std::int64_t loaded_unix_ms = 0;
  http::ProxySettings settings;
  std::deque<upstream::TargetGroup> groups;
  std::deque<http::ListenerContext> listeners;
  std::map<std::string, bool> target_ids;  // every target identity declared

  const upstream::TargetGroup* find_group(std::string_view name) const;
  // A listener context that keeps the whole snapshot alive (aliasing shared_ptr).
  static std::shared_ptr<const http::ListenerContext> listener(
      const std::shared_ptr<const Snapshot>& snapshot, std::size_t index);
};

}  // namespace albatross::server
