#pragma once

#include <map>
#include <memory>
#include <string>

#include "albatross/upstream/balancer.hpp"
#include "albatross/upstream/target_state.hpp"

namespace albatross::upstream {

// Every piece of observed state, keyed by stable identity: targets by "<group>/<host:port>",
// groups by name. A snapshot build asks for the state of each target it declares; survivors get
// their existing state (health carries over a reload), new ones a fresh `initial` state.
// Thread: the control thread only (the states themselves are shared, see TargetState).
class StateTable {
 public:
  std::shared_ptr<TargetState> target(const std::string& id, bool health_checks_enabled);
  std::shared_ptr<GroupState> group(const std::string& name);

  // Moves targets the new snapshot no longer declares to the removed set (the caller drains
  // them) and returns them. A removed target declared again before it is forgotten comes back
  // with its state, its drain cancelled.
  std::vector<std::shared_ptr<TargetState>> retain_only(
      const std::map<std::string, bool>& live_ids);
  // Undoes the lookups of a build that failed: states created for ids outside `live_ids` go,
  // and removed targets it brought back return to the removed set with their drain deadline.
  void rollback(const std::map<std::string, bool>& live_ids);
  // Drops a removed target for good (its deregistration delay has passed).
  void forget(const std::string& id) { removed_.erase(id); }

  const std::map<std::string, std::shared_ptr<TargetState>>& targets() const { return targets_; }
  const std::map<std::string, std::shared_ptr<TargetState>>& removed() const { return removed_; }

 private:
  std::map<std::string, std::shared_ptr<TargetState>> targets_;
  std::map<std::string, std::shared_ptr<TargetState>> removed_;
  std::map<std::string, std::shared_ptr<GroupState>> groups_;
  // Removed targets declared again since the last retain_only()/rollback(), with the drain
  // deadline they had (0: none), so a failed build can put them back.
  std::map<std::string, std::int64_t> resurrected_;
};

}  // namespace albatross::upstream
