#include "albatross/config/validator.hpp"

#include <map>
#include <set>

#include "albatross/common/name.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::config {
namespace {

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

class Validator {
 public:
  Validator(const Config& config, ConfigErrors& errors) : config_(config), errors_(errors) {}

  void error(const std::string& key_path, std::string message) {
    errors_.push_back(
        ConfigError{config_.file, config_.location_of(key_path), key_path, std::move(message)});
  }

  void run() {
    const GlobalConfig& g = config_.global;
    if (g.admin && g.admin_token_file.empty() && !is_loopback(g.admin->host)) {
      error("global.admin",
            "a non-loopback admin address requires global.admin_token_file (the endpoint can "
            "drain targets and reload)");
    }
    if (config_.listeners.empty()) {
      error("listener", "at least one [[listener]] is required");
    }
    std::map<std::string, std::string> group_paths;
    for (std::size_t i = 0; i < config_.target_groups.size(); ++i) {
      const TargetGroupConfig& group = config_.target_groups[i];
      std::string path = str_cat("target_group[", i, ']');
      check_target_group(group, path);
      if (group.name.empty()) continue;
      auto [it, inserted] = group_paths.emplace(group.name, path);
      if (!inserted) {
        error(path + ".name", str_cat("duplicate target group name \"", group.name,
                                      "\" (first used at ", it->second, ')'));
      }
    }
    std::map<std::string, std::string> listener_paths;
    std::map<std::string, std::string> bind_paths;
    for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
      const ListenerConfig& listener = config_.listeners[i];
      std::string path = str_cat("listener[", i, ']');
      if (!listener.name.empty()) {
        if (!is_valid_name(listener.name)) {
          error(path + ".name", std::string(kNameRule));
        }
        auto [it, inserted] = listener_paths.emplace(listener.name, path);
        if (!inserted) {
          error(path + ".name", str_cat("duplicate listener name \"", listener.name,
                                        "\" (first used at ", it->second, ')'));
        }
      }
      if (listener.bind.port != 0) {
        auto [it, inserted] = bind_paths.emplace(listener.bind.to_string(), path);
        if (!inserted) {
          error(path + ".bind", str_cat("address ", listener.bind.to_string(),
                                        " is already bound by ", it->second));
        }
      }
      check_default_action(listener, path, group_paths);
      check_rules(listener, path, group_paths);
      if (listener.tls) check_tls(*listener.tls, path + ".tls");
    }
  }

 private:
  using GroupPaths = std::map<std::string, std::string>;

  void check_group_reference(const std::string& key_path, const std::string& name,
                             const GroupPaths& groups) {
    if (!groups.contains(name)) error(key_path, str_cat("unknown target group \"", name, '"'));
  }

  // The default rule: forward to target_group, or redirect_to_https.
  void check_default_action(const ListenerConfig& listener, const std::string& path,
                            const GroupPaths& groups) {
    if (listener.redirect_to_https) {
      if (listener.tls) {
        error(path + ".redirect_to_https",
              "is for plain HTTP listeners (this one has [listener.tls])");
      }
      if (!listener.target_group.empty()) {
        error(path + ".target_group",
              "cannot be combined with redirect_to_https = true, which is the default rule's "
              "action");
      }
    } else {
      if (config_.locations.contains(path + ".https_port")) {
        error(path + ".https_port", "is used only with redirect_to_https = true");
      }
      if (listener.target_group.empty()) {
        error(path + ".target_group", "missing required key");
      } else {
        check_group_reference(path + ".target_group", listener.target_group, groups);
      }
    }
  }

  // Mutual TLS and OCSP settings that only make sense together.
  void check_tls(const TlsConfig& tls, const std::string& path) {
    if (tls.client_auth == ClientAuthMode::verify && tls.trust_store.empty()) {
      error(path + ".trust_store", "missing required key (client_auth = \"verify\" needs it)");
    }
    if (tls.client_auth != ClientAuthMode::verify) {
      if (!tls.trust_store.empty())
        error(path + ".trust_store", "is used only with client_auth = \"verify\"");
      if (!tls.crl_file.empty())
        error(path + ".crl_file", "is used only with client_auth = \"verify\"");
    }
    auto check_ocsp_file = [&](const TlsCertificateConfig& c, const std::string& cert_path) {
      if (!c.ocsp_response_file.empty() && !tls.ocsp_stapling) {
        error(cert_path + ".ocsp_response_file",
              str_cat("is used only with ", path, ".ocsp_stapling = true"));
      }
    };
    check_ocsp_file(tls.default_certificate, path);
    for (std::size_t i = 0; i < tls.sni.size(); ++i)
      check_ocsp_file(tls.sni[i], str_cat(path, ".sni[", i, ']'));
  }

  void check_rules(const ListenerConfig& listener, const std::string& path,
                   const GroupPaths& groups) {
    std::map<int, std::string> priorities;
    for (std::size_t r = 0; r < listener.rules.size(); ++r) {
      const RuleConfig& rule = listener.rules[r];
      std::string rule_path = str_cat(path, ".rule[", r, ']');
      if (rule.priority != 0) {
        auto [it, inserted] = priorities.emplace(rule.priority, rule_path);
        if (!inserted) {
          error(rule_path + ".priority",
                str_cat("duplicate priority ", rule.priority, " (first used at ", it->second, ')'));
        }
      }
      if (!rule.target_group.empty()) {
        check_group_reference(rule_path + ".target_group", rule.target_group, groups);
      }
      if (rule.redirect) {
        const RedirectConfig& redirect = *rule.redirect;
        // ALB allows HTTP->HTTP, HTTP->HTTPS and HTTPS->HTTPS only.
        if (listener.tls && redirect.protocol == "http") {
          error(rule_path + ".redirect.protocol",
                "a redirect from an HTTPS listener to HTTP is not allowed");
        }
        std::string loop = redirect.loop_problem(listener.tls.has_value(), listener.bind.port);
        if (!loop.empty()) error(rule_path + ".redirect", loop);
      }
    }
  }

  void check_target_group(const TargetGroupConfig& group, const std::string& path) {
    if (!group.name.empty() && !is_valid_name(group.name)) {
      error(path + ".name", std::string(kNameRule));
    }
    std::set<std::string> seen;
    for (std::size_t t = 0; t < group.targets.size(); ++t) {
      if (!seen.insert(group.targets[t].to_string()).second) {
        error(str_cat(path, ".targets[", t, ']'),
              str_cat("duplicate target ", group.targets[t].to_string()));
      }
    }
    const HealthCheckConfig& hc = group.health_check;
    if (hc.enabled && hc.timeout >= hc.interval) {
      error(path + ".health_check.timeout",
            str_cat("must be shorter than health_check.interval (", format_duration(hc.timeout),
                    " >= ", format_duration(hc.interval), ')'));
    }
    if (group.protocol != TargetProtocol::https) {
      if (group.verify) error(path + ".verify", "needs protocol = \"https\"");
      if (!group.ca_file.empty()) error(path + ".ca_file", "needs protocol = \"https\"");
    } else if (!group.ca_file.empty() && !group.verify) {
      error(path + ".ca_file", "is used only with verify = true");
    }
    if (group.slow_start.count() != 0 && group.algorithm == Algorithm::least_outstanding_requests) {
      error(path + ".slow_start",
            "cannot be combined with algorithm \"least_outstanding_requests\"");
    }
  }

  const Config& config_;
  ConfigErrors& errors_;
};

}  // namespace

void validate(const Config& config, ConfigErrors& errors) {
  Validator(config, errors).run();
}

}  // namespace albatross::config
