#include "support/config_text.hpp"

namespace albatross::testing {

ConfigText& ConfigText::threads(int n) {
  threads_ = n;
  return *this;
}

ConfigText& ConfigText::admin(std::string_view address) {
  admin_ = address;
  return *this;
}

ConfigText& ConfigText::global(std::string_view extra) {
  global_.append(extra);
  global_.push_back('\n');
  return *this;
}

ConfigText& ConfigText::admin() {
  admin_ = "127.0.0.1:0";
  return *this;
}

ConfigText& ConfigText::listener(std::string_view name, std::string_view target_group,
                                 std::string_view extra) {
  sections_.append("\n[[listener]]\nname = \"").append(name);
  sections_.append("\"\nbind = \"127.0.0.1:0\"\ntarget_group = \"").append(target_group);
  sections_.append("\"\n").append(extra).append("\n");
  return *this;
}

ConfigText& ConfigText::target_group(std::string_view name, const std::vector<std::uint16_t>& ports,
                                     std::string_view extra, std::string_view health_check) {
  sections_.append("\n[[target_group]]\nname = \"").append(name).append("\"\ntargets = [");
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (i > 0) sections_.append(", ");
    sections_.append("\"127.0.0.1:").append(std::to_string(ports[i])).append("\"");
  }
  sections_.append("]\n").append(extra).append("\n");
  // A sub-table ends the section's plain keys, so it goes last.
  sections_.append("[target_group.health_check]\n").append(health_check).append("\n");
  return *this;
}

std::string ConfigText::str() const {
  return "[global]\nthreads = " + std::to_string(threads_) + "\nadmin = \"" + admin_ + "\"\n" +
         global_ + sections_;
}

}  // namespace albatross::testing
