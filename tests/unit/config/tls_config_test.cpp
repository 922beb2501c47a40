#include <doctest/doctest.h>

#include <string>

#include "albatross/config/parser.hpp"
#include "albatross/config/validator.hpp"

namespace albatross::config {
namespace {

std::string all(const ConfigErrors& errors) {
  std::string out;
  for (const auto& e : errors)
    out += e.to_string() + "\n";
  return out;
}

bool has_error(const ConfigErrors& errors, std::string_view key_path, std::string_view text) {
  for (const auto& e : errors) {
    if (e.key_path == key_path && e.message.find(text) != std::string::npos) return true;
  }
  return false;
}

constexpr std::string_view kGroup = R"(
[[target_group]]
name = "app"
targets = ["127.0.0.1:9001"]
)";

}  // namespace

TEST_CASE("[listener.tls] parses the default certificate, the policy, the timeout and sni") {
  std::string text = std::string(R"(
[[listener]]
name = "https"
bind = "0.0.0.0:8443"
target_group = "app"
[listener.tls]
certificate = "/etc/albatross/tls/site.pem"
private_key = "/etc/albatross/tls/site.key"
policy = "ELBSecurityPolicy-TLS13-1-3-2021-06"
handshake_timeout = "5s"
[[listener.tls.sni]]
certificate = "/etc/albatross/tls/api.pem"
private_key = "/etc/albatross/tls/api.key"
)") + std::string(kGroup);
  ConfigErrors errors;
  Config config = parse(text, "t.toml", errors);
  validate(config, errors);
  REQUIRE_MESSAGE(errors.empty(), all(errors));
  REQUIRE(config.listeners[0].tls);
  const TlsConfig& tls = *config.listeners[0].tls;
  CHECK(tls.default_certificate.certificate == "/etc/albatross/tls/site.pem");
  CHECK(tls.default_certificate.private_key == "/etc/albatross/tls/site.key");
  CHECK(tls.policy == "ELBSecurityPolicy-TLS13-1-3-2021-06");
  CHECK(tls.handshake_timeout == std::chrono::seconds(5));
  REQUIRE(tls.sni.size() == 1);
  CHECK(tls.sni[0].private_key == "/etc/albatross/tls/api.key");
}

TEST_CASE("[listener.tls] defaults: ALB's TLS13-1-2 policy and a 10s handshake timeout") {
  std::string text = std::string(R"(
[[listener]]
name = "https"
bind = "0.0.0.0:8443"
target_group = "app"
tls = { certificate = "a.pem", private_key = "a.key" }
)") + std::string(kGroup);
  ConfigErrors errors;
  Config config = parse(text, "t.toml", errors);
  REQUIRE_MESSAGE(errors.empty(), all(errors));
  CHECK(config.listeners[0].tls->policy == "ELBSecurityPolicy-TLS13-1-2-2021-06");
  CHECK(config.listeners[0].tls->handshake_timeout == std::chrono::seconds(10));
  CHECK(config.listeners[0].tls->sni.empty());
}

TEST_CASE("[listener.tls] errors carry their key paths") {
  std::string text = std::string(R"(
[[listener]]
name = "https"
bind = "0.0.0.0:8443"
target_group = "app"
[listener.tls]
certificate = ""
policy = ""
handshake_timeout = "1h"
ciphers = "ALL"
[[listener.tls.sni]]
certificate = "api.pem"
private_key = 7
extra = 1
)") + std::string(kGroup);
  ConfigErrors errors;
  parse(text, "t.toml", errors);
  CHECK(has_error(errors, "listener[0].tls.certificate", "must not be empty"));
  CHECK(has_error(errors, "listener[0].tls.private_key", "missing required key"));
  CHECK(has_error(errors, "listener[0].tls.policy", "must not be empty"));
  CHECK(has_error(errors, "listener[0].tls.handshake_timeout", "must be between"));
  CHECK(has_error(errors, "listener[0].tls.ciphers", "unknown key"));
  CHECK(has_error(errors, "listener[0].tls.sni[0].private_key", "expected a string"));
  CHECK(has_error(errors, "listener[0].tls.sni[0].extra", "unknown key"));
  CHECK(errors.size() == 7);
  for (const auto& e : errors)
    CHECK(e.location.line > 0);
}

TEST_CASE("target groups: protocol, verify and ca_file") {
  std::string text = R"(
[[listener]]
name = "http"
bind = "0.0.0.0:8080"
target_group = "secure"
[[target_group]]
name = "secure"
protocol = "https"
verify = true
ca_file = "/etc/albatross/ca.pem"
targets = ["app.internal:8443"]
[[target_group]]
name = "plain"
targets = ["127.0.0.1:9001"]
)";
  ConfigErrors errors;
  Config config = parse(text, "t.toml", errors);
  validate(config, errors);
  REQUIRE_MESSAGE(errors.empty(), all(errors));
  CHECK(config.target_groups[0].protocol == TargetProtocol::https);
  CHECK(config.target_groups[0].verify);
  CHECK(config.target_groups[0].ca_file == "/etc/albatross/ca.pem");
  CHECK(config.target_groups[1].protocol == TargetProtocol::http);
  CHECK_FALSE(config.target_groups[1].verify);
}

TEST_CASE("target groups: TLS settings need protocol https, ca_file needs verify") {
  std::string text = R"(
[[listener]]
name = "http"
bind = "0.0.0.0:8080"
target_group = "a"
[[target_group]]
name = "a"
protocol = "h2"
targets = ["127.0.0.1:9001"]
[[target_group]]
name = "b"
verify = true
ca_file = "ca.pem"
targets = ["127.0.0.1:9002"]
[[target_group]]
name = "c"
protocol = "https"
ca_file = "ca.pem"
targets = ["127.0.0.1:9003"]
)";
  ConfigErrors errors;
  Config config = parse(text, "t.toml", errors);
  validate(config, errors);
  CHECK(has_error(errors, "target_group[0].protocol", "unknown value \"h2\""));
  CHECK(has_error(errors, "target_group[1].verify", "needs protocol = \"https\""));
  CHECK(has_error(errors, "target_group[1].ca_file", "needs protocol = \"https\""));
  CHECK(has_error(errors, "target_group[2].ca_file", "only with verify = true"));
  CHECK(errors.size() == 4);
}

TEST_CASE("[listener.tls] mutual TLS and OCSP stapling settings") {
  std::string text = std::string(R"(
[[listener]]
name = "https"
bind = "0.0.0.0:8443"
target_group = "app"
[listener.tls]
certificate = "site.pem"
private_key = "site.key"
client_auth = "verify"
trust_store = "ca-bundle.pem"
crl_file = "revoked.pem"
ocsp_stapling = true
ocsp_response_file = "site.ocsp"
[[listener.tls.sni]]
certificate = "api.pem"
private_key = "api.key"
)") + std::string(kGroup);
  ConfigErrors errors;
  Config config = parse(text, "t.toml", errors);
  validate(config, errors);
  REQUIRE_MESSAGE(errors.empty(), all(errors));
  const TlsConfig& tls = *config.listeners[0].tls;
  CHECK(tls.client_auth == ClientAuthMode::verify);
  CHECK(tls.trust_store == "ca-bundle.pem");
  CHECK(tls.crl_file == "revoked.pem");
  CHECK(tls.ocsp_stapling);
  CHECK(tls.default_certificate.ocsp_response_file == "site.ocsp");
  CHECK(tls.sni[0].ocsp_response_file.empty());
}

TEST_CASE("[listener.tls] mutual TLS and OCSP defaults: off") {
  std::string text = std::string(R"(
[[listener]]
name = "https"
bind = "0.0.0.0:8443"
target_group = "app"
tls = { certificate = "a.pem", private_key = "a.key", client_auth = "passthrough" }
)") + std::string(kGroup);
  ConfigErrors errors;
  Config config = parse(text, "t.toml", errors);
  validate(config, errors);
  REQUIRE_MESSAGE(errors.empty(), all(errors));
  CHECK(config.listeners[0].tls->client_auth == ClientAuthMode::passthrough);
  CHECK_FALSE(config.listeners[0].tls->ocsp_stapling);
}

TEST_CASE("[listener.tls] mutual TLS and OCSP errors carry their key paths") {
  auto errors_of = [](std::string tls) {
    std::string text = std::string(R"(
[[listener]]
name = "https"
bind = "0.0.0.0:8443"
target_group = "app"
[listener.tls]
certificate = "a.pem"
private_key = "a.key"
)") + tls + std::string(kGroup);
    ConfigErrors errors;
    Config config = parse(text, "t.toml", errors);
    if (errors.empty()) validate(config, errors);
    return errors;
  };
  ConfigErrors errors = errors_of("client_auth = \"required\"\nocsp_stapling = \"yes\"\n");
  CHECK(has_error(errors, "listener[0].tls.client_auth", "unknown value \"required\""));
  CHECK(has_error(errors, "listener[0].tls.ocsp_stapling", "expected true or false"));
  CHECK(errors.size() == 2);

  errors = errors_of("client_auth = \"verify\"\n");
  CHECK(has_error(errors, "listener[0].tls.trust_store", "missing required key"));
  CHECK(errors.size() == 1);

  errors = errors_of("client_auth = \"verify\"\ntrust_store = \"\"\n");
  CHECK(has_error(errors, "listener[0].tls.trust_store", "must not be empty"));

  errors = errors_of(
      "client_auth = \"passthrough\"\ntrust_store = \"ca.pem\"\n"
      "crl_file = \"crl.pem\"\nocsp_response_file = \"a.ocsp\"\n"
      "[[listener.tls.sni]]\ncertificate = \"b.pem\"\nprivate_key = \"b.key\"\n"
      "ocsp_response_file = \"b.ocsp\"\n");
  CHECK(has_error(errors, "listener[0].tls.trust_store", "only with client_auth = \"verify\""));
  CHECK(has_error(errors, "listener[0].tls.crl_file", "only with client_auth = \"verify\""));
  CHECK(has_error(errors, "listener[0].tls.ocsp_response_file", "ocsp_stapling = true"));
  CHECK(has_error(errors, "listener[0].tls.sni[0].ocsp_response_file", "ocsp_stapling = true"));
  CHECK(errors.size() == 4);
}

}  // namespace albatross::config
