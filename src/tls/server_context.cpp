#include "albatross/tls/server_context.hpp"

#include <openssl/err.h>

#include <cstring>
#include <ctime>

#include "albatross/common/ascii.hpp"
#include "albatross/common/str_cat.hpp"

namespace albatross::tls {
namespace {

constexpr unsigned char kSessionIdContext[] = "albatross";
constexpr std::string_view kHttp11 = "http/1.1";

// ALPN: http/1.1 when the client offers it; a client offering only other protocols (h2) goes
// on without ALPN rather than failing, and speaks HTTP/1.1 or leaves.
int on_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
            unsigned int in_length, void*) {
  for (unsigned int i = 0; i < in_length;) {
    unsigned int length = in[i];
    if (i + 1 + length > in_length) break;
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), length) == kHttp11) {
      *out = in + i + 1;
      *out_length = static_cast<unsigned char>(length);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + length;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string utc_text(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

// Which certificates serve one name: indexes into the listener's certificates, -1 for none.
struct Choice {
  int rsa = -1;
  int ecdsa = -1;
  void offer(int index, KeyType type) {
    int& slot = type == KeyType::rsa ? rsa : ecdsa;
    if (slot < 0) slot = index;  // the first declared wins: default, then sni in order
  }
  void fill_from(const Choice& other) {
    if (rsa < 0) rsa = other.rsa;
    if (ecdsa < 0) ecdsa = other.ecdsa;
  }
  auto operator<=>(const Choice&) const = default;
};

}  // namespace

std::shared_ptr<const ServerContext> ServerContext::create(
    const config::TlsConfig& config, const std::string& key_path,
    std::shared_ptr<const TicketKeyRing> tickets, std::int64_t now_unix,
    std::vector<Problem>& errors, std::vector<std::string>& warnings) {
  std::shared_ptr<ServerContext> server(new ServerContext());
  std::size_t errors_before = errors.size();
  server->tickets_ = std::move(tickets);
  server->handshake_timeout_ = config.handshake_timeout;
  server->policy_ = find_security_policy(config.policy);
  if (server->policy_ == nullptr) {
    std::string known;
    for (const SecurityPolicy& p : security_policies())
      str_append(known, str_cat(known.empty() ? "" : ", ", p.name));
    errors.push_back({key_path + ".policy", str_cat("unknown security policy \"", config.policy,
                                                    "\" (known: ", known, ")")});
  }

  auto load = [&](const config::TlsCertificateConfig& c, const std::string& path) {
    Certificate::Error error;
    std::optional<Certificate> cert = Certificate::load(c.certificate, c.private_key, error);
    if (!cert) {
      errors.push_back(
          {path + (error.in_private_key ? ".private_key" : ".certificate"), error.message});
      return;
    }
    if (cert->not_after_unix() < now_unix) {
      warnings.push_back(str_cat(path, ".certificate: certificate ", c.certificate, " (",
                                 cert->label(), ") EXPIRED at ", utc_text(cert->not_after_unix()),
                                 "; serving it anyway, clients will reject it: renew it now"));
    } else if (cert->not_before_unix() > now_unix) {
      warnings.push_back(str_cat(path, ".certificate: certificate ", c.certificate, " (",
                                 cert->label(), ") is not valid before ",
                                 utc_text(cert->not_before_unix()),
                                 "; serving it anyway, clients will reject it until then"));
    }
    server->certificates_.push_back(std::move(*cert));
  };
  load(config.default_certificate, key_path);
  for (std::size_t i = 0; i < config.sni.size(); ++i)
    load(config.sni[i], str_cat(key_path, ".sni[", i, ']'));
  if (errors.size() != errors_before) return nullptr;

  // Which certificates serve each name, then one context per distinct choice.
  std::map<std::string, Choice, std::less<>> exact;
  std::map<std::string, Choice, std::less<>> wildcard;
  for (std::size_t i = 0; i < server->certificates_.size(); ++i) {
    const Certificate& cert = server->certificates_[i];
    for (const std::string& name : cert.names()) {
      if (name.starts_with("*.")) {
        wildcard[name.substr(2)].offer(static_cast<int>(i), cert.key_type());
      } else {
        exact[name].offer(static_cast<int>(i), cert.key_type());
      }
    }
  }
  // An exact name takes the key type it lacks from the wildcard covering it.
  for (auto& [name, choice] : exact) {
    auto dot = name.find('.');
    if (dot == std::string::npos) continue;
    if (auto it = wildcard.find(std::string_view(name).substr(dot + 1)); it != wildcard.end())
      choice.fill_from(it->second);
  }
  // The default serves clients without SNI or without a match: the default certificate, with
  // the other key type's certificate of the same first name when one is declared.
  Choice default_choice;
  default_choice.offer(0, server->certificates_[0].key_type());
  if (!server->certificates_[0].names().empty()) {
    const std::string& first = server->certificates_[0].names().front();
    if (first.starts_with("*.")) {
      default_choice.fill_from(wildcard[first.substr(2)]);
    } else {
      default_choice.fill_from(exact[first]);
    }
  }

  std::map<Choice, SSL_CTX*> built;
  auto context_for = [&](const Choice& choice) -> SSL_CTX* {
    if (auto it = built.find(choice); it != built.end()) return it->second;
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    const SecurityPolicy& policy = *server->policy_;
    bool ok = ctx != nullptr;
    ok = ok && SSL_CTX_set_min_proto_version(ctx.get(), policy.min_version) == 1 &&
         SSL_CTX_set_max_proto_version(ctx.get(), policy.max_version) == 1;
    if (ok) SSL_CTX_set_security_level(ctx.get(), policy.security_level);
    ok = ok && (policy.ciphers.empty() ||
                SSL_CTX_set_cipher_list(ctx.get(), std::string(policy.ciphers).c_str()) == 1);
    ok = ok && SSL_CTX_set1_groups_list(ctx.get(), std::string(kKeyExchangeGroups).c_str()) == 1;
    ok = ok && (policy.ciphersuites.empty() ||
                SSL_CTX_set_ciphersuites(ctx.get(), std::string(policy.ciphersuites).c_str()) == 1);
    if (!ok) {
      errors.push_back({key_path + ".policy", str_cat("cannot apply security policy ", policy.name,
                                                      ": ", take_openssl_error())});
      return nullptr;
    }
    SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                                       SSL_OP_NO_COMPRESSION);
    SSL_CTX_clear_options(ctx.get(), SSL_OP_NO_TICKET);
    // Resumption is by ticket only: no server-side cache to share between workers.
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_session_id_context(ctx.get(), kSessionIdContext, sizeof kSessionIdContext - 1);
    SSL_CTX_set_alpn_select_cb(ctx.get(), on_alpn, nullptr);
    server->tickets_->install(ctx.get());
    for (int index : {choice.ecdsa, choice.rsa}) {
      if (index < 0) continue;
      const Certificate& cert = server->certificates_[static_cast<std::size_t>(index)];
      if (SSL_CTX_use_cert_and_key(ctx.get(), cert.leaf(), cert.private_key(), cert.chain(), 1) !=
          1) {
        std::string path = index == 0 ? key_path : str_cat(key_path, ".sni[", index - 1, ']');
        errors.push_back({path + ".certificate", str_cat("cannot use certificate ", cert.path(),
                                                         ": ", take_openssl_error())});
        return nullptr;
      }
    }
    SSL_CTX* raw = ctx.get();
    server->contexts_.push_back(std::move(ctx));
    built.emplace(choice, raw);
    return raw;
  };

  server->default_ = context_for(default_choice);
  if (server->default_ == nullptr) return nullptr;
  SSL_CTX_set_tlsext_servername_callback(server->default_, on_server_name);
  SSL_CTX_set_tlsext_servername_arg(server->default_, server.get());
  for (const auto& [name, choice] : exact) {
    SSL_CTX* ctx = context_for(choice);
    if (ctx == nullptr) return nullptr;
    server->exact_.emplace(name, ctx);
  }
  for (const auto& [suffix, choice] : wildcard) {
    SSL_CTX* ctx = context_for(choice);
    if (ctx == nullptr) return nullptr;
    server->wildcard_.emplace(suffix, ctx);
  }
  return server;
}

SSL_CTX* ServerContext::select(std::string_view server_name) const {
  char buffer[256];
  if (!server_name.empty() && server_name.back() == '.') server_name.remove_suffix(1);
  if (server_name.empty() || server_name.size() > sizeof buffer) return default_;
  for (std::size_t i = 0; i < server_name.size(); ++i)
    buffer[i] = ascii::to_lower(server_name[i]);
  std::string_view name(buffer, server_name.size());
  if (auto it = exact_.find(name); it != exact_.end()) return it->second;
  // A wildcard covers exactly one label: *.example.com matches a.example.com only.
  auto dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(name.substr(dot + 1)); it != wildcard_.end()) return it->second;
  }
  return default_;
}

int ServerContext::on_server_name(SSL* ssl, int*, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  const auto* server = static_cast<const ServerContext*>(arg);
  SSL_CTX* ctx = server->select(name);
  if (ctx != SSL_get_SSL_CTX(ssl) && SSL_set_SSL_CTX(ssl, ctx) == nullptr) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace albatross::tls
