#pragma once

// Test-only: an OCSP responder over HTTP on 127.0.0.1 that answers every POST with the response
// bytes it was given (made with test_pki.hpp's make_ocsp_response), counting requests. It can
// be stopped and started again on the same port to play a responder that is down and recovers.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace albatross::testing {

class OcspResponder {
 public:
  // Binds 127.0.0.1:0 to learn a port and keeps it; serving starts with start().
  OcspResponder();
  ~OcspResponder();
  OcspResponder(const OcspResponder&) = delete;
  OcspResponder& operator=(const OcspResponder&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  void set_response(const std::string& der);
  // Listens (again) on port(); false when the port could not be bound.
  bool start();
  // Closes the listening socket: connections to port() are refused.
  void stop();
  int requests() const { return requests_.load(); }

 private:
  void serve();

  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string response_;  // guarded by mutex_
};

}  // namespace albatross::testing
