#include "albatross/server/systemd_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

#include "albatross/common/str_cat.hpp"

namespace albatross::server {

SystemdNotifier::SystemdNotifier() {
  if (const char* path = std::getenv("NOTIFY_SOCKET"); path != nullptr && path[0] != '\0') {
    path_ = path;
  }
}

void SystemdNotifier::notify(std::string_view state) const {
  if (path_.empty()) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof address.sun_path) return;
  std::memcpy(address.sun_path, path_.data(), path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Best effort: systemd not listening is not our failure to report.
  [[maybe_unused]] auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                        reinterpret_cast<sockaddr*>(&address), length);
  ::close(fd);
}

void SystemdNotifier::reloading() const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  std::uint64_t usec = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000 +
                       static_cast<std::uint64_t>(now.tv_nsec) / 1000;
  notify(str_cat("RELOADING=1\nMONOTONIC_USEC=", usec));
}

void SystemdNotifier::status(std::string_view text) const {
  notify(str_cat("STATUS=", text));
}

}  // namespace albatross::server
