#include "albatross/discovery/registered_targets.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>

#include "albatross/common/name.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::discovery {
namespace {

constexpr std::string_view kHeader =
    "# albatross state file: targets registered through the admin endpoint\n"
    "# (POST /targets/register, /targets/deregister). Written by albatross; edit it only while\n"
    "# albatross is stopped, or reload after editing.\n"
    "version = 1\n";

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

std::string errno_text(int error) {
  return std::strerror(error);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<RegisteredTargets> RegisteredTargets::load(const std::string& path,
                                                         std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return RegisteredTargets{};
    error = str_cat(path, ": cannot read the state file: ", errno_text(errno));
    return std::nullopt;
  }
  std::string text;
  for (;;) {
    char chunk[8192];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      error = str_cat(path, ": cannot read the state file: ", errno_text(e));
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return parse(text, path, error);
}

std::optional<RegisteredTargets> RegisteredTargets::parse(std::string_view text,
                                                          std::string_view file,
                                                          std::string& error) {
  auto refuse = [&](std::string why) {
    error = str_cat(file, ": refusing the state file: ", why);
    return std::nullopt;
  };
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return refuse(str_cat("line ", e.source().begin.line, ": ", e.description()));
  }
  for (auto&& [key, node] : root) {
    if (key != "version" && key != "target") return refuse(str_cat("unknown key \"", key, '"'));
  }
  auto version = root["version"].value<std::int64_t>();
  if (!version || *version != 1) return refuse("expected version = 1");
  RegisteredTargets result;
  const toml::node* targets = root.get("target");
  if (!targets) return result;
  if (!targets->is_array_of_tables()) return refuse("expected [[target]] tables");
  std::size_t i = 0;
  for (const toml::node& entry : *targets->as_array()) {
    const toml::table& t = *entry.as_table();
    std::string where = str_cat("target[", i++, ']');
    for (auto&& [key, node] : t) {
      if (key != "target_group" && key != "target")
        return refuse(str_cat(where, ": unknown key \"", key, '"'));
    }
    auto group = t["target_group"].value<std::string>();
    auto target = t["target"].value<std::string>();
    if (!group || !is_valid_name(*group))
      return refuse(str_cat(where, ".target_group: expected a target group name"));
    std::string why;
    auto address = target ? parse_host_port(*target, &why) : std::nullopt;
    if (!address || !is_ip_literal(address->host)) {
      return refuse(str_cat(where, ".target: expected \"IP:port\"",
                            why.empty() ? "" : str_cat(" (", why, ')')));
    }
    result.add(*group, *address);
  }
  return result;
}

std::string RegisteredTargets::to_text() const {
  std::string text(kHeader);
  for (const auto& [group, targets] : groups_) {
    for (const HostPort& target : targets) {
      // Group names are plain (common/name.hpp) and targets "IP:port": nothing to escape.
      text += str_cat("\n[[target]]\ntarget_group = \"", group, "\"\ntarget = \"",
                      target.to_string(), "\"\n");
    }
  }
  return text;
}

bool RegisteredTargets::save(const std::string& path, std::string& error) const {
  std::string temporary = str_cat(path, ".tmp");
  std::string text = to_text();
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    error = str_cat(path, ": cannot write the state file: ", temporary, ": ", errno_text(errno));
    return false;
  }
  if (!write_all(fd, text) || ::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    error = str_cat(path, ": cannot write the state file: ", errno_text(e));
    return false;
  }
  ::close(fd);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(temporary.c_str());
    error = str_cat(path, ": cannot replace the state file: ", errno_text(e));
    return false;
  }
  // The rename is durable once the directory is.
  std::string directory = path.find('/') == std::string::npos
                              ? std::string(".")
                              : path.substr(0, std::max<std::size_t>(path.rfind('/'), 1));
  int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return true;
}

bool RegisteredTargets::contains(std::string_view group, const HostPort& target) const {
  auto it = groups_.find(group);
  return it != groups_.end() &&
         std::find(it->second.begin(), it->second.end(), target) != it->second.end();
}

bool RegisteredTargets::add(std::string_view group, const HostPort& target) {
  if (contains(group, target)) return false;
  auto it = groups_.find(group);
  if (it == groups_.end()) it = groups_.emplace(std::string(group), std::vector<HostPort>{}).first;
  it->second.push_back(target);
  return true;
}

bool RegisteredTargets::remove(std::string_view group, const HostPort& target) {
  auto it = groups_.find(group);
  if (it == groups_.end()) return false;
  auto& list = it->second;
  auto found = std::find(list.begin(), list.end(), target);
  if (found == list.end()) return false;
  list.erase(found);
  if (list.empty()) groups_.erase(it);
  return true;
}

std::size_t RegisteredTargets::size() const {
  std::size_t n = 0;
  for (const auto& [group, targets] : groups_)
    n += targets.size();
  return n;
}

}  // namespace albatross::discovery
