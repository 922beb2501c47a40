#pragma once

#include <string>
#include <string_view>

namespace albatross::admin {

// The outcome of a state-changing admin call.
struct ActionResult {
  int status = 200;     // HTTP status to answer with
  std::string message;  // one line for the operator
};

// What the admin endpoint asks of the daemon. Implemented by server::Server; every method runs
// on the control thread.
class AdminHandler {
 public:
  virtual ~AdminHandler() = default;
  virtual std::string metrics_text() = 0;  // Prometheus text exposition
  virtual std::string status_json() = 0;
  virtual ActionResult reload() = 0;
  virtual ActionResult drain_target(std::string_view group, std::string_view target) = 0;
  virtual ActionResult activate_target(std::string_view group, std::string_view target) = 0;
  // ALB's register-targets / deregister-targets: add a target to a group (health-checked before
  // it gets traffic), or drain one registered that way and then remove it. Persisted.
  virtual ActionResult register_target(std::string_view group, std::string_view target) = 0;
  virtual ActionResult deregister_target(std::string_view group, std::string_view target) = 0;
};

}  // namespace albatross::admin
