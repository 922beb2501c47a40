#pragma once

// Test-only: a demo::DemoTarget ("app1") on 127.0.0.1:0 with its own io_context thread.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "albatross/demo/demo_target.hpp"

namespace albatross::testing {

class AppTarget {
 public:
  AppTarget()
      : work_(boost::asio::make_work_guard(io_)),
        target_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}, "app1"),
        thread_([this] { io_.run(); }) {}
  ~AppTarget() {
    target_.stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  AppTarget(const AppTarget&) = delete;
  AppTarget& operator=(const AppTarget&) = delete;
  std::uint16_t port() const { return target_.port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  demo::DemoTarget target_;
  std::thread thread_;
};

}  // namespace albatross::testing
