#include "support/admin_client.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <stdexcept>

#include "support/albatross_process.hpp"
#include "support/wait.hpp"

namespace albatross::testing {

namespace json = boost::json;

AdminClient::AdminClient(const AlbatrossProcess& albatross) {
  static constexpr std::string_view kLine = "admin endpoint listening on ";
  std::string log = albatross.stderr_text();
  std::size_t at = log.find(kLine);
  if (at == std::string::npos) throw std::runtime_error("albatross logged no admin endpoint");
  std::size_t eol = log.find('\n', at);
  std::string address = log.substr(at + kLine.size(), eol - at - kLine.size());
  port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

HttpResponse AdminClient::get(std::string_view path, TimePoint deadline) {
  HttpClient client(port_);
  return client.request("GET", path, "Connection: close\r\n", "", deadline);
}

HttpResponse AdminClient::post(std::string_view path, std::string_view form, std::string_view token,
                               TimePoint deadline) {
  HttpClient client(port_);
  std::string headers = "Connection: close\r\n";
  if (!form.empty()) headers += "Content-Type: application/x-www-form-urlencoded\r\n";
  if (!token.empty()) headers += "Authorization: Bearer " + std::string(token) + "\r\n";
  // An empty form still needs its length: a POST without one has no body by definition, but
  // say so explicitly as curl does.
  if (form.empty()) headers += "Content-Length: 0\r\n";
  return client.request("POST", path, headers, form, deadline);
}

json::object AdminClient::status(TimePoint deadline) {
  HttpResponse response = get("/status", deadline);
  if (response.status != 200) {
    throw std::runtime_error("/status answered " + std::to_string(response.status));
  }
  boost::system::error_code ec;
  json::value value = json::parse(response.body, ec);
  if (ec || !value.is_object()) {
    throw std::runtime_error("/status is not a JSON object: " + response.body);
  }
  return std::move(value.as_object());
}

MetricsText AdminClient::metrics(TimePoint deadline) {
  HttpResponse response = get("/metrics", deadline);
  if (response.status != 200) {
    throw std::runtime_error("/metrics answered " + std::to_string(response.status));
  }
  return MetricsText::parse(response.body);
}

const json::object* AdminClient::find_target(const json::object& status, std::string_view group,
                                             std::string_view target, bool removed) {
  auto matches = [&](const json::value& t) {
    const json::object* o = t.if_object();
    if (!o) return false;
    const json::value* g = o->if_contains("target_group");
    const json::value* n = o->if_contains("target");
    return g && n && g->is_string() && n->is_string() && g->as_string() == group &&
           n->as_string() == target;
  };
  if (removed) {
    const json::value* list = status.if_contains("removed_targets");
    if (!list || !list->is_array()) return nullptr;
    for (const json::value& t : list->as_array()) {
      if (matches(t)) return &t.as_object();
    }
    return nullptr;
  }
  const json::value* groups = status.if_contains("target_groups");
  if (!groups || !groups->is_array()) return nullptr;
  for (const json::value& g : groups->as_array()) {
    const json::value* targets = g.is_object() ? g.as_object().if_contains("targets") : nullptr;
    if (!targets || !targets->is_array()) continue;
    for (const json::value& t : targets->as_array()) {
      if (matches(t)) return &t.as_object();
    }
  }
  return nullptr;
}

std::string AdminClient::target_state(std::string_view group, std::string_view target) {
  json::object s = status();
  const json::object* t = find_target(s, group, target);
  if (!t || !t->contains("state") || !t->at("state").is_string()) return {};
  return std::string(t->at("state").as_string());
}

bool AdminClient::wait_status(const std::function<bool(const json::object&)>& condition,
                              TimePoint deadline) {
  // The last poll may come after `deadline`; its request still gets a second to be answered.
  return wait_until(
      [&] { return condition(status(std::max(deadline, after(std::chrono::seconds(1))))); },
      deadline, std::chrono::milliseconds(20));
}

bool AdminClient::wait_target_state(std::string_view group, std::string_view target,
                                    std::string_view state, TimePoint deadline) {
  return wait_status(
      [&](const json::object& s) {
        const json::object* t = find_target(s, group, target);
        return t && t->contains("state") && t->at("state").is_string() &&
               t->at("state").as_string() == state;
      },
      deadline);
}

std::string loopback(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace albatross::testing
