#pragma once

#include <string>
#include <string_view>

namespace albatross::server {

// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET per state change (READY=1,
// RELOADING=1, STOPPING=1, STATUS=...). A few lines of socket code rather than a new
// dependency; a no-op when not started by systemd. Thread: control.
class SystemdNotifier {
 public:
  SystemdNotifier();
  bool enabled() const { return !path_.empty(); }
  void notify(std::string_view state) const;
  void ready() const { notify("READY=1"); }
  // RELOADING=1 carries MONOTONIC_USEC, as systemd's reload protocol asks.
  void reloading() const;
  void stopping() const { notify("STOPPING=1"); }
  void status(std::string_view text) const;

 private:
  std::string path_;
};

}  // namespace albatross::server
