#include "albatross/config/parser.hpp"

#include <toml++/toml.h>

#include <set>

#include "albatross/common/ascii.hpp"
#include "albatross/common/authority.hpp"
#include "albatross/common/ip_address.hpp"
#include "albatross/common/name.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::config {
namespace {

SourceLocation location_of(const toml::source_region& region) {
  return SourceLocation{static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Reads one TOML table into a struct, key by key, recording which keys were consumed so that
// finish() can report every key nobody asked for ("unknown key" is an error, never ignored).
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Config& config, ConfigErrors& errors)
      : table_(table), path_(std::move(path)), config_(config), errors_(errors) {
    config_.locations.emplace(path_, location_of(table.source()));
  }

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : str_cat(path_, '.', key);
  }

  void error_at(const toml::node& node, std::string_view key, std::string message) {
    errors_.push_back(
        ConfigError{config_.file, location_of(node.source()), key_path(key), std::move(message)});
  }

  const toml::node* get(std::string_view key) {
    consumed_.insert(std::string(key));
    const toml::node* node = table_.get(key);
    if (node) config_.locations.emplace(key_path(key), location_of(node->source()));
    return node;
  }

  bool string(std::string_view key, std::string& out) {
    const toml::node* node = get(key);
    if (!node) return false;
    if (!node->is_string()) {
      error_at(*node, key, str_cat("expected a string, got ", type_name(*node)));
      return false;
    }
    out = node->as_string()->get();
    return true;
  }

  bool integer(std::string_view key, long long& out, long long min, long long max) {
    const toml::node* node = get(key);
    if (!node) return false;
    if (!node->is_integer()) {
      error_at(*node, key, str_cat("expected an integer, got ", type_name(*node)));
      return false;
    }
    long long value = node->as_integer()->get();
    if (value < min || value > max) {
      error_at(*node, key, str_cat("must be between ", min, " and ", max, " (got ", value, ")"));
      return false;
    }
    out = value;
    return true;
  }

  template <typename Int>
  bool integer(std::string_view key, Int& out, long long min, long long max) {
    long long value = 0;
    if (!integer(key, value, min, max)) return false;
    out = static_cast<Int>(value);
    return true;
  }

  bool boolean(std::string_view key, bool& out) {
    const toml::node* node = get(key);
    if (!node) return false;
    if (!node->is_boolean()) {
      error_at(*node, key, str_cat("expected true or false, got ", type_name(*node)));
      return false;
    }
    out = node->as_boolean()->get();
    return true;
  }

  // A duration string ("30s"); `min`/`max` bound it, and a zero value is allowed in
  // addition to the range when `zero_allowed` (for "0s = off" settings).
  bool duration(std::string_view key, Duration& out, Duration min, Duration max,
                bool zero_allowed = false) {
    std::string text;
    const toml::node* node = table_.get(key);
    if (!string(key, text)) return false;
    std::string error;
    std::optional<Duration> value = parse_duration(text, &error);
    if (!value) {
      error_at(*node, key, error);
      return false;
    }
    if (!(zero_allowed && value->count() == 0) && (*value < min || *value > max)) {
      error_at(*node, key,
               str_cat("must be between ", format_duration(min), " and ", format_duration(max),
                       zero_allowed ? " (or 0s)" : "", " (got \"", text, "\")"));
      return false;
    }
    out = *value;
    return true;
  }

  bool host_port(std::string_view key, HostPort& out, bool allow_port_zero) {
    std::string text;
    const toml::node* node = table_.get(key);
    if (!string(key, text)) return false;
    std::string error;
    auto value = parse_host_port(text, &error, allow_port_zero);
    if (!value) {
      error_at(*node, key, error);
      return false;
    }
    out = *value;
    return true;
  }

  // A string restricted to `choices`.
  bool choice(std::string_view key, std::string& out,
              std::initializer_list<std::string_view> choices) {
    std::string text;
    const toml::node* node = table_.get(key);
    if (!string(key, text)) return false;
    for (std::string_view c : choices) {
      if (text == c) {
        out = text;
        return true;
      }
    }
    std::string list;
    for (std::string_view c : choices)
      str_append(list, str_cat(list.empty() ? "" : ", ", '"', c, '"'));
    error_at(*node, key, str_cat("unknown value \"", text, "\" (expected one of ", list, ")"));
    return false;
  }

  // The node at `key` without marking it read.
  const toml::node* table_node(std::string_view key) const { return table_.get(key); }

  const toml::table* table(std::string_view key) {
    const toml::node* node = get(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
      error_at(*node, key, str_cat("expected a table, got ", type_name(*node)));
      return nullptr;
    }
    return node->as_table();
  }

  // An array of tables ([[key]]).
  const toml::array* table_array(std::string_view key) {
    const toml::node* node = get(key);
    if (!node) return nullptr;
    if (!node->is_array_of_tables()) {
      error_at(*node, key,
               str_cat("expected an array of tables ([[", key, "]]), got ", type_name(*node)));
      return nullptr;
    }
    return node->as_array();
  }

  const toml::array* array(std::string_view key) {
    const toml::node* node = get(key);
    if (!node) return nullptr;
    if (!node->is_array()) {
      error_at(*node, key, str_cat("expected an array, got ", type_name(*node)));
      return nullptr;
    }
    return node->as_array();
  }

  void finish() {
    for (auto&& [key, node] : table_) {
      if (consumed_.count(std::string(key.str())) == 0) {
        errors_.push_back(ConfigError{config_.file, location_of(key.source()), key_path(key.str()),
                                      "unknown key"});
      }
    }
  }

  const std::string& path() const { return path_; }
  Config& config() { return config_; }
  ConfigErrors& errors() { return errors_; }

 private:
  const toml::table& table_;
  std::string path_;
  Config& config_;
  ConfigErrors& errors_;
  std::set<std::string, std::less<>> consumed_;
};

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// global.admin_allowed_hosts: an array of "name" or "name:port" strings, each an exact
// authority (no wildcards: the point is to name the endpoint, not a family of hosts). Stored
// lower-cased, one trailing dot trimmed, as the admin endpoint compares Host.
void parse_admin_allowed_hosts(TableReader& r, GlobalConfig& g) {
  const toml::node* node = r.get("admin_allowed_hosts");
  if (!node) return;
  if (!node->is_array()) {
    r.error_at(*node, "admin_allowed_hosts",
               str_cat("expected an array of strings, got ", type_name(*node)));
    return;
  }
  const toml::array& values = *node->as_array();
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string key = str_cat("admin_allowed_hosts[", i, ']');
    const toml::node& value = values[i];
    r.config().locations.emplace(r.key_path(key), location_of(value.source()));
    if (!value.is_string()) {
      r.error_at(value, key, str_cat("expected a string, got ", type_name(value)));
      continue;
    }
    const std::string& text = value.as_string()->get();
    std::optional<Authority> authority = parse_authority(text);
    if (!authority || authority->host.find('*') != std::string::npos) {
      r.error_at(value, key,
                 str_cat('"', text,
                         "\": expected a host name or IP literal, optionally with "
                         ":port (for example \"albatross.internal\" or \"[fd00::1]:9901\")"));
      continue;
    }
    g.admin_allowed_hosts.push_back(authority->to_string());
  }
}

// global.resolvers: DNS servers as "IP" or "IP:port" (port 53 when omitted). Addresses only: a
// resolver named by a name would need a resolver.
void parse_resolvers(TableReader& r, GlobalConfig& g) {
  const toml::node* node = r.get("resolvers");
  if (!node) return;
  if (!node->is_array()) {
    r.error_at(*node, "resolvers", str_cat("expected an array of strings, got ", type_name(*node)));
    return;
  }
  const toml::array& values = *node->as_array();
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string key = str_cat("resolvers[", i, ']');
    const toml::node& value = values[i];
    r.config().locations.emplace(r.key_path(key), location_of(value.source()));
    if (!value.is_string()) {
      r.error_at(value, key, str_cat("expected a string, got ", type_name(value)));
      continue;
    }
    std::string text = value.as_string()->get();
    std::optional<HostPort> server;
    if (parse_ip_address(text)) {
      server = HostPort{text, 53};
    } else {
      server = parse_host_port(text, nullptr);
      if (server && !parse_ip_address(server->host)) server.reset();
    }
    if (!server) {
      r.error_at(value, key,
                 str_cat('"', text,
                         "\": expected an IP address, optionally with :port (for example "
                         "\"127.0.0.1:53\" or \"[fd00::53]:5353\")"));
      continue;
    }
    g.resolvers.push_back(*server);
  }
}

void parse_global(TableReader& r, GlobalConfig& g) {
  r.integer("threads", g.threads, 0, 1024);
  r.duration("shutdown_timeout", g.shutdown_timeout, Duration::zero(), hours(24));
  std::string admin;
  if (const toml::node* node = r.get("admin")) {
    if (!node->is_string()) {
      r.error_at(*node, "admin", str_cat("expected a string, got ", type_name(*node)));
    } else if (node->as_string()->get().empty()) {
      g.admin.reset();
    } else {
      std::string error;
      auto value = parse_host_port(node->as_string()->get(), &error, /*allow_port_zero=*/true);
      if (value) {
        g.admin = *value;
      } else {
        r.error_at(*node, "admin", error);
      }
    }
  }
  r.string("admin_token_file", g.admin_token_file);
  parse_admin_allowed_hosts(r, g);
  r.string("sticky_key_file", g.sticky_key_file);
  if (r.string("access_log", g.access_log) && g.access_log.empty()) {
    r.errors().push_back(ConfigError{
        r.config().file, r.config().location_of(r.key_path("access_log")), r.key_path("access_log"),
        "must be \"off\", \"stderr\", \"stdout\" or a file path"});
  }
  r.choice("access_log_format", g.access_log_format, {"alb", "json"});
  r.choice("desync_mitigation_mode", g.desync_mitigation_mode,
           {"monitor", "defensive", "strictest"});
  r.boolean("drop_invalid_header_fields", g.drop_invalid_header_fields);
  r.integer("max_connections", g.max_connections, 1, 10'000'000);
  r.integer("max_header_count", g.max_header_count, 8, 1000);
  parse_resolvers(r, g);
  r.string("state_file", g.state_file);
  r.finish();
}

// A key that must be present and hold a non-empty string (a file path).
void required_path(TableReader& r, std::string_view key, std::string& out) {
  if (r.string(key, out)) {
    if (out.empty()) {
      r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.key_path(key)),
                                       r.key_path(key), "must not be empty"});
    }
  } else if (!r.config().locations.contains(r.key_path(key))) {
    r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.path()),
                                     r.key_path(key), "missing required key"});
  }
}

// A key that may be absent but, when present, holds a non-empty string (a file path).
void optional_path(TableReader& r, std::string_view key, std::string& out) {
  if (r.string(key, out) && out.empty()) {
    r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.key_path(key)),
                                     r.key_path(key), "must not be empty"});
  }
}

void parse_tls_certificate(TableReader& r, TlsCertificateConfig& c) {
  required_path(r, "certificate", c.certificate);
  required_path(r, "private_key", c.private_key);
  optional_path(r, "ocsp_response_file", c.ocsp_response_file);
}

// [listener.tls]. The policy name is checked against the policy table when the snapshot is
// built (tls/ owns the table); files are read there too.
void parse_tls(TableReader& r, TlsConfig& t) {
  parse_tls_certificate(r, t.default_certificate);
  if (r.string("policy", t.policy) && t.policy.empty()) {
    r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.key_path("policy")),
                                     r.key_path("policy"), "must not be empty"});
  }
  r.duration("handshake_timeout", t.handshake_timeout, milliseconds(100), minutes(5));
  std::string client_auth;
  if (r.choice("client_auth", client_auth, {"off", "verify", "passthrough"})) {
    t.client_auth = client_auth == "verify"        ? ClientAuthMode::verify
                    : client_auth == "passthrough" ? ClientAuthMode::passthrough
                                                   : ClientAuthMode::off;
  }
  optional_path(r, "trust_store", t.trust_store);
  optional_path(r, "crl_file", t.crl_file);
  r.boolean("ocsp_stapling", t.ocsp_stapling);
  if (const toml::array* sni = r.table_array("sni")) {
    for (std::size_t i = 0; i < sni->size(); ++i) {
      TableReader sub(*sni->get(i)->as_table(), str_cat(r.key_path("sni"), '[', i, ']'), r.config(),
                      r.errors());
      parse_tls_certificate(sub, t.sni.emplace_back());
      sub.finish();
    }
  }
  r.finish();
}

//----------------------------------------------------------------------------------------------
// [[listener.rule]]

void error_at_path(TableReader& r, const std::string& path, std::string message) {
  r.errors().push_back(
      ConfigError{r.config().file, r.config().location_of(path), path, std::move(message)});
}

// A condition's values: a string or an array of 1..kMaxConditionValues strings, each checked by
// `check` (which returns why a value is refused, or ""). Every value's key path is key[i].
template <typename Check>
void condition_values(TableReader& r, std::string_view key, std::vector<std::string>& out,
                      Check check) {
  const toml::node* node = r.get(key);
  if (!node) return;
  std::string path = r.key_path(key);
  auto take = [&](const toml::node& value, const std::string& value_path) {
    r.config().locations.emplace(value_path, location_of(value.source()));
    if (!value.is_string()) {
      error_at_path(r, value_path, str_cat("expected a string, got ", type_name(value)));
      return;
    }
    const std::string& text = value.as_string()->get();
    std::string problem = check(text);
    if (!problem.empty()) {
      error_at_path(r, value_path, str_cat('"', text, "\": ", problem));
      return;
    }
    out.push_back(text);
  };
  if (node->is_string()) {
    take(*node, path);
    return;
  }
  if (!node->is_array()) {
    r.error_at(*node, key, str_cat("expected an array of strings, got ", type_name(*node)));
    return;
  }
  const toml::array& values = *node->as_array();
  if (values.empty() || values.size() > kMaxConditionValues) {
    r.error_at(*node, key,
               str_cat("must list 1..", kMaxConditionValues, " values (got ", values.size(), ')'));
    return;
  }
  for (std::size_t i = 0; i < values.size(); ++i)
    take(*values.get(i), str_cat(path, '[', i, ']'));
}

// Visible ASCII only (ALB evaluates nothing else); `space` also allows SP.
bool visible_ascii(std::string_view text, bool space = false) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x21 || u > 0x7e) && !(space && u == ' ')) return false;
  }
  return true;
}

std::string check_length(std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (text.size() > kMaxPatternLength) {
    return str_cat("longer than ", kMaxPatternLength, " characters");
  }
  return {};
}

std::string check_host_pattern(std::string_view text) {
  if (std::string problem = check_length(text); !problem.empty()) return problem;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '*' || c == '?' || c == '[' || c == ']' ||
              c == ':';
    if (!ok) return "a host may hold A-Z a-z 0-9 - . _ [ ] : and the wildcards * ?";
  }
  return {};
}

std::string check_path_pattern(std::string_view text) {
  if (std::string problem = check_length(text); !problem.empty()) return problem;
  if (!visible_ascii(text)) return "must be visible ASCII (no spaces or control characters)";
  return {};
}

std::string check_method(std::string_view text) {
  if (text.empty() || text.size() > 40 || !ascii::is_token(text)) {
    return "a method is a token of at most 40 characters";
  }
  return {};
}

std::string check_header_value(std::string_view text) {
  if (std::string problem = check_length(text); !problem.empty()) return problem;
  if (!visible_ascii(text, /*space=*/true)) return "must be visible ASCII";
  return {};
}

void parse_header_condition(TableReader& r, RuleConfig& rule) {
  const toml::table* table = r.table("header");
  if (!table) return;
  std::string path = r.key_path("header");
  if (table->empty()) {
    error_at_path(r, path, "must name at least one header field");
    return;
  }
  for (auto&& [key, node] : *table) {
    std::string_view name = key.str();
    std::string entry_path = str_cat(path, '.', name);
    r.config().locations.emplace(entry_path, location_of(node.source()));
    if (name.size() > 128 || !ascii::is_token(name)) {
      error_at_path(r, entry_path, "a header field name is a token of at most 128 characters");
      continue;
    }
    HeaderConditionConfig& condition = rule.headers.emplace_back();
    condition.name = std::string(name);
    TableReader entry(*table, path, r.config(), r.errors());
    condition_values(entry, name, condition.values, check_header_value);
    if (condition.values.empty()) rule.headers.pop_back();  // its errors are recorded
  }
}

// A redirect component: text with #{protocol} #{host} #{port} #{path} #{query}; outside the
// placeholders, no control characters, spaces, or any of `forbidden`.
std::string check_template(std::string_view text, std::string_view forbidden) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "#{") == 0) {
      std::size_t close = text.find('}', i);
      std::string_view name =
          close == std::string_view::npos ? text.substr(i + 2) : text.substr(i + 2, close - i - 2);
      if (close == std::string_view::npos ||
          (name != "protocol" && name != "host" && name != "port" && name != "path" &&
           name != "query")) {
        return str_cat("unknown placeholder \"#{", name, close == std::string_view::npos ? "" : "}",
                       "\" (expected #{protocol}, #{host}, #{port}, #{path} or #{query})");
      }
      i = close;
      continue;
    }
    auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x21 || u > 0x7e) return "must be visible ASCII (no spaces or control characters)";
    if (forbidden.find(text[i]) != std::string_view::npos) {
      return str_cat("must not contain '", text[i], "' (outside a placeholder)");
    }
  }
  return {};
}

void redirect_component(TableReader& r, std::string_view key, std::string& out,
                        std::string_view forbidden, bool may_be_empty) {
  const toml::node* node = r.table_node(key);
  std::string text;
  if (!r.string(key, text)) return;
  std::string problem;
  if (text.empty() && !may_be_empty) {
    problem = "must not be empty";
  } else if (text.size() > kMaxPatternLength) {
    problem = str_cat("longer than ", kMaxPatternLength, " characters");
  } else {
    problem = check_template(text, forbidden);
  }
  if (problem.empty() && key == "path" && text.front() != '/') problem = "must start with \"/\"";
  if (!problem.empty()) {
    r.error_at(*node, key, problem);
    return;
  }
  out = std::move(text);
}

void parse_redirect(TableReader& r, RedirectConfig& d) {
  if (const toml::node* node = r.get("protocol")) {
    std::string text = node->is_string() ? node->as_string()->get() : std::string();
    for (char& c : text)
      c = ascii::to_lower(c);
    if (text == "http" || text == "https" || text == RedirectConfig::kKeepProtocol) {
      d.protocol = text;
    } else {
      r.error_at(*node, "protocol", "must be \"HTTP\", \"HTTPS\" or \"#{protocol}\"");
    }
  }
  if (const toml::node* node = r.get("port")) {
    std::optional<long long> number;
    bool keep = false;
    if (node->is_integer()) {
      number = node->as_integer()->get();
    } else if (node->is_string()) {
      const std::string& text = node->as_string()->get();
      keep = text == RedirectConfig::kKeepPort;
      if (!text.empty() && text.size() <= 5 &&
          text.find_first_not_of("0123456789") == std::string::npos) {
        number = std::stoll(text);
      }
    }
    if (keep) {
      d.port = RedirectConfig::kKeepPort;
    } else if (number && *number >= 1 && *number <= 65535) {
      d.port = std::to_string(*number);
    } else {
      r.error_at(*node, "port", "must be a port number 1..65535 or \"#{port}\"");
    }
  }
  redirect_component(r, "host", d.host, "/?#@\\\"", /*may_be_empty=*/false);
  redirect_component(r, "path", d.path, "?#\\\"", /*may_be_empty=*/false);
  redirect_component(r, "query", d.query, "#\\\"", /*may_be_empty=*/true);
  if (!d.query.empty() && d.query.front() == '?') {
    error_at_path(r, r.key_path("query"), "is written without the leading \"?\"");
  }
  if (const toml::node* node = r.get("status")) {
    if (node->is_integer() &&
        (node->as_integer()->get() == 301 || node->as_integer()->get() == 302)) {
      d.status = static_cast<int>(node->as_integer()->get());
    } else if (node->is_string() &&
               (node->as_string()->get() == "HTTP_301" || node->as_string()->get() == "HTTP_302")) {
      d.status = node->as_string()->get() == "HTTP_301" ? 301 : 302;
    } else {
      r.error_at(*node, "status", "must be 301 or 302");
    }
  }
  r.finish();
}

// "type/subtype", optionally with "; name=value" parameters (token values).
bool valid_content_type(std::string_view text) {
  std::size_t semicolon = text.find(';');
  std::string_view media = ascii::trim_ows(text.substr(0, semicolon));
  std::size_t slash = media.find('/');
  if (slash == std::string_view::npos || !ascii::is_token(media.substr(0, slash)) ||
      !ascii::is_token(media.substr(slash + 1))) {
    return false;
  }
  while (semicolon != std::string_view::npos) {
    text.remove_prefix(semicolon + 1);
    semicolon = text.find(';');
    std::string_view parameter = ascii::trim_ows(text.substr(0, semicolon));
    std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos || !ascii::is_token(parameter.substr(0, equals)) ||
        !ascii::is_token(parameter.substr(equals + 1))) {
      return false;
    }
  }
  return true;
}

void parse_fixed_response(TableReader& r, FixedResponseConfig& f) {
  if (!r.integer("status", f.status, 200, 599) &&
      !r.config().locations.contains(r.key_path("status"))) {
    error_at_path(r, r.key_path("status"), "missing required key");
  } else if (f.status != 0 && f.status / 100 != 2 && f.status / 100 != 4 && f.status / 100 != 5) {
    error_at_path(r, r.key_path("status"),
                  str_cat("must be a 2XX, 4XX or 5XX code (got ", f.status, ')'));
    f.status = 0;
  }
  if (r.string("content_type", f.content_type) &&
      (f.content_type.size() > 128 || !valid_content_type(f.content_type))) {
    error_at_path(r, r.key_path("content_type"),
                  "must be a media type such as \"text/plain\", \"text/html\", "
                  "\"application/json\" (type/subtype[; name=value])");
  }
  if (r.string("body", f.body)) {
    if (f.body.size() > kMaxFixedBody) {
      error_at_path(r, r.key_path("body"),
                    str_cat("longer than ", kMaxFixedBody, " bytes (got ", f.body.size(), ')'));
    } else if (f.status == 204 && !f.body.empty()) {
      error_at_path(r, r.key_path("body"), "a 204 response has no body");
    }
  }
  r.finish();
}

void parse_rule(TableReader& r, RuleConfig& rule) {
  if (!r.integer("priority", rule.priority, 1, kMaxRulePriority) &&
      !r.config().locations.contains(r.key_path("priority"))) {
    error_at_path(r, r.key_path("priority"), "missing required key");
  }
  condition_values(r, "host", rule.hosts, check_host_pattern);
  condition_values(r, "path", rule.paths, check_path_pattern);
  condition_values(r, "method", rule.methods, check_method);
  parse_header_condition(r, rule);
  std::vector<std::string> cidrs;
  condition_values(r, "source_ip", cidrs, [&](std::string_view text) {
    std::string reason;
    std::optional<Cidr> cidr = parse_cidr(text, &reason);
    if (cidr) rule.source_ips.push_back(*cidr);
    return reason;
  });
  int actions = 0;
  if (r.string("target_group", rule.target_group)) {
    ++actions;
    if (rule.target_group.empty())
      error_at_path(r, r.key_path("target_group"), "must not be empty");
  }
  if (const toml::table* redirect = r.table("redirect")) {
    ++actions;
    TableReader sub(*redirect, r.key_path("redirect"), r.config(), r.errors());
    parse_redirect(sub, rule.redirect.emplace());
  }
  if (const toml::table* fixed = r.table("fixed_response")) {
    ++actions;
    TableReader sub(*fixed, r.key_path("fixed_response"), r.config(), r.errors());
    parse_fixed_response(sub, rule.fixed_response.emplace());
  }
  // Counted by presence: a condition whose values were all refused still counts as given, so
  // its own errors are not joined by a misleading "no condition".
  bool any_condition = false;
  for (std::string_view key : {"host", "path", "method", "header", "source_ip"})
    any_condition = any_condition || r.config().locations.contains(r.key_path(key));
  if (!any_condition) {
    error_at_path(r, r.path(),
                  "a rule needs at least one condition (host, path, method, header, source_ip); "
                  "the listener's own action is the default rule");
  }
  if (actions != 1) {
    error_at_path(r, r.path(),
                  str_cat("a rule needs exactly one action: target_group, redirect or "
                          "fixed_response (got ",
                          actions, ')'));
  }
  r.finish();
}

void parse_listener(TableReader& r, ListenerConfig& l) {
  if (!r.string("name", l.name)) {
    if (!r.config().locations.contains(r.key_path("name"))) {
      r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.path()),
                                       r.key_path("name"), "missing required key"});
    }
  }
  if (!r.host_port("bind", l.bind, /*allow_port_zero=*/true) &&
      !r.config().locations.contains(r.key_path("bind"))) {
    r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.path()),
                                     r.key_path("bind"), "missing required key"});
  }
  r.string("target_group", l.target_group);
  r.boolean("redirect_to_https", l.redirect_to_https);
  r.integer("https_port", l.https_port, 1, 65535);
  r.duration("idle_timeout", l.idle_timeout, seconds(1), seconds(4000));
  r.duration("header_timeout", l.header_timeout, milliseconds(100), minutes(10));
  r.duration("body_timeout", l.body_timeout, milliseconds(100), minutes(10));
  r.integer("body_min_rate", l.body_min_rate, 0, 1'000'000'000);
  if (const toml::table* tls = r.table("tls")) {
    TableReader sub(*tls, r.key_path("tls"), r.config(), r.errors());
    parse_tls(sub, l.tls.emplace());
  }
  if (const toml::array* rules = r.table_array("rule")) {
    for (std::size_t i = 0; i < rules->size(); ++i) {
      TableReader sub(*rules->get(i)->as_table(), str_cat(r.key_path("rule"), '[', i, ']'),
                      r.config(), r.errors());
      parse_rule(sub, l.rules.emplace_back());
    }
  }
  r.finish();
}

void parse_health_check(TableReader& r, HealthCheckConfig& h) {
  r.boolean("enabled", h.enabled);
  if (r.string("path", h.path) && (h.path.empty() || h.path.front() != '/')) {
    r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.key_path("path")),
                                     r.key_path("path"), "must start with \"/\""});
  } else {
    for (char c : h.path) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
        r.errors().push_back(
            ConfigError{r.config().file, r.config().location_of(r.key_path("path")),
                        r.key_path("path"), "must not contain spaces or control characters"});
        break;
      }
    }
  }
  if (const toml::node* node = r.get("port")) {
    if (node->is_string() && node->as_string()->get() == "traffic-port") {
      h.port.reset();
    } else if (node->is_integer() && node->as_integer()->get() >= 1 &&
               node->as_integer()->get() <= 65535) {
      h.port = static_cast<std::uint16_t>(node->as_integer()->get());
    } else {
      r.error_at(*node, "port", "must be \"traffic-port\" or a port number 1..65535");
    }
  }
  r.duration("interval", h.interval, seconds(1), seconds(300));
  r.duration("timeout", h.timeout, milliseconds(100), seconds(120));
  r.integer("healthy_threshold", h.healthy_threshold, 2, 10);
  r.integer("unhealthy_threshold", h.unhealthy_threshold, 2, 10);
  std::string matcher;
  const toml::node* matcher_node = r.get("matcher");
  if (matcher_node) {
    if (!matcher_node->is_string()) {
      r.error_at(*matcher_node, "matcher",
                 str_cat("expected a string, got ", type_name(*matcher_node)));
    } else {
      std::string error;
      auto parsed = StatusMatcher::parse(matcher_node->as_string()->get(), &error);
      if (parsed) {
        h.matcher = *parsed;
      } else {
        r.error_at(*matcher_node, "matcher", error);
      }
    }
  }
  r.finish();
}

void parse_stickiness(TableReader& r, StickinessConfig& s) {
  r.boolean("enabled", s.enabled);
  std::string type = "lb_cookie";
  r.choice("type", type, {"lb_cookie"});
  if (r.string("cookie_name", s.cookie_name) && !is_valid_name(s.cookie_name)) {
    r.errors().push_back(ConfigError{r.config().file,
                                     r.config().location_of(r.key_path("cookie_name")),
                                     r.key_path("cookie_name"), std::string(kNameRule)});
  }
  r.duration("duration", s.duration, seconds(1), seconds(604800));
  r.finish();
}

void parse_target_group(TableReader& r, TargetGroupConfig& g) {
  if (!r.string("name", g.name) && !r.config().locations.contains(r.key_path("name"))) {
    r.errors().push_back(ConfigError{r.config().file, r.config().location_of(r.path()),
                                     r.key_path("name"), "missing required key"});
  }
  std::string algorithm = "round_robin";
  if (r.choice("algorithm", algorithm, {"round_robin", "least_outstanding_requests"})) {
    g.algorithm =
        algorithm == "round_robin" ? Algorithm::round_robin : Algorithm::least_outstanding_requests;
  }
  std::string protocol = "http";
  if (r.choice("protocol", protocol, {"http", "https"})) {
    g.protocol = protocol == "https" ? TargetProtocol::https : TargetProtocol::http;
  }
  r.boolean("verify", g.verify);
  r.string("ca_file", g.ca_file);
  if (const toml::array* targets = r.array("targets")) {
    for (std::size_t i = 0; i < targets->size(); ++i) {
      const toml::node& node = *targets->get(i);
      std::string path = str_cat(r.key_path("targets"), '[', i, ']');
      r.config().locations.emplace(path, location_of(node.source()));
      if (!node.is_string()) {
        r.errors().push_back(
            ConfigError{r.config().file, location_of(node.source()), path,
                        str_cat("expected a \"host:port\" string, got ", type_name(node))});
        continue;
      }
      std::string error;
      auto target = parse_host_port(node.as_string()->get(), &error, /*allow_port_zero=*/false);
      if (!target) {
        r.errors().push_back(ConfigError{r.config().file, location_of(node.source()), path, error});
        continue;
      }
      g.targets.push_back(*target);
    }
  }
  r.duration("connect_timeout", g.connect_timeout, milliseconds(10), minutes(10));
  r.duration("response_timeout", g.response_timeout, milliseconds(10), hours(1));
  r.duration("keepalive_timeout", g.keepalive_timeout, milliseconds(100), hours(1), true);
  r.integer("max_idle_connections", g.max_idle_connections, 0, 100000);
  r.boolean("fail_open", g.fail_open);
  r.duration("slow_start", g.slow_start, seconds(30), seconds(900), /*zero_allowed=*/true);
  r.duration("deregistration_delay", g.deregistration_delay, Duration::zero(), seconds(3600));
  r.duration("dns_refresh", g.dns_refresh, seconds(1), hours(24), /*zero_allowed=*/true);
  if (const toml::table* health = r.table("health_check")) {
    TableReader sub(*health, r.key_path("health_check"), r.config(), r.errors());
    parse_health_check(sub, g.health_check);
  }
  if (const toml::table* sticky = r.table("stickiness")) {
    TableReader sub(*sticky, r.key_path("stickiness"), r.config(), r.errors());
    parse_stickiness(sub, g.stickiness);
  }
  r.finish();
}

}  // namespace

Config parse(std::string_view text, std::string_view file, ConfigErrors& errors) {
  Config config;
  config.file = std::string(file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    errors.push_back(
        ConfigError{config.file, location_of(e.source()), "", std::string(e.description())});
    return config;
  }
  TableReader top(root, "", config, errors);
  if (const toml::table* global = top.table("global")) {
    TableReader r(*global, "global", config, errors);
    parse_global(r, config.global);
  }
  if (const toml::array* listeners = top.table_array("listener")) {
    for (std::size_t i = 0; i < listeners->size(); ++i) {
      TableReader r(*listeners->get(i)->as_table(), str_cat("listener[", i, ']'), config, errors);
      parse_listener(r, config.listeners.emplace_back());
    }
  }
  if (const toml::array* groups = top.table_array("target_group")) {
    for (std::size_t i = 0; i < groups->size(); ++i) {
      TableReader r(*groups->get(i)->as_table(), str_cat("target_group[", i, ']'), config, errors);
      parse_target_group(r, config.target_groups.emplace_back());
    }
  }
  top.finish();
  return config;
}

}  // namespace albatross::config
