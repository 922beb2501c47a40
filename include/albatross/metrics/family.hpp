#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "albatross/metrics/sharded.hpp"

namespace albatross::metrics {

// A named metric with fixed label names; children are created (or found) by label values when a
// snapshot is built, and live as long as the family, so a handle resolved once stays valid
// across reloads and counters never reset. Thread: add() from the control thread; collect()
// from whoever scrapes; the children themselves are updated from any thread.
template <typename Metric>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;

  Family(std::string name, std::string help, std::vector<std::string> label_names, Factory factory)
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        factory_(std::move(factory)) {}

  Metric& add(const std::vector<std::string>& label_values) {
    std::lock_guard lock(mutex_);
    auto& slot = children_[label_values];
    if (!slot) slot = factory_();
    return *slot;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  template <typename F>
  void for_each(F&& f) const {
    std::lock_guard lock(mutex_);
    for (const auto& [labels, metric] : children_)
      f(labels, *metric);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  Factory factory_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

}  // namespace albatross::metrics
