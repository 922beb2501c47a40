#include "albatross/upstream/state_table.hpp"

namespace albatross::upstream {

std::shared_ptr<TargetState> StateTable::target(const std::string& id, bool health_checks_enabled) {
  auto& slot = targets_[id];
  if (!slot) {
    if (auto it = removed_.find(id); it != removed_.end()) {
      slot = std::move(it->second);
      removed_.erase(it);
      resurrected_.emplace(id, slot->drain_deadline_unix_ms());
      slot->stop_drain();
    }
  }
  // An existing state keeps its health here even when health checks were switched on or off:
  // the health checker applies that once the snapshot is published, so a build that fails
  // changes nothing.
  if (!slot) slot = std::make_shared<TargetState>(id, health_checks_enabled);
  return slot;
}

std::shared_ptr<GroupState> StateTable::group(const std::string& name) {
  auto& slot = groups_[name];
  if (!slot) slot = std::make_shared<GroupState>();
  return slot;
}

std::vector<std::shared_ptr<TargetState>> StateTable::retain_only(
    const std::map<std::string, bool>& live_ids) {
  resurrected_.clear();
  std::vector<std::shared_ptr<TargetState>> removed;
  for (auto it = targets_.begin(); it != targets_.end();) {
    if (live_ids.contains(it->first)) {
      ++it;
    } else {
      removed.push_back(it->second);
      removed_[it->first] = std::move(it->second);
      it = targets_.erase(it);
    }
  }
  return removed;
}

void StateTable::rollback(const std::map<std::string, bool>& live_ids) {
  for (auto it = targets_.begin(); it != targets_.end();) {
    if (live_ids.contains(it->first)) {
      ++it;
      continue;
    }
    // A removed target the failed build brought back returns to the removed set, draining
    // towards its old deadline as if the build had never happened.
    if (auto r = resurrected_.find(it->first); r != resurrected_.end()) {
      if (r->second != 0) it->second->start_drain(r->second);
      removed_[it->first] = std::move(it->second);
    }
    it = targets_.erase(it);
  }
  resurrected_.clear();
}

}  // namespace albatross::upstream
