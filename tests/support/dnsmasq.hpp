#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/temp_file.hpp"
#include "support/wait.hpp"

namespace albatross::testing {

// A real DNS server for the test: Debian's dnsmasq on a 127.0.0.x address and a free high port
// (UDP and TCP), answering from a hosts file only (--no-resolv --no-hosts --addn-hosts), which
// it re-reads on SIGHUP. The constructor returns once dnsmasq answers with the file's records,
// and throws (failing the test) when it cannot start: a missing dnsmasq is a failure, never a
// skip. Stopped by its PID. Thread: the test's.
class Dnsmasq {
 public:
  // `hosts`: hosts(5) lines ("127.0.0.2 app.fleet.test").
  explicit Dnsmasq(std::string_view hosts, std::string_view probe_name);
  ~Dnsmasq();
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  // "IP:port", as global.resolvers takes it.
  std::string address() const;
  // Rewrites the hosts file, sends SIGHUP, and returns once dnsmasq answers `name` with exactly
  // `addresses` (sorted text); throws after `deadline`.
  void set_hosts(std::string_view hosts, std::string_view name,
                 const std::vector<std::string>& addresses,
                 TimePoint deadline = after(std::chrono::seconds(10)));
  // The addresses dnsmasq answers for `name` now (A and AAAA), sorted; empty when it does not
  // answer.
  std::vector<std::string> lookup(std::string_view name) const;
  // SIGTERM, then waits for the exit (the resolver is down from then on).
  void stop();
  bool running() const { return pid_ > 0; }

 private:
  TempFile hosts_;
  std::string ip_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  TempFile log_;
};

}  // namespace albatross::testing
