#pragma once

#include <memory>
#include <string>
#include <vector>

#include "albatross/metrics/catalog.hpp"
#include "albatross/metrics/registry.hpp"
#include "albatross/upstream/target.hpp"

namespace albatross::upstream::testing {

// Targets built by hand, without sockets or a snapshot: "127.0.0.1:9001", "127.0.0.1:9002", ...
// in group "g", with metric handles from a registry of their own.
class TestTargets {
 public:
  explicit TestTargets(std::size_t count, bool health_checks = true) {
    for (std::size_t i = 0; i < count; ++i) {
      Target t;
      t.address = HostPort{"127.0.0.1", static_cast<std::uint16_t>(9001 + i)};
      t.authority = t.address.to_string();
      t.id = "g/" + t.authority;
      t.sticky_id = 1000 + i;
      t.state = std::make_shared<TargetState>(t.id, health_checks);
      t.metrics.resolve(catalog, "g", t.authority);
      targets.push_back(std::move(t));
    }
  }

  void set_all(TargetHealth health) {
    for (Target& t : targets)
      t.state->set_health(health, HealthReason::none);
  }

  std::vector<const Target*> pointers() const {
    std::vector<const Target*> out;
    for (const Target& t : targets)
      out.push_back(&t);
    return out;
  }

  std::size_t index_of(const Target* t) const {
    return static_cast<std::size_t>(t - targets.data());
  }

  metrics::Registry registry{2};
  metrics::Catalog catalog{registry};
  std::vector<Target> targets;
};

}  // namespace albatross::upstream::testing
