#include "albatross/server/snapshot.hpp"

namespace albatross::server {

const upstream::TargetGroup* Snapshot::find_group(std::string_view name) const {
  for (const upstream::TargetGroup& g : groups) {
    if (g.name() == name) return &g;
  }
  return nullptr;
}

std::shared_ptr<const http::ListenerContext> Snapshot::listener(
    const std::shared_ptr<const Snapshot>& snapshot, std::size_t index) {
  return std::shared_ptr<const http::ListenerContext>(snapshot, &snapshot->listeners[index]);
}

}  // namespace albatross::server
